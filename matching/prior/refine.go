package prior

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"genlab/diffusion"
	"genlab/matching"
)

// Problem is one shape pair prepared for the map solve: the bases of the
// source (1) and target (2), with at least K + the refinement's ZoomExtra
// eigenpairs, and the K×p spectral coefficients A = Φ₁ᵀM₁F₁, B = Φ₂ᵀM₂F₂ of
// the descriptors.
type Problem struct {
	B1, B2 *matching.Basis
	A, B   *mat.Dense
	K      int
}

// NewProblem projects the n₁×p and n₂×p descriptors F1, F2 on the first k
// eigenpairs. It panics if the descriptor counts differ.
func NewProblem(b1, b2 *matching.Basis, f1, f2 *mat.Dense, k int) *Problem {
	_, p1 := f1.Dims()
	if _, p2 := f2.Dims(); p1 != p2 {
		panic(fmt.Sprintf("prior: NewProblem: %d and %d descriptors", p1, p2))
	}
	return &Problem{B1: b1, B2: b2, A: b1.Truncated(k).Project(f1), B: b2.Truncated(k).Project(f2), K: k}
}

// RefineConfig configures Refine. The zero value of a weight turns its term
// off.
type RefineConfig struct {
	Steps        int     // Adam steps (DiffuMatch: 300; the spec: 100–300)
	LR           float64 // Adam learning rate (DiffuMatch: 1e-3)
	Beta1, Beta2 float64 // DiffuMatch: 0.9, 0.99
	WDescr       float64 // descriptor preservation ‖CA − B‖²/‖B‖²
	WProper      float64 // closeness mean((C − P)²) to the ZoomOut target P
	WSDS         float64 // score distillation (needs a denoiser)
	SDSSamples   int     // noisy copies per step (DiffuMatch: 32)
	SDSSigmaMin  float64 // σ_s = SDSSigmaMin + U(0, SDSSigmaSpan) (DiffuMatch: 0.01, 1)
	SDSSigmaSpan float64
	TargetEvery  int // recompute P every TargetEvery steps (DiffuMatch: every step)
	ZoomExtra    int // P = ZoomOut(C, k → k+ZoomExtra) cropped to k×k (DiffuMatch 30→40: 10)
	// Axiomatic penalties (M5-axiomatic): Σ W̄⊙C² with the Laplacian mask
	// normalised to sum 1, ‖CᵀC − I‖²/k² and ‖C₁₂C₂₁ − I‖²/k² + ‖C₂₁C₁₂ − I‖²/k².
	WLap, WOrtho, WBij float64
}

// Refine optimises the pair (C₁₂, C₂₁), both k×k, directly by Adam on
//
//	E = Σ_dir [ w_d‖CA − B‖²/‖B‖² + w_p·mean((C − P)²) + w_l Σ W̄⊙C² + w_o‖CᵀC − I‖²/k² ]
//	  + w_b(‖C₁₂C₂₁ − I‖² + ‖C₂₁C₁₂ − I‖²)/k²,
//
// (A, B swap roles for C₂₁) where the "proper" target P is the ZoomOut
// refinement of the current C (k → k+ZoomExtra, cropped), held constant
// between updates every TargetEvery steps; when den is not nil and w_s > 0
// the sign-aware score-distillation gradient
//
//	w_s·sign(C)⊙g/k²,   g = mean_s [ |C| − D(|C| + σ_s n_s; σ_s) ],
//
// is added (the gradient of ½‖|C| − sg(D)‖²/k² averaged over noise draws).
// Without the bijectivity term (w_b = 0) the directions do not interact and
// only C₁₂ is optimised (C₂₁ comes back unchanged). It returns the refined
// pair; ctx is checked between steps.
func Refine(ctx context.Context, p *Problem, c12, c21 *mat.Dense, den diffusion.Denoiser, cfg RefineConfig, rng *rand.Rand) (*mat.Dense, *mat.Dense, error) {
	k := p.K
	x := [2]*mat.Dense{mat.DenseCopyOf(c12), mat.DenseCopyOf(c21)}
	bases := [2][2]*matching.Basis{{p.B1, p.B2}, {p.B2, p.B1}}
	var tgt [2]*mat.Dense
	var m1, m2 [2][]float64
	for d := range x {
		m1[d] = make([]float64, k*k)
		m2[d] = make([]float64, k*k)
	}
	beta1, beta2 := cfg.Beta1, cfg.Beta2
	if beta1 == 0 {
		beta1 = 0.9
	}
	if beta2 == 0 {
		beta2 = 0.99
	}
	every := max(cfg.TargetEvery, 1)
	// without the bijectivity coupling the two directions are independent
	// problems: only C₁₂ is optimised and C₂₁ is returned unchanged
	nd := 2
	if cfg.WBij == 0 {
		nd = 1
	}
	e := energy{p: p, cfg: cfg, dirs: nd}
	var g [2]*mat.Dense
	for step := 0; step < cfg.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if cfg.WProper != 0 && step%every == 0 {
			for d := 0; d < nd; d++ {
				z, _, err := matching.ZoomOut(ctx, x[d], bases[d][0], bases[d][1], k+cfg.ZoomExtra, 1)
				if err != nil {
					return nil, nil, fmt.Errorf("prior: refine step %d: proper target: %w", step, err)
				}
				tgt[d] = mat.DenseCopyOf(z.Slice(0, k, 0, k))
			}
		}
		_, g = e.eval(x, tgt, true)
		if den != nil && cfg.WSDS != 0 {
			for d := 0; d < nd; d++ {
				if err := sdsGrad(g[d], x[d], den, cfg, rng); err != nil {
					return nil, nil, fmt.Errorf("prior: refine step %d: %w", step, err)
				}
			}
		}
		t := float64(step + 1)
		for d := 0; d < nd; d++ {
			xd := x[d].RawMatrix().Data
			for i, gi := range g[d].RawMatrix().Data {
				m1[d][i] = beta1*m1[d][i] + (1-beta1)*gi
				m2[d][i] = beta2*m2[d][i] + (1-beta2)*gi*gi
				mh := m1[d][i] / (1 - math.Pow(beta1, t))
				vh := m2[d][i] / (1 - math.Pow(beta2, t))
				xd[i] -= cfg.LR * mh / (math.Sqrt(vh) + 1e-8)
			}
		}
	}
	return x[0], x[1], nil
}

