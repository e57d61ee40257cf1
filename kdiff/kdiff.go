// Package kdiff implements k-Diff (Jin & Wang, arXiv:2601.21419): a family of
// prediction targets on the linear (rectified-flow) path
//
//	z = s·x + (1−s)·e,   e ~ N(0, I),   s ∈ [0,1] (s = 0 noise, s = 1 data),
//
// in which the network regresses
//
//	u_k = k·x − (1−k)·e,   k ∈ [0,1],
//
// so k = 1, ½ and 0 are x-, v/2- and (−ε)-prediction. With
// g(s,k) = k(1−s) + (1−k)s the prediction û inverts to
//
//	x̂ = [(1−k)z + (1−s)û]/g,   ê = [k·z − s·û]/g,   v̂ = x̂ − ê = [(1−2k)z + û]/g,
//
// where the paper clamps g from below at 0.05 (DefaultClamp). k may be one
// learned scalar k = sigmoid(w) (LearnedK). Bridge adapts the family to the
// EDM core in package diffusion through s = 1/(1+σ), z = y/(1+σ), so the
// shared training loop, samplers and metrics drive a k-Diff network
// unchanged; Sample integrates the native ODE dz/ds = v̂.
//
// Notation: N is the ambient and n the intrinsic dimension (the paper's D and
// d; D is reserved for PFGM++).
package kdiff

import "math"

// DefaultClamp is the lower bound on g used by the paper's inversion (the
// same value as JiT's t_eps).
const DefaultClamp = 0.05

// G returns g(s,k) = k(1−s) + (1−k)s, the denominator of the inversion. It is
// linear in s, from k at s = 0 to 1−k at s = 1, so it vanishes only for k = 1
// at s = 1 and for k = 0 at s = 0.
func G(s, k float64) float64 { return k*(1-s) + (1-k)*s }

// clampG returns max(g, clamp).
func clampG(g, clamp float64) float64 { return math.Max(g, clamp) }

// Interpolate sets dst = z = s·x + (1−s)·e. It panics if the lengths differ.
func Interpolate(dst, x, e []float64, s float64) {
	if len(dst) != len(x) || len(x) != len(e) {
		panic("kdiff: Interpolate length mismatch")
	}
	for i := range dst {
		dst[i] = s*x[i] + (1-s)*e[i]
	}
}

// TargetU sets dst = u_k = k·x − (1−k)·e. It panics if the lengths differ.
func TargetU(dst, x, e []float64, k float64) {
	if len(dst) != len(x) || len(x) != len(e) {
		panic("kdiff: TargetU length mismatch")
	}
	for i := range dst {
		dst[i] = k*x[i] - (1-k)*e[i]
	}
}

// Invert converts a prediction û at (z, s) under target k into the data,
// noise and velocity estimates
//
//	x̂ = [(1−k)z + (1−s)û]/g_c,   ê = [k·z − s·û]/g_c,   v̂ = [(1−2k)z + û]/g_c,
//
// with g_c = max(g(s,k), clamp). clamp = 0 gives the exact inverse of
// (x, e) ↦ (z, u_k); DefaultClamp is the paper's. Any of xhat, ehat, vhat may
// be nil; each other slice must have len(z). The destinations may alias z or u.
func Invert(xhat, ehat, vhat, z, u []float64, s, k, clamp float64) {
	if len(u) != len(z) {
		panic("kdiff: Invert length mismatch")
	}
	for _, d := range [][]float64{xhat, ehat, vhat} {
		if d != nil && len(d) != len(z) {
			panic("kdiff: Invert length mismatch")
		}
	}
	inv := 1 / clampG(G(s, k), clamp)
	for i := range z {
		zi, ui := z[i], u[i]
		if xhat != nil {
			xhat[i] = ((1-k)*zi + (1-s)*ui) * inv
		}
		if ehat != nil {
			ehat[i] = (k*zi - s*ui) * inv
		}
		if vhat != nil {
			vhat[i] = ((1-2*k)*zi + ui) * inv
		}
	}
}

// UFromX returns the u_k prediction implied by a data estimate x̂ at (z, s),
// the inverse of the x̂ conversion: û = (g·x̂ − (1−k)·z)/(1−s) (exact, no
// clamp; s must be < 1). It is how an exact denoiser E[x|z] becomes the
// Bayes-optimal u_k predictor E[u_k|z]. dst may alias xhat or z.
func UFromX(dst, xhat, z []float64, s, k float64) {
	if len(dst) != len(z) || len(xhat) != len(z) {
		panic("kdiff: UFromX length mismatch")
	}
	g := G(s, k)
	for i := range dst {
		dst[i] = (g*xhat[i] - (1-k)*z[i]) / (1 - s)
	}
}

// Sigmoid returns 1/(1+e^{−w}).
func Sigmoid(w float64) float64 {
	if w >= 0 {
		return 1 / (1 + math.Exp(-w))
	}
	e := math.Exp(w)
	return e / (1 + e)
}

// Logit returns ln(k/(1−k)), the inverse of Sigmoid.
func Logit(k float64) float64 { return math.Log(k / (1 - k)) }
