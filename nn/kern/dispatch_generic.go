package kern

// The routes: every kernel starts as its pure-Go reference; init functions
// of the amd64 (assembly) and simd (archsimd) files replace what the CPU
// supports, and the openblas build replaces Sgemm last. gemmName and
// elemName record the choice for Impl.

var (
	gemmName = "scalar"
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
	sgemm        = sgemmScalar
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
