package pfgm_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genlab/pfgm"
)

// The norm spread of PFGM++ noise relative to Gaussian noise at the same σ
// is set by N/D: the coefficient of variation of ρ² at N = 784.
func ExampleKernel_CVRho2() {
	for _, s := range []string{"16", "128", "2048", "inf"} {
		d, _ := pfgm.ParseD(s)
		k := pfgm.Kernel{D: d}
		fmt.Printf("%s: CV(ρ²) = %.3f, E[ρ²]/(Nσ²) = %.4f\n", k, k.CVRho2(784), k.MeanRho2(784, 1)/784)
	}
	// Output:
	// D=16: CV(ρ²) = 0.412, E[ρ²]/(Nσ²) = 1.1429
	// D=128: CV(ρ²) = 0.137, E[ρ²]/(Nσ²) = 1.0159
	// D=2048: CV(ρ²) = 0.059, E[ρ²]/(Nσ²) = 1.0010
	// D=inf: CV(ρ²) = 0.051, E[ρ²]/(Nσ²) = 1.0000
}

// Perturbing a point and drawing the prior at σ_max = 80 with D = 4.
func ExampleKernel_Perturb() {
	k := pfgm.Kernel{D: 4}
	rng := rand.New(rand.NewPCG(1, 2))
	y := []float64{0.5, -0.5}
	x := make([]float64, 2)
	k.Perturb(x, y, 0.1, rng)
	fmt.Printf("r = σ√D = %.1f at σ = 0.1; perturbed point finite: %v\n", k.R(0.1), !math.IsNaN(x[0]+x[1]))
	k.Prior(x, 80, rng)
	fmt.Printf("prior radius r_max = %.0f\n", k.R(80))
	// Output:
	// r = σ√D = 0.2 at σ = 0.1; perturbed point finite: true
	// prior radius r_max = 160
}
