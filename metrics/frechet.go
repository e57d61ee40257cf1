package metrics

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// ErrNonFinite reports NaN or ±Inf in an input or an intermediate result.
var ErrNonFinite = errors.New("metrics: non-finite value")

// FrechetResult is the Fréchet distance with the diagnostics of its matrix
// square roots.
type FrechetResult struct {
	// D2 is the squared Fréchet distance
	//
	//	d² = ‖μ₁−μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2·Tr (Σ₁^½ Σ₂ Σ₁^½)^½.
	//
	// Rounding can make it slightly negative (≈ −1e-12·Tr Σ) for equal
	// inputs; it is not clipped.
	D2 float64
	// MeanTerm is ‖μ₁−μ₂‖².
	MeanTerm float64
	// TraceSqrt is Tr (Σ₁^½ Σ₂ Σ₁^½)^½ = Tr (Σ₁Σ₂)^½.
	TraceSqrt float64
	// MinEigS1 and MinEigM are the smallest eigenvalues of Σ₁ and of
	// M = Σ₁^½ Σ₂ Σ₁^½ before negative ones were clipped to 0. Values well
	// below −1e-10·Tr Σ signal an input that is not positive semi-definite.
	MinEigS1, MinEigM float64
}

// Frechet returns the squared Fréchet (2-Wasserstein) distance between the
// Gaussians N(μ₁, Σ₁) and N(μ₂, Σ₂),
//
//	d² = ‖μ₁−μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2·Tr (Σ₁Σ₂)^½,
//
// which is what FID reports. The trace term is computed in the symmetric
// form: A = Σ₁^½ = V·diag(√max(λ,0))·Vᵀ from the eigendecomposition of Σ₁,
// M = A Σ₂ A (symmetrised), Tr (Σ₁Σ₂)^½ = Σᵢ √max(λᵢ(M), 0). M is similar to
// Σ₁Σ₂, so the two have the same eigenvalues, but M is symmetric and
// positive semi-definite, so no complex square root is needed.
//
// It panics if the dimensions disagree and returns an error wrapping
// ErrNonFinite for NaN/Inf inputs or if an eigendecomposition fails.
func Frechet(mu1 []float64, s1 *mat.SymDense, mu2 []float64, s2 *mat.SymDense) (float64, error) {
	r, err := FrechetDetail(mu1, s1, mu2, s2)
	return r.D2, err
}

// FrechetDetail is Frechet with the intermediate terms and the clipping
// diagnostics (see FrechetResult).
func FrechetDetail(mu1 []float64, s1 *mat.SymDense, mu2 []float64, s2 *mat.SymDense) (FrechetResult, error) {
	d := len(mu1)
	if len(mu2) != d || s1.SymmetricDim() != d || s2.SymmetricDim() != d {
		panic(fmt.Sprintf("metrics: Frechet: dimension mismatch: len(mu1)=%d len(mu2)=%d dim(s1)=%d dim(s2)=%d",
			d, len(mu2), s1.SymmetricDim(), s2.SymmetricDim()))
	}
	if d == 0 {
		panic("metrics: Frechet: zero dimension")
	}
	if !finiteSlice(mu1) || !finiteSlice(mu2) || !finiteSym(s1) || !finiteSym(s2) {
		return FrechetResult{}, fmt.Errorf("metrics: Frechet: input: %w", ErrNonFinite)
	}
	var res FrechetResult
	for i := range mu1 {
		diff := mu1[i] - mu2[i]
		res.MeanTerm += diff * diff
	}

	// A = Σ₁^½ through the symmetric eigendecomposition.
	var es mat.EigenSym
	if !es.Factorize(s1, true) {
		return FrechetResult{}, errors.New("metrics: Frechet: eigendecomposition of sigma1 did not converge")
	}
	lam := es.Values(nil)
	res.MinEigS1 = floats.Min(lam)
	var v mat.Dense
	es.VectorsTo(&v)
	// Scale column j of V by λ_j^¼, so that A = (V D^¼)(V D^¼)ᵀ = V D^½ Vᵀ.
	vs := mat.DenseCopyOf(&v)
	for j, l := range lam {
		s := math.Sqrt(math.Sqrt(math.Max(l, 0)))
		for i := 0; i < d; i++ {
			vs.Set(i, j, vs.At(i, j)*s)
		}
	}
	a := mat.NewSymDense(d, nil)
	a.SymOuterK(1, vs)

	// M = A Σ₂ A, symmetrised against rounding.
	var as2, m mat.Dense
	as2.Mul(a, s2)
	m.Mul(&as2, a)
	ms := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			ms.SetSym(i, j, 0.5*(m.At(i, j)+m.At(j, i)))
		}
	}
	var em mat.EigenSym
	if !em.Factorize(ms, false) {
		return FrechetResult{}, errors.New("metrics: Frechet: eigendecomposition of sigma1^1/2 sigma2 sigma1^1/2 did not converge")
	}
	mu := em.Values(nil)
	res.MinEigM = floats.Min(mu)
	for _, l := range mu {
		res.TraceSqrt += math.Sqrt(math.Max(l, 0))
	}
	res.D2 = res.MeanTerm + mat.Trace(s1) + mat.Trace(s2) - 2*res.TraceSqrt
	if math.IsNaN(res.D2) || math.IsInf(res.D2, 0) {
		return res, fmt.Errorf("metrics: Frechet: result: %w", ErrNonFinite)
	}
	return res, nil
}

// MeanCov returns the column means μ and the unbiased sample covariance
//
//	Σ = 1/(N−1) · Σₙ (xₙ−μ)(xₙ−μ)ᵀ
//
// of the rows of x (N×d), as np.cov(x, rowvar=False) does. It panics if x has
// fewer than 2 rows.
func MeanCov(x *mat.Dense) ([]float64, *mat.SymDense) {
	n, d := x.Dims()
	if n < 2 {
		panic(fmt.Sprintf("metrics: MeanCov: need at least 2 rows, have %d", n))
	}
	mu := make([]float64, d)
	for j := 0; j < d; j++ {
		mu[j] = stat.Mean(mat.Col(nil, j, x), nil)
	}
	cov := mat.NewSymDense(d, nil)
	stat.CovarianceMatrix(cov, x, nil)
	return mu, cov
}

// FrechetDistance fits a Gaussian to each of the feature sets x and y (rows
// are samples, see MeanCov) and returns the squared Fréchet distance between
// the fits (see Frechet): FID when the features are Inception pool3
// activations, fid_lenet for genlab's MNIST feature network. The estimate is
// biased upwards and depends on the number of rows, so compare values only at
// a fixed N. It panics if the column counts differ.
func FrechetDistance(x, y *mat.Dense) (float64, error) {
	_, dx := x.Dims()
	_, dy := y.Dims()
	if dx != dy {
		panic(fmt.Sprintf("metrics: FrechetDistance: feature dimensions differ: %d vs %d", dx, dy))
	}
	mu1, s1 := MeanCov(x)
	mu2, s2 := MeanCov(y)
	d2, err := Frechet(mu1, s1, mu2, s2)
	if err != nil {
		return d2, fmt.Errorf("metrics: FrechetDistance: %w", err)
	}
	return d2, nil
}

func finiteSlice(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

func finiteSym(s *mat.SymDense) bool {
	n := s.SymmetricDim()
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			x := s.At(i, j)
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
	}
	return true
}
