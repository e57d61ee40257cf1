package kern

import "math"

// This file holds the pure-Go reference implementations. They are used
// directly in the scalar build and stay callable from the tests in every
// build, so that each fast path can be checked against them.

// Constants of the exp range reduction x = n·ln2 + r, |r| ≤ ln2/2. ln2 is
// split Cody–Waite style: ln2Hi has 9 significant bits, so n·ln2Hi is exact
// for |n| ≤ 2¹⁵ and x − n·ln2Hi is exact for the float32 x that reach it.
const (
	log2e = 1.44269504088896340736
	ln2Hi = 0.693359375
	ln2Lo = -2.12194440054690583e-4
	// expHi and expLo clamp the argument; e^expHi overflows float32 and
	// e^expLo is below half the smallest denormal, so the clamped values
	// give +Inf and 0.
	expHi      = 89
	roundMagic = 0x1.8p23
	expLo      = -104
)

// Taylor coefficients 1/k! of e^r on |r| ≤ ln2/2, degree 7. The truncation
// error is ≤ (ln2/2)⁸/8! ≈ 5e-9, far below float32 rounding.
const (
	expC2 = 1.0 / 2
	expC3 = 1.0 / 6
	expC4 = 1.0 / 24
	expC5 = 1.0 / 120
	expC6 = 1.0 / 720
	expC7 = 1.0 / 5040
)

// expScalar is the reference e^x; see Exp.
func expScalar(x float32) float32 {
	if x != x {
		return x
	}
	if x > expHi {
		x = expHi
	} else if x < expLo {
		x = expLo
	}
	// Adding and subtracting 1.5·2²³ rounds to the nearest integer, ties to
	// even (|x·log2e| < 2²²), exactly as the vector code's VROUNDPS.
	n := (x*log2e + roundMagic) - roundMagic
	r := (x - n*ln2Hi) - n*ln2Lo
	p := float32(expC7)
	p = p*r + expC6
	p = p*r + expC5
	p = p*r + expC4
	p = p*r + expC3
	p = p*r + expC2
	p = p*r + 1
	p = p*r + 1
	// Scale by 2ⁿ in two exact halves so that n ∈ [−150, 129] neither
	// overflows the exponent field nor loses the denormal range.
	ni := int32(n)
	h := ni >> 1
	s1 := math.Float32frombits(uint32(h+127) << 23)
	s2 := math.Float32frombits(uint32(ni-h+127) << 23)
	return p * s1 * s2
}

func expToScalar(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = expScalar(v)
	}
}

// sigmoidScalar is the reference σ(x); see Sigmoid.
func sigmoidScalar(x float32) float32 {
	return 1 / (1 + expScalar(-x))
}

func siluScalar(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = v * sigmoidScalar(v)
	}
}

func siluGradScalar(dx, x, dy []float32) {
	dx, dy = dx[:len(x)], dy[:len(x)]
	for i, v := range x {
		s := sigmoidScalar(v)
		dx[i] = dy[i] * s * (1 + v*(1-s))
	}
}

func siluGradAccScalar(dx, x, dy []float32) {
	dx, dy = dx[:len(x)], dy[:len(x)]
	for i, v := range x {
		s := sigmoidScalar(v)
		dx[i] += dy[i] * s * (1 + v*(1-s))
	}
}

