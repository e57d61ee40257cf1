package kern

import "fmt"

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// op(X) = X or Xᵀ, with the contract of gonum's blas32 Sgemm (cblas_sgemm
// with CblasRowMajor): op(A) is m×k, op(B) is k×n, C is m×n, stored with
// leading dimensions lda, ldb, ldc (A is m×k, or k×m if transA). beta == 0
// overwrites C (NaNs in C are ignored); alpha == 0 or k == 0 only scales C.
//
// Accumulation is in float32 (fused multiply–adds on the fast paths); the
// error of each element is within about 1e-6·√k·Σ_p|a_ip||b_pj|. On the
// assembly and OpenBLAS routes the call is single-threaded and, after the
// first call, allocation free; the gonum route of CPUs without AVX2 may run
// blocks on other goroutines and allocates. It panics on negative sizes,
// too-small leading dimensions or too-short slices.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func checkSgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kern: Sgemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMat("A", ar, ac, a, lda)
	checkMat("B", br, bc, b, ldb)
	checkMat("C", m, n, c, ldc)
}

func checkMat(name string, r, c int, x []float32, ld int) {
	if ld < max(1, c) {
		panic(fmt.Sprintf("kern: Sgemm: ld%s = %d < %d columns", name, ld, c))
	}
	if r > 0 && c > 0 && len(x) < (r-1)*ld+c {
		panic(fmt.Sprintf("kern: Sgemm: len(%s) = %d < %d for %d×%d with stride %d", name, len(x), (r-1)*ld+c, r, c, ld))
	}
}

func checkLen(fn string, want int, got ...int) {
	for _, g := range got {
		if g < want {
			panic(fmt.Sprintf("kern: %s: slice of length %d, want at least %d", fn, g, want))
		}
	}
}

// Exp returns e^x with relative error ≤ 1e-6 (measured 9.6e-8) against
// math.Exp for every float32 whose e^x is a normal float32. Exp(+Inf) =
// +Inf, Exp(−Inf) = 0, Exp(NaN) = NaN, Exp(±0) = 1; results above the largest
// float32 (x > 88.7228) are +Inf. Below x ≈ −87.34 the result is a denormal,
// within one denormal ulp (2⁻¹⁴⁹) of e^x, and 0 below x ≈ −103.97.
//
// The method is the reduction x = n·ln2 + r, |r| ≤ ln2/2, with ln2 split
// in two (Cody–Waite), a degree-7 Taylor polynomial for e^r and a scale by
// 2ⁿ through the exponent bits, in two halves.
func Exp(x float32) float32 { return expScalar(x) }

// ExpTo sets y_i = e^(x_i) for i < len(x), with the accuracy and end
// behaviour of Exp (the vector paths evaluate the same steps with fused
// multiply–adds). y may alias x. It panics if len(y) < len(x).
func ExpTo(y, x []float32) {
	checkLen("ExpTo", len(x), len(y))
	expTo(y, x)
}

// Sigmoid returns σ(x) = 1/(1+e^−x) with relative error ≤ 1e-6 (measured
// 1.4e-7) whenever σ(x) is a normal float32 (x > −87.3; below, the result
// may flush to 0), saturating exactly: σ(+Inf) = 1 (reached for
// x ≳ 17), σ(−Inf) = 0, σ(NaN) = NaN; large |x| never gives NaN.
func Sigmoid(x float32) float32 { return sigmoidScalar(x) }

// SiLU sets y_i = x_i·σ(x_i) for i < len(x), with σ as in Sigmoid (relative
// error ≤ 2e-6). y may alias x. SiLU(−Inf) is NaN (−Inf·0). It panics if
// len(y) < len(x).
func SiLU(y, x []float32) {
	checkLen("SiLU", len(x), len(y))
	silu(y, x)
}

// SiLUGrad sets dx_i = dy_i·σ(x_i)·(1 + x_i·(1−σ(x_i))), the derivative of
// SiLU times dy, for i < len(x). dx may alias dy. It panics if dx or dy is
// shorter than x.
func SiLUGrad(dx, x, dy []float32) {
	checkLen("SiLUGrad", len(x), len(dx), len(dy))
	siluGrad(dx, x, dy)
}

// SiLUGradAcc adds dy_i·σ(x_i)·(1 + x_i·(1−σ(x_i))) to dx_i for i < len(x).
// It panics if dx or dy is shorter than x.
func SiLUGradAcc(dx, x, dy []float32) {
	checkLen("SiLUGradAcc", len(x), len(dx), len(dy))
	siluGradAcc(dx, x, dy)
}

