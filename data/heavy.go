package data

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// StudentT draws n points (n×dim) of the isotropic multivariate Student-t
// with ν degrees of freedom, location 0 and scale s,
//
//	p(x) ∝ (1 + ‖x‖²/(ν s²))^(−(ν+dim)/2),
//
// as the Gaussian scale mixture x = s·√(ν/c)·g, c ~ χ²_ν, g ~ N(0, I). Each
// coordinate is a univariate t_ν(0, s); ‖x‖²/(dim·s²) ~ F(dim, ν); the norm
// has the power tail P(‖x‖ > t) ∝ t^(−ν), so moments of order ≥ ν are
// infinite (ν = 2: infinite variance). It panics unless n ≥ 0, dim ≥ 1 and
// ν, s > 0.
func StudentT(n, dim int, nu, scale float64, rng *rand.Rand) *mat.Dense {
	if n < 0 || dim < 1 || !(nu > 0) || !(scale > 0) || math.IsInf(nu, 0) {
		panic(fmt.Sprintf("data: StudentT(n=%d, dim=%d, ν=%v, s=%v): bad arguments", n, dim, nu, scale))
	}
	if n == 0 {
		return &mat.Dense{}
	}
	x := mat.NewDense(n, dim, nil)
	chi := distuv.ChiSquared{K: nu, Src: rng}
	for i := 0; i < n; i++ {
		w := scale * math.Sqrt(nu/chi.Rand())
		row := x.RawRowView(i)
		for j := range row {
			row[j] = w * rng.NormFloat64()
		}
	}
	return x
}

// RadialPareto draws n points (n×dim) with a uniformly random direction and a
// Pareto (type I) radius of index α and minimum xm,
//
//	P(‖x‖ > t) = (xm/t)^α for t ≥ xm,
//
// drawn by inversion ‖x‖ = xm·U^(−1/α). Moments of ‖x‖ of order ≥ α are
// infinite. It panics unless n ≥ 0, dim ≥ 1 and α, xm > 0.
func RadialPareto(n, dim int, alpha, xm float64, rng *rand.Rand) *mat.Dense {
	if n < 0 || dim < 1 || !(alpha > 0) || !(xm > 0) {
		panic(fmt.Sprintf("data: RadialPareto(n=%d, dim=%d, α=%v, xm=%v): bad arguments", n, dim, alpha, xm))
	}
	if n == 0 {
		return &mat.Dense{}
	}
	x := mat.NewDense(n, dim, nil)
	for i := 0; i < n; i++ {
		row := x.RawRowView(i)
		var s float64
		for j := range row {
			row[j] = rng.NormFloat64()
			s += row[j] * row[j]
		}
		u := 1 - rng.Float64() // (0, 1]
		r := xm * math.Pow(u, -1/alpha)
		f := r / math.Sqrt(s)
		for j := range row {
			row[j] *= f
		}
	}
	return x
}

// TwoClusterLatent, TwoClusterStd, TwoClusterNoise and TwoClusterClip are
// the constants of the official PFGM++ toy (pfgmpp_toy.ipynb): two
// 10-dimensional Gaussian clusters at ±1 (all coordinates) with standard
// deviation 0.2, mapped by a Gaussian matrix to the ambient space, plus
// N(0, 0.01²) noise, clipped to ±100.
const (
	TwoClusterLatent = 10
	TwoClusterStd    = 0.2
	TwoClusterNoise  = 0.01
	TwoClusterClip   = 100
)

// TwoCluster is the official PFGM++ high-dimensional toy: latent
// z = ±1 + 0.2·g ∈ ℝ¹⁰ (sign chosen with probability ½ each), mapped
// linearly to y = z·W + 0.01·e ∈ ℝᴺ with W (10×N) having i.i.d. N(0,1)
// entries, each coordinate clipped to [−100, 100]. Scale is the factor every
// sample is multiplied by afterwards (1 for the raw toy).
type TwoCluster struct {
	W     *mat.Dense // 10×N linear map
	Scale float64
}

// NewTwoCluster draws the 10×N map W from rng, with Scale 1.
func NewTwoCluster(ambient int, rng *rand.Rand) *TwoCluster {
	if ambient < 1 {
		panic(fmt.Sprintf("data: NewTwoCluster: ambient dimension %d", ambient))
	}
	w := mat.NewDense(TwoClusterLatent, ambient, nil)
	for i := range w.RawMatrix().Data {
		w.RawMatrix().Data[i] = rng.NormFloat64()
	}
	return &TwoCluster{W: w, Scale: 1}
}

// Ambient returns N, the dimension of the samples.
func (t *TwoCluster) Ambient() int { _, n := t.W.Dims(); return n }

// Sample draws n points (n×N) and the cluster label (+1 or −1) of each.
func (t *TwoCluster) Sample(n int, rng *rand.Rand) (*mat.Dense, []int) {
	if n < 1 {
		panic(fmt.Sprintf("data: TwoCluster.Sample: n = %d", n))
	}
	z := mat.NewDense(n, TwoClusterLatent, nil)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		s := 1
		if rng.IntN(2) == 1 {
			s = -1
		}
		labels[i] = s
		row := z.RawRowView(i)
		for j := range row {
			row[j] = float64(s) + TwoClusterStd*rng.NormFloat64()
		}
	}
	y := mat.NewDense(n, t.Ambient(), nil)
	y.Mul(z, t.W)
	raw := y.RawMatrix().Data
	for i := range raw {
		v := raw[i] + TwoClusterNoise*rng.NormFloat64()
		raw[i] = t.Scale * math.Max(-TwoClusterClip, math.Min(TwoClusterClip, v))
	}
	return y, labels
}

// Latent returns the least-squares latent coordinates of samples y
// (n×N → n×10): z = argmin ‖z·W − y/Scale‖², the inverse of the linear map,
// used to read the cluster structure back out of generated samples.
func (t *TwoCluster) Latent(y *mat.Dense) (*mat.Dense, error) {
	r, _ := y.Dims()
	// Solve Wᵀ·zᵀ = (y/Scale)ᵀ by least squares.
	yt := mat.DenseCopyOf(y.T())
	yt.Scale(1/t.Scale, yt)
	var zt mat.Dense
	if err := zt.Solve(t.W.T(), yt); err != nil {
		return nil, fmt.Errorf("data: TwoCluster.Latent: %w", err)
	}
	z := mat.NewDense(r, TwoClusterLatent, nil)
	z.Copy(zt.T())
	return z, nil
}
