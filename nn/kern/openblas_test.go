//go:build openblas && cgo

package kern

import (
	"math/rand/v2"
	"testing"

	"genlab/nn/kern/internal/openblas"
)

// BenchmarkSgemmOpenBLAS measures OpenBLAS directly (set
// OPENBLAS_NUM_THREADS=1 for a single-core figure).
func BenchmarkSgemmOpenBLAS(b *testing.B) { benchSgemm(b, openblas.Sgemm, true) }

// TestSgemmOpenBLAS runs OpenBLAS through the Sgemm contract's cases.
func TestSgemmOpenBLAS(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, s := range [][3]int{{1, 1, 1}, {7, 17, 33}, {67, 97, 300}} {
				checkSgemmCase(t, "openblas", openblas.Sgemm, rng, tA, tB, s[0], s[1], s[2], 1, 1, 0)
				checkSgemmCase(t, "openblas", openblas.Sgemm, rng, tA, tB, s[0], s[1], s[2], 2, -0.5, 1.5)
			}
		}
	}
}
