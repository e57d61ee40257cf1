package data

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// PooledStd is the standard deviation of all coordinates of x about their
// own column means, with one degree of freedom per column:
//
//	s² = Σ_j Σ_i (x_ij − x̄_j)² / (r·c − c)
//
// for an r×c matrix (r ≥ 2). Experiments use it as EDM's σ_data.
func PooledStd(x *mat.Dense) float64 {
	r, c := x.Dims()
	var s float64
	for j := 0; j < c; j++ {
		var m float64
		for i := 0; i < r; i++ {
			m += x.At(i, j)
		}
		m /= float64(r)
		for i := 0; i < r; i++ {
			d := x.At(i, j) - m
			s += d * d
		}
	}
	return math.Sqrt(s / float64(r*c-c))
}
