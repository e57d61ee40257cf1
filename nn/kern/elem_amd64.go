//go:build amd64 && !purego

package kern

import "golang.org/x/sys/cpu"

// AVX2+FMA elementwise kernels (elem_amd64.s). Each takes a pointer and a
// count that is a multiple of 8 (32 for the reductions, 16 for the AVX-512
// ones); the wrappers below pass the leading multiple and finish the tail
// with the scalar reference.

//go:noescape
func expAVX2(y, x *float32, n int)

//go:noescape
func siluAVX2(y, x *float32, n int)

//go:noescape
func siluGradAVX2(dx, x, dy *float32, n int, acc bool)

//go:noescape
func affineSiLUAVX2(y, t, x *float32, n int, a, b float32)

//go:noescape
func affineAVX2(y, x *float32, n int, a, b float32)

//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func scaleAVX2(alpha float32, x *float32, n int)

//go:noescape
func addAVX2(dst, a, b *float32, n int)

//go:noescape
func emaAVX2(ema, p *float32, n int, decay, od float32)

//go:noescape
func adamAVX2(p, grad, m, v *float32, n int, b1, ob1, b2, ob2, eps, step, isq, wd float32)

//go:noescape
func sumAVX2(x *float32, n int) float64

//go:noescape
func sumSqAVX2(x *float32, n int) float64

//go:noescape
func dotAVX2(x, y *float32, n int) float64

//go:noescape
func expAVX512(y, x *float32, n int)

//go:noescape
func siluAVX512(y, x *float32, n int)

//go:noescape
func siluGradAVX512(dx, x, dy *float32, n int, acc bool)

//go:noescape
func affineSiLUAVX512(y, t, x *float32, n int, a, b float32)

func init() {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		return
	}
	useElemAVX2()
	if cpu.X86.HasAVX512F {
		useElemAVX512()
	}
}

// useElemAVX512 replaces the exp-based kernels by their 16-lane versions;
// the others stay AVX2 (they are memory bound).
func useElemAVX512() {
	elemName = "asm-avx512"
	expTo = func(y, x []float32) {
		n := len(x) &^ 15
		if n > 0 {
			_ = y[n-1]
			expAVX512(&y[0], &x[0], n)
		}
		expToScalar(y[n:], x[n:])
	}
	silu = func(y, x []float32) {
		n := len(x) &^ 15
		if n > 0 {
			_ = y[n-1]
			siluAVX512(&y[0], &x[0], n)
		}
		siluScalar(y[n:], x[n:])
	}
	siluGrad = func(dx, x, dy []float32) {
		n := len(x) &^ 15
		if n > 0 {
			_, _ = dx[n-1], dy[n-1]
			siluGradAVX512(&dx[0], &x[0], &dy[0], n, false)
		}
		siluGradScalar(dx[n:], x[n:], dy[n:])
	}
	siluGradAcc = func(dx, x, dy []float32) {
		n := len(x) &^ 15
		if n > 0 {
			_, _ = dx[n-1], dy[n-1]
			siluGradAVX512(&dx[0], &x[0], &dy[0], n, true)
		}
		siluGradAccScalar(dx[n:], x[n:], dy[n:])
	}
	affineSiLUTo = func(y, tOut, x []float32, a, b float32) {
		n := len(x) &^ 15
		if n > 0 {
			_ = y[n-1]
			var tp *float32
			if tOut != nil {
				_ = tOut[n-1]
				tp = &tOut[0]
			}
			affineSiLUAVX512(&y[0], tp, &x[0], n, a, b)
		}
		if tOut != nil {
			tOut = tOut[n:]
		}
		affineSiLUToScalar(y[n:], tOut, x[n:], a, b)
	}
}

