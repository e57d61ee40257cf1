//go:build openblas

package nn

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
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

// BLAS names the BLAS implementation in use: "openblas" in this build.
func BLAS() string { return "openblas" }
