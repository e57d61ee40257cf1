package kern

// The scalar route: every kernel is its pure-Go reference.

func impl() string { return "scalar" }

var (
	sgemm        = sgemmScalar
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
