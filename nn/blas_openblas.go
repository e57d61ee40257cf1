//go:build openblas

package nn

// #cgo LDFLAGS: -lopenblas
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

// BLAS names the matrix kernels in use: OpenBLAS behind gorgonia, gonum and
// kern.Sgemm, and kern's elementwise kernels (kern.Impl()).
func BLAS() string { return "openblas; nn/kern " + kern.Impl() }
