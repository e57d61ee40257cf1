package matching

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// LaplacianMask returns the k2×k1 Laplacian-commutativity weights
//
//	W_ij = (λ₂,i − λ₁,j)²,
//
// so that Σ W_ij C_ij² = ‖CΔ₁ − Δ₂C‖² with Δ the diagonal eigenvalue
// matrices. With normalize set W is divided by Σ_ab W_ab, as pyFM's fit does
// (its weights then need a μ about Σ W larger than DiffuMatch's 1e-3 for the
// raw mask).
func LaplacianMask(ev1, ev2 []float64, k1, k2 int, normalize bool) *mat.Dense {
	w := mat.NewDense(k2, k1, nil)
	s := 0.0
	for i := 0; i < k2; i++ {
		for j := 0; j < k1; j++ {
			d := ev2[i] - ev1[j]
			w.Set(i, j, d*d)
			s += d * d
		}
	}
	if normalize && s > 0 {
		w.Scale(1/s, w)
	}
	return w
}

// ResolventMask returns the k2×k1 resolvent weights of ULRSSM/DiffuMatch:
// with a_i = (λ₂,i/λ_max)^γ, b_j = (λ₁,j/λ_max)^γ and λ_max over both shapes,
//
//	W_ij = (a_i/(a_i²+1) − b_j/(b_j²+1))² + (1/(a_i²+1) − 1/(b_j²+1))².
func ResolventMask(ev1, ev2 []float64, k1, k2 int, gamma float64) *mat.Dense {
	lmax := 0.0
	for _, l := range ev1[:k1] {
		lmax = math.Max(lmax, math.Abs(l))
	}
	for _, l := range ev2[:k2] {
		lmax = math.Max(lmax, math.Abs(l))
	}
	w := mat.NewDense(k2, k1, nil)
	for i := 0; i < k2; i++ {
		a := math.Pow(math.Abs(ev2[i])/lmax, gamma)
		for j := 0; j < k1; j++ {
			b := math.Pow(math.Abs(ev1[j])/lmax, gamma)
			re := a/(a*a+1) - b/(b*b+1)
			im := 1/(a*a+1) - 1/(b*b+1)
			w.Set(i, j, re*re+im*im)
		}
	}
	return w
}

// SolveFMap returns the functional map C (k2×k1) minimising
//
//	½‖CA − B‖² + ½μ Σ_ij W_ij C_ij²
//
// for descriptor coefficients A (k1×p) and B (k2×p) and any non-negative
// mask W (k2×k1; nil for plain least squares). The rows decouple:
//
//	c_i = b_i Aᵀ (AAᵀ + μ diag(W_i,·))⁻¹,
//
// one k1×k1 solve per row. Any mask (Laplacian, resolvent, or a learned one)
// plugs in as W.
func SolveFMap(A, B, W *mat.Dense, mu float64) (*mat.Dense, error) {
	k1, p := A.Dims()
	k2, p2 := B.Dims()
	if p != p2 {
		panic(fmt.Sprintf("matching: SolveFMap: A has %d descriptors, B %d", p, p2))
	}
	if W != nil {
		if r, c := W.Dims(); r != k2 || c != k1 {
			panic(fmt.Sprintf("matching: SolveFMap: mask is %d×%d, want %d×%d", r, c, k2, k1))
		}
	}
	var AAt, BAt mat.Dense
	AAt.Mul(A, A.T())
	BAt.Mul(B, A.T()) // k2×k1, row i = b_i Aᵀ
	C := mat.NewDense(k2, k1, nil)
	sys := mat.NewDense(k1, k1, nil)
	var x mat.VecDense
	for i := 0; i < k2; i++ {
		sys.Copy(&AAt)
		if W != nil {
			for j := 0; j < k1; j++ {
				sys.Set(j, j, sys.At(j, j)+mu*W.At(i, j))
			}
		}
		// (AAᵀ + μD_i) c_iᵀ = A b_iᵀ (symmetric system)
		if err := x.SolveVec(sys, BAt.RowView(i)); err != nil {
			var cond mat.Condition
			if errors.As(err, &cond) && !math.IsInf(float64(cond), 0) {
				// ill-conditioned but solved (plain least squares with
				// nearly dependent descriptors): keep the solution
				goto set
			}
			return nil, fmt.Errorf("matching: SolveFMap row %d: %w", i, err)
		}
	set:
		for j := 0; j < k1; j++ {
			C.Set(i, j, x.AtVec(j))
		}
	}
	return C, nil
}

