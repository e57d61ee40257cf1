//go:build !openblas

package nn

import "genlab/nn/kern"

// BLAS names the matrix kernels of this build, for run metadata: nn's own
// float32 kernels (kern.Impl(), e.g. "gemm=asm-avx512,elem=asm-avx2") for
// the engine and the convolutions, and gonum's pure-Go BLAS for the rest of
// gorgonia and gonum/mat.
func BLAS() string { return "nn/kern " + kern.Impl() + "; gonum (pure Go)" }
