package prior

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"genlab/diffusion"
)

// DistillRatio returns the k×k ratio R of DiffuMatch's mask distillation
// (get_mask_noise) from the map c (its absolute value X = |c| is used): with
// S noisy copies Y_s = |X + σ n_s|, n_s ~ N(0, I),
//
//	R = [mean_s |Y_s − D(Y_s;σ)| / (2σ)] ⊘ mean_s |Y_s|   (entrywise).
//
// Matching the score −2M²⊙C of a Gaussian likelihood exp(−‖M⊙C‖²) to the
// denoiser's score (D − C)/σ² gives M² ≈ E[(Y − D(Y))/(2σ²Y)]: R is large
// where the prior does not expect mass and small where maps that look like
// ground truth have it. den must accept rows of length k².
func DistillRatio(den diffusion.Denoiser, c mat.Matrix, sigma float64, s int, rng *rand.Rand) (*mat.Dense, error) {
	k, kc := c.Dims()
	if k != kc {
		panic(fmt.Sprintf("prior: DistillRatio: %d×%d map, want square", k, kc))
	}
	if s < 1 || !(sigma > 0) {
		panic(fmt.Sprintf("prior: DistillRatio: S = %d, σ = %g", s, sigma))
	}
	d := k * k
	x := make([]float64, d)
	AbsImage(x, c, k)
	y := mat.NewDense(s, d, nil)
	for r := 0; r < s; r++ {
		row := y.RawRowView(r)
		for j, v := range x {
			row[j] = math.Abs(v + sigma*rng.NormFloat64())
		}
	}
	den2 := mat.NewDense(s, d, nil)
	if err := den.Denoise(den2, y, sigma); err != nil {
		return nil, fmt.Errorf("prior: mask distillation at σ %g: %w", sigma, err)
	}
	num := make([]float64, d)
	dnm := make([]float64, d)
	for r := 0; r < s; r++ {
		yr, dr := y.RawRowView(r), den2.RawRowView(r)
		for j := range num {
			num[j] += math.Abs(yr[j] - dr[j])
			dnm[j] += yr[j]
		}
	}
	out := mat.NewDense(k, k, nil)
	for j := range num {
		out.Set(j/k, j%k, num[j]/(2*sigma)/dnm[j])
	}
	return out, nil
}

// DistilledMask returns DiffuMatch's mask M = √R − min(√R) with R from
// DistillRatio (no median clipping: the repo's normalize = off). It replaces
// the Laplacian weights W in matching.SolveFMap.
func DistilledMask(den diffusion.Denoiser, c mat.Matrix, sigma float64, s int, rng *rand.Rand) (*mat.Dense, error) {
	r, err := DistillRatio(den, c, sigma, s, rng)
	if err != nil {
		return nil, err
	}
	return MaskFromRatio(r), nil
}

// MaskFromRatio returns √R − min(√R).
func MaskFromRatio(r *mat.Dense) *mat.Dense {
	k, kc := r.Dims()
	out := mat.NewDense(k, kc, nil)
	mn := math.Inf(1)
	for i := 0; i < k; i++ {
		for j := 0; j < kc; j++ {
			v := math.Sqrt(r.At(i, j))
			out.Set(i, j, v)
			mn = math.Min(mn, v)
		}
	}
	for i := 0; i < k; i++ {
		for j := 0; j < kc; j++ {
			out.Set(i, j, out.At(i, j)-mn)
		}
	}
	return out
}

// GaussianRatio returns the S → ∞ limit of DistillRatio for the diagonal
// Gaussian prior N(μ, diag(v)) in closed form. Coordinate-wise,
// Y = |X + σn| is folded normal and Y − D(Y) = (1−κ)(Y − μ) with
// κ = v/(v+σ²), so
//
//	R = (1−κ)·E|Y − μ| / (2σ·E[Y]),
//	E[Y] = σ√(2/π) e^{−X²/2σ²} + X(1 − 2Φ(−X/σ)),
//	E|Y − a| = E[Y] − a + 2E[(a − Y)⁺],
//	E[(a − Y)⁺] = ∫_{−a}^{a} (a − |z|) N(z; X, σ²) dz   (0 for a ≤ 0).
//
// x and the returned slice are images of length len(mean).
func GaussianRatio(mean, variance, x []float64, sigma float64) []float64 {
	if len(mean) != len(variance) || len(x) != len(mean) {
		panic("prior: GaussianRatio: lengths differ")
	}
	out := make([]float64, len(x))
	for i := range x {
		X := math.Abs(x[i])
		ey := foldedMean(X, sigma)
		a := mean[i]
		e := ey - a
		if a > 0 {
			e += 2 * (a*nInt(0, a, X, sigma) - zInt(0, a, X, sigma) + a*nInt(-a, 0, X, sigma) + zInt(-a, 0, X, sigma))
		}
		kappa := variance[i] / (variance[i] + sigma*sigma)
		out[i] = (1 - kappa) * e / (2 * sigma * ey)
	}
	return out
}

func stdPhi(z float64) float64 { return math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }
func stdCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// foldedMean is E|Z| for Z ~ N(x, σ²).
func foldedMean(x, sigma float64) float64 {
	return sigma*math.Sqrt(2/math.Pi)*math.Exp(-x*x/(2*sigma*sigma)) + x*(1-2*stdCDF(-x/sigma))
}

// nInt is ∫_l^u N(z; x, σ²) dz.
func nInt(l, u, x, sigma float64) float64 { return stdCDF((u-x)/sigma) - stdCDF((l-x)/sigma) }

// zInt is ∫_l^u z N(z; x, σ²) dz = x·nInt + σ(φ(α) − φ(β)), α = (l−x)/σ, β = (u−x)/σ.
func zInt(l, u, x, sigma float64) float64 {
	return x*nInt(l, u, x, sigma) + sigma*(stdPhi((l-x)/sigma)-stdPhi((u-x)/sigma))
}

// MeanMapMask returns the k×k mask W_ij = 1/(m_ij + eps) of the mean image
// m (length k², e.g. MeanImage of the training |C|): method M3, which tests
// whether a diffusion prior adds anything beyond the average map.
func MeanMapMask(mean []float64, k int, eps float64) *mat.Dense {
	if len(mean) != k*k {
		panic(fmt.Sprintf("prior: MeanMapMask: mean image of %d entries, want %d", len(mean), k*k))
	}
	w := mat.NewDense(k, k, nil)
	for j, v := range mean {
		w.Set(j/k, j%k, 1/(v+eps))
	}
	return w
}
