//go:build openblas

package matching

// With -tags openblas the test binary links genlab/nn, whose init makes
// gonum's BLAS (the Lanczos basis products, the projected eigenproblems) call
// OpenBLAS, as it does in every experiment binary built by make; the
// benchmarks then time the solver as the matching experiment runs it.
import _ "genlab/nn"
