package householder_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"genlab/householder"
)

// A rank-3 projector from R^16 to R^32: its singular values are three ones,
// and its read-off directions are orthonormal.
func ExampleBuildW() {
	rng := rand.New(rand.NewPCG(1, 1))
	pu, pv := householder.RandomP(32, rng), householder.RandomP(16, rng)
	w := householder.BuildW(pu, pv, 3)
	var svd mat.SVD
	svd.Factorize(w, mat.SVDNone)
	for i, s := range svd.Values(nil)[:5] {
		if i > 0 {
			fmt.Print(" ")
		}
		fmt.Printf("%.6f", math.Abs(s)) // Abs folds −0 into 0
	}
	fmt.Println()
	n, _ := householder.Directions(pu, pv, 3)
	var ntn mat.Dense
	ntn.Mul(n.T(), n)
	fmt.Printf("%.6f %.6f\n", ntn.At(0, 0), math.Abs(ntn.At(0, 1)))
	// Output:
	// 1.000000 1.000000 1.000000 0.000000 0.000000
	// 1.000000 0.000000
}
