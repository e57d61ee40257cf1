package metrics

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// DimEstimate is an intrinsic-dimension estimate with its 95% interval.
type DimEstimate struct {
	Dim    float64 // the point estimate
	Lo, Hi float64 // the 95% interval
	N      int     // points that entered the estimate
	Method string  // "two-nn" or "mle-k=<k>"
}

func (e DimEstimate) String() string {
	return fmt.Sprintf("%s: %.2f [%.2f, %.2f] (N = %d)", e.Method, e.Dim, e.Lo, e.Hi, e.N)
}

// neighbourDists returns, for every row of x, the distances to its k nearest
// other rows in increasing order (rows × k). Distances come from
// ‖a‖² + ‖b‖² − 2a·b in blocks of rows, clamped at 0; exact duplicates give
// distance 0.
func neighbourDists(x *mat.Dense, k int) ([][]float64, error) {
	n, dim := x.Dims()
	if n < k+1 {
		return nil, fmt.Errorf("intrinsic dimension: %d points, need at least %d", n, k+1)
	}
	sq := make([]float64, n)
	for i := range sq {
		r := x.RawRowView(i)
		for _, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("intrinsic dimension: row %d is not finite", i)
			}
		}
		sq[i] = mat.Dot(mat.NewVecDense(dim, r), mat.NewVecDense(dim, r))
	}
	out := make([][]float64, n)
	const block = 256
	var g mat.Dense
	for b0 := 0; b0 < n; b0 += block {
		b1 := min(b0+block, n)
		g.Reset()
		g.Mul(x.Slice(b0, b1, 0, dim), x.T())
		for i := b0; i < b1; i++ {
			best := make([]float64, 0, k+1) // sorted ascending, at most k
			row := g.RawRowView(i - b0)
			for j, dot := range row {
				if j == i {
					continue
				}
				d2 := max(sq[i]+sq[j]-2*dot, 0)
				if len(best) == k && d2 >= best[k-1] {
					continue
				}
				p := sort.SearchFloat64s(best, d2)
				if len(best) < k {
					best = append(best, 0)
				}
				copy(best[p+1:], best[p:len(best)-1])
				best[p] = d2
			}
			for a := range best {
				best[a] = math.Sqrt(best[a])
			}
			out[i] = best
		}
	}
	return out, nil
}

// TwoNN estimates the intrinsic dimension d of the rows of x by the two-NN
// method (Facco et al., 2017). With r₁ ≤ r₂ a point's distances to its two
// nearest neighbours, μ = r₂/r₁ follows the Pareto law P(μ > t) = t^−d when
// the density is locally uniform on a d-manifold, so the maximum-likelihood
// estimate over m points is d̂ = m / Σ log μᵢ. Since 2d·Σ log μᵢ ~ χ²(2m),
// the 95% interval is [χ²₀.₀₂₅(2m), χ²₀.₉₇₅(2m)] / (2 Σ log μᵢ). Points with
// r₁ = 0 (a duplicate) are left out.
func TwoNN(x *mat.Dense) (DimEstimate, error) {
	nd, err := neighbourDists(x, 2)
	if err != nil {
		return DimEstimate{}, err
	}
	var s float64
	m := 0
	for _, r := range nd {
		if r[0] > 0 && r[1] > 0 {
			s += math.Log(r[1] / r[0])
			m++
		}
	}
	if m < 2 || s <= 0 {
		return DimEstimate{}, errors.New("intrinsic dimension: too few distinct points for two-NN")
	}
	lo, hi := twoNNInterval(m, s)
	return DimEstimate{Dim: float64(m) / s, Lo: lo, Hi: hi, N: m, Method: "two-nn"}, nil
}

// twoNNInterval is the exact 95% interval of d from m Pareto log-ratios
// summing to s: 2d·s ~ χ²(2m).
func twoNNInterval(m int, s float64) (lo, hi float64) {
	chi := distuv.ChiSquared{K: float64(2 * m)}
	return chi.Quantile(0.025) / (2 * s), chi.Quantile(0.975) / (2 * s)
}

// MLEDim estimates the intrinsic dimension by the k-nearest-neighbour
// maximum-likelihood estimator of Levina and Bickel (2005), pooled as
// MacKay and Ghahramani suggest: each point's inverse estimate
// 1/m̂ₖ(x) = 1/(k−1) Σⱼ₌₁^{k−1} log(Tₖ/Tⱼ), with Tⱼ the distance to the j-th
// neighbour, is averaged over points and inverted. The 95% interval is the
// percentile bootstrap over points (boot resamples from rng).
func MLEDim(x *mat.Dense, k, boot int, rng *rand.Rand) (DimEstimate, error) {
	if k < 3 {
		return DimEstimate{}, fmt.Errorf("intrinsic dimension: MLE needs k ≥ 3, got %d", k)
	}
	nd, err := neighbourDists(x, k)
	if err != nil {
		return DimEstimate{}, err
	}
	inv := make([]float64, 0, len(nd))
	for _, r := range nd {
		if r[0] <= 0 {
			continue
		}
		var s float64
		for j := 0; j < k-1; j++ {
			s += math.Log(r[k-1] / r[j])
		}
		inv = append(inv, s/float64(k-1))
	}
	if len(inv) < 2 {
		return DimEstimate{}, errors.New("intrinsic dimension: too few distinct points for the MLE")
	}
	mean := func(idx func(i int) int) float64 {
		var s float64
		for i := range inv {
			s += inv[idx(i)]
		}
		return s / float64(len(inv))
	}
	est := DimEstimate{Dim: 1 / mean(func(i int) int { return i }), N: len(inv), Method: fmt.Sprintf("mle-k=%d", k)}
	if boot < 2 {
		est.Lo, est.Hi = math.NaN(), math.NaN()
		return est, nil
	}
	bs := make([]float64, boot)
	for b := range bs {
		bs[b] = 1 / mean(func(int) int { return rng.IntN(len(inv)) })
	}
	sort.Float64s(bs)
	est.Lo, est.Hi = bs[int(0.025*float64(boot-1))], bs[int(math.Ceil(0.975*float64(boot-1)))]
	return est, nil
}