// sdsGrad adds w_s·sign(C)⊙g/k² to grad.
func sdsGrad(grad, c *mat.Dense, den diffusion.Denoiser, cfg RefineConfig, rng *rand.Rand) error {
	k, _ := c.Dims()
	d := k * k
	abs := make([]float64, d)
	AbsImage(abs, c, k)
	ns := max(cfg.SDSSamples, 1)
	g := make([]float64, d)
	y := mat.NewDense(1, d, nil)
	out := mat.NewDense(1, d, nil)
	for s := 0; s < ns; s++ {
		sig := cfg.SDSSigmaMin + cfg.SDSSigmaSpan*rng.Float64()
		row := y.RawRowView(0)
		for j, v := range abs {
			row[j] = v + sig*rng.NormFloat64()
		}
		if err := den.Denoise(out, y, sig); err != nil {
			return fmt.Errorf("score distillation at σ %.3g: %w", sig, err)
		}
		for j, v := range out.RawRowView(0) {
			g[j] += (abs[j] - v) / float64(ns)
		}
	}
	gd := grad.RawMatrix().Data
	cd := c.RawMatrix().Data
	for j := range g {
		sgn := 1.0
		if cd[j] < 0 {
			sgn = -1
		} else if cd[j] == 0 {
			sgn = 0
		}
		gd[j] += cfg.WSDS * sgn * g[j] / float64(d)
	}
	return nil
}

// energy is the smooth part of Refine's objective (everything but SDS).
type energy struct {
	p    *Problem
	cfg  RefineConfig
	lap  [2]*mat.Dense // normalised Laplacian masks, built on first use
	dirs int           // directions evaluated: 1 (C₁₂ only) or 2 (0 means 2)
}

// eval returns E and, with grad set, ∂E/∂C for both directions; tgt[d]
// may be nil when WProper = 0.
func (e *energy) eval(x [2]*mat.Dense, tgt [2]*mat.Dense, grad bool) (float64, [2]*mat.Dense) {
	k := e.p.K
	kk := float64(k * k)
	cfg := e.cfg
	var g [2]*mat.Dense
	f := 0.0
	ins := [2][2]*mat.Dense{{e.p.A, e.p.B}, {e.p.B, e.p.A}}
	if cfg.WLap != 0 && e.lap[0] == nil {
		e.lap[0] = matching.LaplacianMask(e.p.B1.Values, e.p.B2.Values, k, k, true)
		e.lap[1] = matching.LaplacianMask(e.p.B2.Values, e.p.B1.Values, k, k, true)
	}
	nd := e.dirs
	if nd == 0 {
		nd = 2
	}
	for d := 0; d < nd; d++ {
		c := x[d]
		g[d] = mat.NewDense(k, k, nil)
		a, b := ins[d][0], ins[d][1]
		if cfg.WDescr != 0 {
			bn := mat.Norm(b, 2)
			var r mat.Dense
			r.Mul(c, a)
			r.Sub(&r, b)
			rn := mat.Norm(&r, 2)
			f += cfg.WDescr * rn * rn / (bn * bn)
			if grad {
				var gr mat.Dense
				gr.Mul(&r, a.T())
				gr.Scale(2*cfg.WDescr/(bn*bn), &gr)
				g[d].Add(g[d], &gr)
			}
		}
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				v := c.At(i, j)
				gv := 0.0
				if cfg.WProper != 0 {
					dv := v - tgt[d].At(i, j)
					f += cfg.WProper * dv * dv / kk
					gv += 2 * cfg.WProper * dv / kk
				}
				if cfg.WLap != 0 {
					w := e.lap[d].At(i, j)
					f += cfg.WLap * w * v * v
					gv += 2 * cfg.WLap * w * v
				}
				g[d].Set(i, j, g[d].At(i, j)+gv)
			}
		}
		if cfg.WOrtho != 0 {
			var E mat.Dense
			E.Mul(c.T(), c)
			for i := 0; i < k; i++ {
				E.Set(i, i, E.At(i, i)-1)
			}
			n := mat.Norm(&E, 2)
			f += cfg.WOrtho * n * n / kk
			if grad {
				var G mat.Dense
				G.Mul(c, &E)
				G.Scale(4*cfg.WOrtho/kk, &G)
				g[d].Add(g[d], &G)
			}
		}
	}
	if cfg.WBij != 0 && nd == 2 {
		for d := range x {
			a, b := x[d], x[1-d] // term ‖a b − I‖², gradient w.r.t. a and b
			var E mat.Dense
			E.Mul(a, b)
			for i := 0; i < k; i++ {
				E.Set(i, i, E.At(i, i)-1)
			}
			n := mat.Norm(&E, 2)
			f += cfg.WBij * n * n / kk
			if grad {
				var G mat.Dense
				G.Mul(&E, b.T())
				G.Scale(2*cfg.WBij/kk, &G)
				g[d].Add(g[d], &G)
				G.Reset()
				G.Mul(a.T(), &E)
				G.Scale(2*cfg.WBij/kk, &G)
				g[1-d].Add(g[1-d], &G)
			}
		}
	}
	return f, g
}
