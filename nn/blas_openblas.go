//go:build openblas

package nn

// #cgo LDFLAGS: -lopenblas
// char *openblas_get_corename(void);
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"

	"genlab/nn/kern"
)

// With -tags openblas, gorgonia (which forwards to tensor.Use) and gonum's
// blas32/blas64 (used by gonum/mat) call OpenBLAS through cgo. Set
// OPENBLAS_NUM_THREADS to 1–2 to avoid oversubscribing the cores together
// with goroutines. Selecting a BLAS draws no random numbers.
func init() {
	impl := netlib.Implementation{}
	G.Use(impl)
	blas64.Use(impl)
	blas32.Use(impl)
}

// BLAS names the matrix kernels in use: OpenBLAS with the core type whose
// kernels it picked for this CPU (openblas_get_corename, e.g. "SkylakeX";
// OPENBLAS_CORETYPE overrides it) behind gorgonia, gonum and kern.Sgemm, and
// kern's elementwise kernels (kern.Impl()). Different cores round
// differently, and chaotic computations (argmins over nearly equal
// distances) can then differ by more than rounding: results are
// reproducible for the same build on the same core type.
func BLAS() string {
	return "openblas " + C.GoString(C.openblas_get_corename()) + "; nn/kern " + kern.Impl()
}
