package kern

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// The routes: Sgemm starts as gonum's pure-Go blas32 implementation (3–5×
// faster per core than sgemmScalar, which stays the reference) and the elementwise
// kernels as their scalar references; the init functions of the amd64
// assembly files replace what the CPU supports, and the openblas build
// replaces Sgemm last. gemmName and elemName record the choice for Impl.

var (
	gemmName = "gonum"
	elemName = "scalar"
)

func impl() string {
	if gemmName == elemName {
		return gemmName
	}
	return "gemm=" + gemmName + ",elem=" + elemName
}

// useGemm routes Sgemm through the blocked driver with kernel g.
func useGemm(g *gemmKernel) {
	sgemm = g.sgemm
	gemmName = g.name
}

var (
	sgemm        = sgemmGonum
	expTo        = expToScalar
	silu         = siluScalar
	siluGrad     = siluGradScalar
	siluGradAcc  = siluGradAccScalar
	axpy         = axpyScalar
	scale        = scaleScalar
	add          = addScalar
	sum          = sumScalar
	sumSq        = sumSqScalar
	dot          = dotScalar
	affineTo     = affineToScalar
	affineSiLUTo = affineSiLUToScalar
	adamStep     = adamStepScalar
	emaUpdate    = emaScalar
)

func sgemmGonum(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gonum.Implementation{}.Sgemm(blasTrans(transA), blasTrans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func blasTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}
