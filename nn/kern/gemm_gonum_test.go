package kern

import "testing"

// BenchmarkSgemmGonum measures gonum's pure-Go blas32 implementation, the
// baseline genlab used before this package.
func BenchmarkSgemmGonum(b *testing.B) {
	benchSgemm(b, sgemmGonum, false)
}