// MapEnergy is the functional-map energy with optional orthogonality and
// bijectivity terms over the pair (C₁₂, C₂₁):
//
//	E = Σ_{dir} [½‖C A − B‖² + ½μ Σ W∘C²]
//	  + ½w_o(‖C₁₂ᵀC₁₂ − I‖² + ‖C₂₁ᵀC₂₁ − I‖²)
//	  + ½w_b(‖C₁₂C₂₁ − I‖² + ‖C₂₁C₁₂ − I‖²),
//
// with A, B the descriptor coefficients of shapes 1 and 2 and W12 (k2×k1),
// W21 (k1×k2) the masks.
type MapEnergy struct {
	A, B     *mat.Dense
	W12, W21 *mat.Dense
	Mu       float64
	WOrtho   float64
	WBij     float64
}

func (e *MapEnergy) dims() (k1, k2 int) {
	k1, _ = e.A.Dims()
	k2, _ = e.B.Dims()
	return
}

func (e *MapEnergy) unpack(x []float64) (c12, c21 *mat.Dense) {
	k1, k2 := e.dims()
	return mat.NewDense(k2, k1, x[:k1*k2]), mat.NewDense(k1, k2, x[k1*k2:])
}

// Func returns E at x = (vec C₁₂, vec C₂₁) in row-major order.
func (e *MapEnergy) Func(x []float64) float64 {
	f, _ := e.eval(x, nil)
	return f
}

// Grad sets grad = ∇E(x).
func (e *MapEnergy) Grad(grad, x []float64) { e.eval(x, grad) }

func (e *MapEnergy) eval(x, grad []float64) (float64, error) {
	k1, k2 := e.dims()
	c12, c21 := e.unpack(x)
	var g12, g21 *mat.Dense
	if grad != nil {
		for i := range grad {
			grad[i] = 0
		}
		g12, g21 = e.unpack(grad)
	}
	f := 0.0
	term := func(c, a, b, w, g *mat.Dense) {
		var r mat.Dense
		r.Mul(c, a)
		r.Sub(&r, b)
		f += 0.5 * mat.Norm(&r, 2) * mat.Norm(&r, 2)
		rr, cc := c.Dims()
		if g != nil {
			var gr mat.Dense
			gr.Mul(&r, a.T())
			g.Add(g, &gr)
		}
		if w != nil && e.Mu != 0 {
			for i := 0; i < rr; i++ {
				for j := 0; j < cc; j++ {
					v := c.At(i, j)
					f += 0.5 * e.Mu * w.At(i, j) * v * v
					if g != nil {
						g.Set(i, j, g.At(i, j)+e.Mu*w.At(i, j)*v)
					}
				}
			}
		}
	}
	term(c12, e.A, e.B, e.W12, g12)
	term(c21, e.B, e.A, e.W21, g21)
	sq := func(m *mat.Dense) float64 { v := mat.Norm(m, 2); return v * v }
	if e.WOrtho != 0 {
		for _, cg := range [][2]*mat.Dense{{c12, g12}, {c21, g21}} {
			c := cg[0]
			_, k := c.Dims()
			var E mat.Dense
			E.Mul(c.T(), c)
			for i := 0; i < k; i++ {
				E.Set(i, i, E.At(i, i)-1)
			}
			f += 0.5 * e.WOrtho * sq(&E)
			if cg[1] != nil {
				var G mat.Dense
				G.Mul(c, &E)
				G.Scale(2*e.WOrtho, &G)
				cg[1].Add(cg[1], &G)
			}
		}
	}
	if e.WBij != 0 {
		// E1 = C12 C21 − I (k2×k2), E2 = C21 C12 − I (k1×k1)
		var E1, E2 mat.Dense
		E1.Mul(c12, c21)
		for i := 0; i < k2; i++ {
			E1.Set(i, i, E1.At(i, i)-1)
		}
		E2.Mul(c21, c12)
		for i := 0; i < k1; i++ {
			E2.Set(i, i, E2.At(i, i)-1)
		}
		f += 0.5 * e.WBij * (sq(&E1) + sq(&E2))
		if grad != nil {
			var G mat.Dense
			G.Mul(&E1, c21.T()) // ∂/∂C12 of ½‖C12C21 − I‖²
			G.Scale(e.WBij, &G)
			g12.Add(g12, &G)
			G.Reset()
			G.Mul(c21.T(), &E2) // ∂/∂C12 of ½‖C21C12 − I‖²
			G.Scale(e.WBij, &G)
			g12.Add(g12, &G)
			G.Reset()
			G.Mul(c12.T(), &E1)
			G.Scale(e.WBij, &G)
			g21.Add(g21, &G)
			G.Reset()
			G.Mul(&E2, c12.T())
			G.Scale(e.WBij, &G)
			g21.Add(g21, &G)
		}
	}
	return f, nil
}

