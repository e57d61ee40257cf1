//go:build !openblas

package nn

// BLAS names the BLAS implementation gorgonia, tensor and gonum use in this
// build, for run metadata: "gonum (pure Go)" by default, "openblas" when
// built with -tags openblas.
func BLAS() string { return "gonum (pure Go)" }
