package prior_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"genlab/matching/prior"
)

// The mask of a diagonal Gaussian prior in closed form: the prior expects
// mass 0.9 on the diagonal and 0.05 off it, so a map with that pattern gets
// a mask that is (near) zero on the diagonal and positive off it.
func ExampleGaussianRatio() {
	mean := []float64{0.9, 0.05, 0.05, 0.9}
	variance := []float64{0.01, 0.001, 0.001, 0.01}
	x := []float64{0.95, 0.1, 0.02, 0.85}
	r := prior.GaussianRatio(mean, variance, x, 1)
	m := prior.MaskFromRatio(mat.NewDense(2, 2, r))
	fmt.Printf("R = %.3f\nM = %.3f\n", r, mat.Formatted(m, mat.Squeeze()))
	// Output:
	// R = [0.280 0.470 0.469 0.283]
	// M = ⎡0.000  0.156⎤
	// ⎣0.156  0.003⎦
}
