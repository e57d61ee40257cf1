package metrics_test

import (
	"fmt"

	"genlab/metrics"
	"gonum.org/v1/gonum/mat"
)

// The Fréchet distance between N(μ1, diag(4, 1)) and N(μ2, diag(1, 1)) with
// ‖μ1−μ2‖² = 1 is 1 + (2−1)² + (1−1)² = 2.
func ExampleFrechet() {
	mu1 := []float64{1, 0}
	s1 := mat.NewSymDense(2, []float64{4, 0, 0, 1})
	mu2 := []float64{0, 0}
	s2 := mat.NewSymDense(2, []float64{1, 0, 0, 1})
	d2, err := metrics.Frechet(mu1, s1, mu2, s2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("FD = %.4f\n", d2)

	mean, half := metrics.MeanCI95([]float64{1, 2, 3})
	fmt.Printf("mean %.1f ± %.3f (95%% CI)\n", mean, half)
	// Output:
	// FD = 2.0000
	// mean 2.0 ± 2.484 (95% CI)
}
