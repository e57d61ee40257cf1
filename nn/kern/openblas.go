//go:build openblas && cgo

package kern

import "genlab/nn/kern/internal/openblas"

// With -tags openblas, Sgemm calls OpenBLAS's cblas_sgemm through gonum's
// netlib binding (internal/openblas links -lopenblas itself, so the route
// does not depend on package nn having registered OpenBLAS as blas32's
// implementation) — unless the CPU runs the AVX-512 assembly kernel, which
// measured 1.2–2× faster than Debian's OpenBLAS 0.3.21 (AVX2 kernels on
// Zen 5) on every shape of BenchmarkSgemm. OpenBLAS beats the AVX2 assembly
// kernel, so it replaces that one. This init runs after those of
// elem_amd64.go and gemm_amd64.go (a package's files initialise in name
// order), so it has the last word; the elementwise kernels keep their route.
func init() {
	if gemmName != "asm-avx512" {
		sgemm = openblas.Sgemm
		gemmName = "openblas"
	}
}
