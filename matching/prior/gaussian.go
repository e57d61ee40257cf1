package prior

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"genlab/diffusion"
)

// Gaussian is the exact denoiser of the Gaussian prior N(μ, Σ) under
// Gaussian noise of level σ, the posterior mean
//
//	D(x;σ) = μ + Σ(Σ + σ²I)⁻¹(x − μ) = μ + U diag(λ_i/(λ_i+σ²)) Uᵀ(x − μ),
//
// with Σ = U diag(λ) Uᵀ. It is a closed form, so it is both a cheap prior
// over |C| and a test oracle for code that consumes a denoiser.
type Gaussian struct {
	Mean []float64
	Vals []float64  // eigenvalues λ_i of Σ (≥ 0)
	Vecs *mat.Dense // U, d×d orthogonal, column i pairs with Vals[i]
	diag bool       // Σ diagonal: Vecs is nil and Vals are the variances
}

var _ diffusion.Denoiser = (*Gaussian)(nil)

// FitGaussian fits N(μ, Σ + ridge·I) to the rows of data (maximum
// likelihood: Σ divides by n).
func FitGaussian(data *mat.Dense, ridge float64) (*Gaussian, error) {
	n, d := data.Dims()
	if n < 2 {
		return nil, fmt.Errorf("prior: FitGaussian: %d samples", n)
	}
	mu := MeanImage(data)
	cen := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j, v := range data.RawRowView(i) {
			cen.Set(i, j, v-mu[j])
		}
	}
	cov := mat.NewSymDense(d, nil)
	cov.SymOuterK(1/float64(n), cen.T())
	for j := 0; j < d; j++ {
		cov.SetSym(j, j, cov.At(j, j)+ridge)
	}
	var es mat.EigenSym
	if !es.Factorize(cov, true) {
		return nil, errors.New("prior: FitGaussian: covariance eigendecomposition failed")
	}
	vals := es.Values(nil)
	for i, v := range vals {
		vals[i] = math.Max(v, 0)
	}
	var u mat.Dense
	es.VectorsTo(&u)
	return &Gaussian{Mean: mu, Vals: vals, Vecs: &u}, nil
}

// NewDiagGaussian returns the denoiser of N(mean, diag(variance)); each
// coordinate is shrunk independently, D_i = μ_i + v_i/(v_i+σ²)·(x_i − μ_i).
func NewDiagGaussian(mean, variance []float64) *Gaussian {
	if len(mean) != len(variance) {
		panic("prior: NewDiagGaussian: mean and variance lengths differ")
	}
	return &Gaussian{Mean: append([]float64(nil), mean...), Vals: append([]float64(nil), variance...), diag: true}
}

// Denoise implements diffusion.Denoiser; dst may alias x.
func (g *Gaussian) Denoise(dst, x *mat.Dense, sigma float64) error {
	r, c := x.Dims()
	if c != len(g.Mean) {
		panic(fmt.Sprintf("prior: Gaussian denoiser of dimension %d, x has %d columns", len(g.Mean), c))
	}
	s2 := sigma * sigma
	if g.diag {
		for i := 0; i < r; i++ {
			xr, dr := x.RawRowView(i), dst.RawRowView(i)
			for j, v := range xr {
				dr[j] = g.Mean[j] + g.Vals[j]/(g.Vals[j]+s2)*(v-g.Mean[j])
			}
		}
		return nil
	}
	cen := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j, v := range x.RawRowView(i) {
			cen.Set(i, j, v-g.Mean[j])
		}
	}
	var z mat.Dense
	z.Mul(cen, g.Vecs) // rows: Uᵀ(x−μ)
	for j, l := range g.Vals {
		f := l / (l + s2)
		for i := 0; i < r; i++ {
			z.Set(i, j, z.At(i, j)*f)
		}
	}
	cen.Mul(&z, g.Vecs.T())
	for i := 0; i < r; i++ {
		dr := dst.RawRowView(i)
		for j, v := range cen.RawRowView(i) {
			dr[j] = g.Mean[j] + v
		}
	}
	return nil
}
