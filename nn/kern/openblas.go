//go:build openblas && cgo

package kern

import "genlab/nn/kern/internal/openblas"

// With -tags openblas, Sgemm calls OpenBLAS's cblas_sgemm through gonum's
// netlib binding (internal/openblas links -lopenblas itself, so the route
// does not depend on package nn having registered OpenBLAS as blas32's
// implementation). This init runs after those of elem_amd64.go and
// gemm_amd64.go (a package's files initialise in name order), so it has the
// last word over Sgemm; the elementwise kernels keep their own route.
func init() {
	sgemm = openblas.Sgemm
	gemmName = "openblas"
}