// Axpy sets y_i += alpha·x_i for i < len(x). It panics if len(y) < len(x).
func Axpy(alpha float32, x, y []float32) {
	checkLen("Axpy", len(x), len(y))
	axpy(alpha, x, y)
}

// Scale sets x_i *= alpha.
func Scale(alpha float32, x []float32) { scale(alpha, x) }

// Add sets dst_i = a_i + b_i for i < len(a); dst may alias a or b. It
// panics if dst or b is shorter than a.
func Add(dst, a, b []float32) {
	checkLen("Add", len(a), len(dst), len(b))
	add(dst, a, b)
}

// Sum returns Σ x_i accumulated in float64 in a fixed order (32 partial
// sums over i mod 32, combined pairwise, then the tail), identical in every
// build: the result depends only on x.
func Sum(x []float32) float64 { return sum(x) }

// SumSq returns Σ x_i², each square exact in float64, accumulated in the
// order of Sum.
func SumSq(x []float32) float64 { return sumSq(x) }

// Dot returns Σ x_i·y_i, each product exact in float64, accumulated in the
// order of Sum. It panics if len(y) < len(x).
func Dot(x, y []float32) float64 {
	checkLen("Dot", len(x), len(y))
	return dot(x, y)
}

// AffineTo sets y_i = a·x_i + b for i < len(x) (GroupNorm's
// normalise-and-scale with per-channel a, b); y may alias x. The fast paths
// fuse the multiply–add (one rounding instead of two). It panics if
// len(y) < len(x).
func AffineTo(y, x []float32, a, b float32) {
	checkLen("AffineTo", len(x), len(y))
	affineTo(y, x, a, b)
}

// AffineSiLUTo is the fused GroupNorm→SiLU forward: for i < len(x) it
// computes t_i = a·x_i + b and sets y_i = t_i·σ(t_i), storing t_i into
// tOut_i if tOut != nil. y may alias x. It panics if y (or a non-nil tOut)
// is shorter than x.
func AffineSiLUTo(y, tOut, x []float32, a, b float32) {
	checkLen("AffineSiLUTo", len(x), len(y))
	if tOut != nil {
		checkLen("AffineSiLUTo", len(x), len(tOut))
	}
	affineSiLUTo(y, tOut, x, a, b)
}

// AdamStep applies one Adam update to p with the formula of nn.Adam: for
// each i, with g = grad_i (+ wd·p_i if wd ≠ 0, L2 weight decay as in
// torch.optim.Adam),
//
//	m_i ← b1·m_i + (1−b1)·g,   v_i ← b2·v_i + (1−b2)·g²,
//	p_i ← p_i − (lr/c1)·m_i / (√v_i·(1/√c2) + eps),
//
// where c1 = 1−b1ᵗ and c2 = 1−b2ᵗ are the bias corrections of step t. This
// is lr·(m/c1)/(√(v/c2) + eps) evaluated in genlab's order: lr/c1 and 1/√c2
// are formed once per call in float64, the per-element arithmetic is
// float32 (genlab's Go Adam before this package used float64 per element;
// the results differ by a few ulp per step). Gradient clipping is the
// caller's: scale grad first. It panics if grad, m
// or v is shorter than p.
func AdamStep(p, grad, m, v []float32, lr, b1, b2, eps, c1, c2, wd float32) {
	checkLen("AdamStep", len(p), len(grad), len(m), len(v))
	adamStep(p, grad, m, v, lr, b1, b2, eps, c1, c2, wd)
}

// EMA sets ema_i = decay·ema_i + (1−decay)·p_i, nn.EMA's formula, in
// float32 (1−decay is formed once; the vector paths fuse the final
// multiply–add). It panics if len(p) < len(ema).
func EMA(ema, p []float32, decay float32) {
	checkLen("EMA", len(ema), len(p))
	emaUpdate(ema, p, decay)
}

// Impl names the code path this build and CPU use, for run metadata:
// "asm-avx512" when Sgemm and the elementwise kernels share a route, else
// "gemm=<route>,elem=<route>" with routes asm-avx512, asm-avx2, openblas,
// gonum (Sgemm) and asm-avx512, asm-avx2, scalar (elementwise). See the
// package documentation for which build and CPU select which.
func Impl() string { return impl() }
