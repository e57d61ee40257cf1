package metrics

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// RowNorms returns the Euclidean norm ‖x_i‖ of each row of x.
func RowNorms(x *mat.Dense) []float64 {
	n, _ := x.Dims()
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Sqrt(mat.Dot(x.RowView(i), x.RowView(i)))
	}
	return out
}

// Quantile returns the p-quantile (0 ≤ p ≤ 1) of the ascending, non-empty
// sorted by linear interpolation between order statistics (Hyndman–Fan
// type 7, NumPy's default):
//
//	h = p·(n−1),  Q(p) = s_⌊h⌋ + (h − ⌊h⌋)·(s_⌊h⌋+1 − s_⌊h⌋).
func Quantile(sorted []float64, p float64) float64 {
	h := p * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// Hill returns the Hill estimate of the tail index α of the ascending
// sorted from its k largest values,
//
//	α̂ = k / Σ_{i<k} ln(s_(n−i) / s_(n−k)),
//
// for a tail P(X > x) ∝ x^−α (a Student-t with ν degrees of freedom has
// α = ν). It is NaN when k ≥ n or the threshold s_(n−k) is not positive.
func Hill(sorted []float64, k int) float64 {
	n := len(sorted)
	if k >= n || sorted[n-k-1] <= 0 {
		return math.NaN()
	}
	base := sorted[n-k-1]
	var h float64
	for i := 0; i < k; i++ {
		h += math.Log(sorted[n-1-i] / base)
	}
	return float64(k) / h
}
