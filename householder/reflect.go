// Package householder implements the Householder projector (HP) of Song et
// al. (ICCV 2023): a style affine s = W·w + b whose weight is
//
//	W = O(P_U)·S·O(P_V),   O(P) = H(p_1)·H(p_2)···H(p_r),   H(v) = I − 2·v·vᵀ/‖v‖²,
//
// with S the fixed C×d selector (S_ii = 1 for i < k), so W has rank k and
// its k non-zero singular values are exactly 1. It also holds the
// baselines (SeFa, GANSpace, random directions) and the read-off of edit
// directions. The small style-based GAN on which they are compared is
// householder/gan; the disentanglement scores are in metrics. All projector
// maths is float64.
package householder

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// reflectInPlace applies H(u) = I − 2·u·uᵀ to y for a unit vector u:
// y ← y − 2u(uᵀy).
func reflectInPlace(y, u []float64) {
	var d float64
	for i, v := range u {
		d += v * y[i]
	}
	d *= 2
	for i, v := range u {
		y[i] -= d * v
	}
}

// unitColumns returns the columns of P (n×r) normalised to unit ℓ2 norm and
// their original norms. A zero column panics (H is undefined).
func unitColumns(p *mat.Dense) (u [][]float64, norms []float64) {
	n, r := p.Dims()
	u = make([][]float64, r)
	norms = make([]float64, r)
	for j := 0; j < r; j++ {
		c := make([]float64, n)
		mat.Col(c, j, p)
		var s float64
		for _, v := range c {
			s += v * v
		}
		s = math.Sqrt(s)
		if s == 0 || math.IsNaN(s) {
			panic(fmt.Sprintf("householder: reflector %d has norm %v", j, s))
		}
		for i := range c {
			c[i] /= s
		}
		u[j], norms[j] = c, s
	}
	return u, norms
}

// ApplyO overwrites x (length n) with O(P)·x, where P is n×r and
//
//	O(P) = H(p_1)·H(p_2)···H(p_r),
//
// so reflection r is applied first and reflection 1 last. H is never
// formed: each reflection costs 4n flops. A length mismatch panics.
func ApplyO(p *mat.Dense, x []float64) {
	n, _ := p.Dims()
	if len(x) != n {
		panic(fmt.Sprintf("householder: ApplyO: len(x) = %d, P has %d rows", len(x), n))
	}
	u, _ := unitColumns(p)
	for j := len(u) - 1; j >= 0; j-- {
		reflectInPlace(x, u[j])
	}
}

// Orthogonal returns the n×n matrix O(P) = H(p_1)···H(p_r) of P (n×r),
// built by applying the reflections to the columns of the identity. It is
// orthogonal, with determinant (−1)^r.
func Orthogonal(p *mat.Dense) *mat.Dense {
	n, _ := p.Dims()
	u, _ := unitColumns(p)
	o := mat.NewDense(n, n, nil)
	col := make([]float64, n)
	for c := 0; c < n; c++ {
		for i := range col {
			col[i] = 0
		}
		col[c] = 1
		for j := len(u) - 1; j >= 0; j-- {
			reflectInPlace(col, u[j])
		}
		o.SetCol(c, col)
	}
	return o
}

// OrthogonalBackward returns ∂L/∂P (n×r) for Y = O(P)·X given Y (n×m, the
// forward output) and the upstream gradient gY = ∂L/∂Y (n×m). It walks the
// reflections from the last applied (H(p_1)) to the first, recomputing each
// intermediate input exactly as x = H(u)·y (H is its own inverse), and uses,
// for y = H(u)·x with u = v/‖v‖ and upstream g,
//
//	∂L/∂x = H(u)·g,
//	∂L/∂u = −2[(uᵀx)·g + (uᵀg)·x],
//	∂L/∂v = (I − u·uᵀ)·(∂L/∂u)/‖v‖,
//
// summed over the m columns. It also returns ∂L/∂X (n×m). Shape mismatches
// panic.
func OrthogonalBackward(p, y, gy *mat.Dense) (gp, gx *mat.Dense) {
	n, r := p.Dims()
	yn, m := y.Dims()
	gn, gm := gy.Dims()
	if yn != n || gn != n || gm != m {
		panic(fmt.Sprintf("householder: OrthogonalBackward: P %d×%d, Y %d×%d, gY %d×%d", n, r, yn, m, gn, gm))
	}
	u, norms := unitColumns(p)
	gp = mat.NewDense(n, r, nil)
	gx = mat.NewDense(n, m, nil)
	cur := make([]float64, n)
	g := make([]float64, n)
	gu := make([]float64, n)
	for c := 0; c < m; c++ {
		mat.Col(cur, c, y)
		mat.Col(g, c, gy)
		for j := 0; j < r; j++ { // H(p_1) was applied last, so undo it first
			uj := u[j]
			reflectInPlace(cur, uj) // cur is now this reflection's input x
			var ux, ug float64
			for i, v := range uj {
				ux += v * cur[i]
				ug += v * g[i]
			}
			for i := range gu {
				gu[i] = -2 * (ux*g[i] + ug*cur[i])
			}
			var ugu float64
			for i, v := range uj {
				ugu += v * gu[i]
			}
			for i := 0; i < n; i++ {
				gp.Set(i, j, gp.At(i, j)+(gu[i]-ugu*uj[i])/norms[j])
			}
			reflectInPlace(g, uj) // ∂L/∂x = H·g
		}
		gx.SetCol(c, g)
	}
	return gp, gx
}