func axpyScalar(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func scaleScalar(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

func addScalar(dst, a, b []float32) {
	dst, b = dst[:len(a)], b[:len(a)]
	for i, v := range a {
		dst[i] = v + b[i]
	}
}

// The float64 reductions keep 32 partial sums s[i mod 32] over the leading
// multiple of 32 and combine them by combine32, then add the tail in order.
// A SIMD path with eight 4-lane float64 accumulators (accumulator j holds
// s[4j…4j+3]) reproduces this order, hence the result, exactly; 32 chains
// keep the adds from waiting on each other's latency.

// combine32 adds accumulator j+4 to j, then 2 to 0 and 3 to 1, then 1 to 0
// (lane-wise), then lanes 2 to 0 and 3 to 1, then 1 to 0.
func combine32(s *[32]float64) float64 {
	var d [4]float64
	for q := range d {
		b0, b1 := s[q]+s[16+q], s[4+q]+s[20+q]
		b2, b3 := s[8+q]+s[24+q], s[12+q]+s[28+q]
		d[q] = (b0 + b2) + (b1 + b3)
	}
	return (d[0] + d[2]) + (d[1] + d[3])
}

func sumScalar(x []float32) float64 {
	var s [32]float64
	n := len(x) &^ 31
	for i := 0; i < n; i += 32 {
		v := x[i : i+32 : i+32]
		for j := range s {
			s[j] += float64(v[j])
		}
	}
	t := combine32(&s)
	for _, v := range x[n:] {
		t += float64(v)
	}
	return t
}

func sumSqScalar(x []float32) float64 {
	var s [32]float64
	n := len(x) &^ 31
	for i := 0; i < n; i += 32 {
		v := x[i : i+32 : i+32]
		for j := range s {
			s[j] += float64(v[j]) * float64(v[j])
		}
	}
	t := combine32(&s)
	for _, v := range x[n:] {
		t += float64(v) * float64(v)
	}
	return t
}

func dotScalar(x, y []float32) float64 {
	y = y[:len(x)]
	var s [32]float64
	n := len(x) &^ 31
	for i := 0; i < n; i += 32 {
		u, v := x[i:i+32:i+32], y[i:i+32:i+32]
		for j := range s {
			s[j] += float64(u[j]) * float64(v[j])
		}
	}
	t := combine32(&s)
	for i := n; i < len(x); i++ {
		t += float64(x[i]) * float64(y[i])
	}
	return t
}

func affineToScalar(y, x []float32, a, b float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = a*v + b
	}
}

func affineSiLUToScalar(y, tOut, x []float32, a, b float32) {
	y = y[:len(x)]
	if tOut != nil {
		tOut = tOut[:len(x)]
		for i, v := range x {
			t := a*v + b
			tOut[i] = t
			y[i] = t * sigmoidScalar(t)
		}
		return
	}
	for i, v := range x {
		t := a*v + b
		y[i] = t * sigmoidScalar(t)
	}
}

// adamConsts returns the per-call constants of AdamStep, computed in
// float64 as nn.Adam does: the step size lr/c1 and 1/√c2.
func adamConsts(lr, c1, c2 float32) (step, isq float32) {
	return float32(float64(lr) / float64(c1)), float32(1 / math.Sqrt(float64(c2)))
}

func adamStepScalar(p, grad, m, v []float32, lr, b1, b2, eps, c1, c2, wd float32) {
	grad, m, v = grad[:len(p)], m[:len(p)], v[:len(p)]
	step, isq := adamConsts(lr, c1, c2)
	ob1, ob2 := 1-b1, 1-b2
	for i := range p {
		g := grad[i]
		if wd != 0 {
			g += wd * p[i]
		}
		mi := b1*m[i] + ob1*g
		vi := b2*v[i] + ob2*(g*g)
		m[i], v[i] = mi, vi
		p[i] -= step * mi / (float32(math.Sqrt(float64(vi)))*isq + eps)
	}
}

func emaScalar(ema, p []float32, decay float32) {
	p = p[:len(ema)]
	od := 1 - decay
	for i := range ema {
		ema[i] = decay*ema[i] + od*p[i]
	}
}

// sgemmScalar is the reference Sgemm: beta scaling of C, then a loop nest
// that walks rows of C and, for op(B) = B, rows of B (dot products of rows
// for A·Bᵀ).
func sgemmScalar(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	scaleC(m, n, beta, c, ldc)
	if alpha == 0 || k == 0 {
		return
	}
	if transB && !transA {
		// Rows of A and of B are both contiguous: dot products.
		for i := 0; i < m; i++ {
			ai := a[i*lda : i*lda+k]
			ci := c[i*ldc : i*ldc+n]
			for j := range ci {
				bj := b[j*ldb : j*ldb+k]
				var s float32
				for p, v := range ai {
					s += v * bj[p]
				}
				ci[j] += alpha * s
			}
		}
		return
	}
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		for p := 0; p < k; p++ {
			var aip float32
			if transA {
				aip = a[p*lda+i]
			} else {
				aip = a[i*lda+p]
			}
			aip *= alpha
			if transB {
				for j := range ci {
					ci[j] += aip * b[j*ldb+p]
				}
			} else {
				bp := b[p*ldb : p*ldb+n]
				for j, bv := range bp {
					ci[j] += aip * bv
				}
			}
		}
	}
}