// Minimize minimises E with L-BFGS from (C₁₂, C₂₁) (typically the closed-form
// solutions) and returns the optimised pair.
func (e *MapEnergy) Minimize(ctx context.Context, c12, c21 *mat.Dense, iters int) (*mat.Dense, *mat.Dense, error) {
	k1, k2 := e.dims()
	x := make([]float64, 2*k1*k2)
	copy(x, mat.DenseCopyOf(c12).RawMatrix().Data)
	copy(x[k1*k2:], mat.DenseCopyOf(c21).RawMatrix().Data)
	xs, err := LBFGS(ctx, e.Func, e.Grad, x, iters)
	if err != nil {
		return nil, nil, fmt.Errorf("matching: map energy minimisation: %w", err)
	}
	a, b := e.unpack(xs)
	return a, b, nil
}

// LBFGS minimises f from x0 by limited-memory BFGS (memory 10) with a
// backtracking Armijo line search, for at most iters iterations or until
// ‖∇f‖ ≤ 1e-10·max(1, |f|), and returns the final point. (gonum's optimize
// package is not used: it pulls a module genlab does not require.)
func LBFGS(ctx context.Context, f func([]float64) float64, grad func(g, x []float64), x0 []float64, iters int) ([]float64, error) {
	n := len(x0)
	const mem = 10
	x := append([]float64(nil), x0...)
	g := make([]float64, n)
	grad(g, x)
	fx := f(x)
	var S, Y [][]float64
	var rho []float64
	d := make([]float64, n)
	xn := make([]float64, n)
	gn := make([]float64, n)
	alpha := make([]float64, mem)
	for it := 0; it < iters; it++ {
		if err := ctx.Err(); err != nil {
			return x, err
		}
		if floats.Norm(g, 2) <= 1e-10*math.Max(1, math.Abs(fx)) {
			break
		}
		// two-loop recursion: d = −H g
		copy(d, g)
		for i := len(S) - 1; i >= 0; i-- {
			alpha[i] = rho[i] * floats.Dot(S[i], d)
			floats.AddScaled(d, -alpha[i], Y[i])
		}
		if len(S) > 0 {
			l := len(S) - 1
			floats.Scale(floats.Dot(S[l], Y[l])/floats.Dot(Y[l], Y[l]), d)
		}
		for i := range S {
			b := rho[i] * floats.Dot(Y[i], d)
			floats.AddScaled(d, alpha[i]-b, S[i])
		}
		floats.Scale(-1, d)
		slope := floats.Dot(g, d)
		if slope >= 0 { // not a descent direction: restart from steepest descent
			copy(d, g)
			floats.Scale(-1, d)
			slope = floats.Dot(g, d)
			S, Y, rho = S[:0], Y[:0], rho[:0]
		}
		step := 1.0
		if len(S) == 0 {
			step = 1 / math.Max(1, floats.Norm(g, 2))
		}
		var fn float64
		ok := false
		for ls := 0; ls < 60; ls++ {
			floats.AddScaledTo(xn, x, step, d)
			fn = f(xn)
			if fn <= fx+1e-4*step*slope {
				ok = true
				break
			}
			step *= 0.5
		}
		if !ok {
			break
		}
		grad(gn, xn)
		s := make([]float64, n)
		y := make([]float64, n)
		floats.SubTo(s, xn, x)
		floats.SubTo(y, gn, g)
		if sy := floats.Dot(s, y); sy > 1e-16 {
			if len(S) == mem {
				S, Y, rho = S[1:], Y[1:], rho[1:]
			}
			S, Y, rho = append(S, s), append(Y, y), append(rho, 1/sy)
		}
		copy(x, xn)
		copy(g, gn)
		fx = fn
	}
	return x, nil
}
