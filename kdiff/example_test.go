package kdiff_test

import (
	"fmt"

	"genlab/kdiff"
)

// The target u_k and its inversion at k = 0.75 and s = 0.4.
func ExampleInvert() {
	x, e := []float64{1, -2}, []float64{0.5, 0.25}
	s, k := 0.4, 0.75
	z, u := make([]float64, 2), make([]float64, 2)
	kdiff.Interpolate(z, x, e, s)
	kdiff.TargetU(u, x, e, k)
	xh, eh, vh := make([]float64, 2), make([]float64, 2), make([]float64, 2)
	kdiff.Invert(xh, eh, vh, z, u, s, k, kdiff.DefaultClamp)
	fmt.Printf("g = %.2f\nu = %.4f\nx̂ = %.4f\nê = %.4f\nv̂ = %.4f\n", kdiff.G(s, k), u, xh, eh, vh)
	// Output:
	// g = 0.55
	// u = [0.6250 -1.5625]
	// x̂ = [1.0000 -2.0000]
	// ê = [0.5000 0.2500]
	// v̂ = [0.5000 -2.2500]
}