func useElemAVX2() {
	elemName = "asm-avx2"
	expTo = func(y, x []float32) {
		if n := len(x) &^ 7; n > 0 {
			expAVX2(&y[0], &x[0], n)
		}
		expToScalar(y[len(x)&^7:], x[len(x)&^7:])
	}
	silu = func(y, x []float32) {
		if n := len(x) &^ 7; n > 0 {
			siluAVX2(&y[0], &x[0], n)
		}
		siluScalar(y[len(x)&^7:], x[len(x)&^7:])
	}
	siluGrad = func(dx, x, dy []float32) {
		if n := len(x) &^ 7; n > 0 {
			siluGradAVX2(&dx[0], &x[0], &dy[0], n, false)
		}
		n := len(x) &^ 7
		siluGradScalar(dx[n:], x[n:], dy[n:])
	}
	siluGradAcc = func(dx, x, dy []float32) {
		if n := len(x) &^ 7; n > 0 {
			siluGradAVX2(&dx[0], &x[0], &dy[0], n, true)
		}
		n := len(x) &^ 7
		siluGradAccScalar(dx[n:], x[n:], dy[n:])
	}
	affineSiLUTo = func(y, tOut, x []float32, a, b float32) {
		n := len(x) &^ 7
		if n > 0 {
			var tp *float32
			if tOut != nil {
				tp = &tOut[0]
			}
			affineSiLUAVX2(&y[0], tp, &x[0], n, a, b)
		}
		if tOut != nil {
			tOut = tOut[n:]
		}
		affineSiLUToScalar(y[n:], tOut, x[n:], a, b)
	}
	affineTo = func(y, x []float32, a, b float32) {
		n := len(x) &^ 7
		if n > 0 {
			affineAVX2(&y[0], &x[0], n, a, b)
		}
		affineToScalar(y[n:], x[n:], a, b)
	}
	axpy = func(alpha float32, x, y []float32) {
		n := len(x) &^ 7
		if n > 0 {
			axpyAVX2(alpha, &x[0], &y[0], n)
		}
		axpyScalar(alpha, x[n:], y[n:])
	}
	scale = func(alpha float32, x []float32) {
		n := len(x) &^ 7
		if n > 0 {
			scaleAVX2(alpha, &x[0], n)
		}
		scaleScalar(alpha, x[n:])
	}
	add = func(dst, a, b []float32) {
		n := len(a) &^ 7
		if n > 0 {
			addAVX2(&dst[0], &a[0], &b[0], n)
		}
		addScalar(dst[n:], a[n:], b[n:])
	}
	emaUpdate = func(ema, p []float32, decay float32) {
		n := len(ema) &^ 7
		if n > 0 {
			emaAVX2(&ema[0], &p[0], n, decay, 1-decay)
		}
		emaScalar(ema[n:], p[n:], decay)
	}
	adamStep = func(p, grad, m, v []float32, lr, b1, b2, eps, c1, c2, wd float32) {
		n := len(p) &^ 7
		if n > 0 {
			step, isq := adamConsts(lr, c1, c2)
			adamAVX2(&p[0], &grad[0], &m[0], &v[0], n, b1, 1-b1, b2, 1-b2, eps, step, isq, wd)
		}
		adamStepScalar(p[n:], grad[n:], m[n:], v[n:], lr, b1, b2, eps, c1, c2, wd)
	}
	sum = func(x []float32) float64 {
		n := len(x) &^ 31
		t := 0.0
		if n > 0 {
			t = sumAVX2(&x[0], n)
		}
		for _, v := range x[n:] {
			t += float64(v)
		}
		return t
	}
	sumSq = func(x []float32) float64 {
		n := len(x) &^ 31
		t := 0.0
		if n > 0 {
			t = sumSqAVX2(&x[0], n)
		}
		for _, v := range x[n:] {
			t += float64(v) * float64(v)
		}
		return t
	}
	dot = func(x, y []float32) float64 {
		n := len(x) &^ 31
		t := 0.0
		if n > 0 {
			t = dotAVX2(&x[0], &y[0], n)
		}
		for i := n; i < len(x); i++ {
			t += float64(x[i]) * float64(y[i])
		}
		return t
	}
}
