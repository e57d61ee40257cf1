package matching_test

import (
	"fmt"

	"genlab/data/mesh"
	"genlab/matching"
)

// The first eigenvalues of the Laplace–Beltrami operator of the unit sphere
// are l(l+1) with multiplicity 2l+1.
func ExampleLaplaceBeltrami() {
	b, err := matching.LaplaceBeltrami(mesh.Icosphere(4), 9, false, matching.EigenOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range b.Values {
		fmt.Printf("%.1f ", max(v, 0)) // λ_0 is ±1e-12
	}
	fmt.Println()
	// Output:
	// 0.0 2.0 2.0 2.0 6.0 6.0 6.0 6.0 6.0
}
