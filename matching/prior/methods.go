package prior

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
	"genlab/diffusion"
	"genlab/matching"
)

// Method names an initial-map method of the comparison (each is followed by
// ZoomOut in the experiment).
type Method string

// The methods M0–M5 of the spec.
const (
	LSQ             Method = "lsq"       // M0: plain least squares C = BAᵀ(AAᵀ)⁻¹
	LapMask         Method = "lap"       // M1: Laplacian-commutativity mask (λ₂,i − λ₁,j)²
	ResolventMask   Method = "resolvent" // M2: ULRSSM resolvent mask
	MeanMask        Method = "meanmap"   // M3: 1/(mean|C_gt| + ε)
	Distilled       Method = "distilled" // M4: mask distilled from the prior at σ, S copies
	DistilledRefine Method = "refine"    // M5: M4, then Refine with the prior's SDS term
	AxiomRefine     Method = "axiomatic" // M5-axiomatic: M1, then Refine with Laplacian, orthogonality and bijectivity penalties
)

// Methods lists every Method in the spec's order.
var Methods = []Method{LSQ, LapMask, ResolventMask, MeanMask, Distilled, DistilledRefine, AxiomRefine}

// UsesPrior reports whether m depends on the denoiser prior.
func (m Method) UsesPrior() bool { return m == Distilled || m == DistilledRefine }

// Solver holds the settings of every method. μ values differ by orders of
// magnitude between masks (DiffuMatch: 1e-3 Laplacian, 0.1–2 distilled,
// 100 resolvent) and are tuned per mask.
type Solver struct {
	MuLap, MuRes, MuMean, MuDist float64
	Gamma                        float64   // resolvent γ (0.5)
	MeanImage                    []float64 // mean training |C| (k²), for MeanMask
	MeanEps                      float64
	Den                          diffusion.Denoiser // the prior, for Distilled and DistilledRefine
	Sigma                        float64            // distillation σ (1)
	S                            int                // distillation copies (100–200)
	Refine                       RefineConfig       // DistilledRefine
	Axiom                        RefineConfig       // AxiomRefine
}

// Mask returns the k×k weights of a masked method for the direction with
// eigenvalues ev1 (input shape) and ev2 (output shape) and, for Distilled,
// the raw least-squares map cRaw of that direction; nil for LSQ.
func (s *Solver) Mask(m Method, ev1, ev2 []float64, k int, cRaw *mat.Dense, rng *rand.Rand) (w *mat.Dense, mu float64, err error) {
	switch m {
	case LSQ:
		return nil, 0, nil
	case LapMask, AxiomRefine:
		return matching.LaplacianMask(ev1, ev2, k, k, false), s.MuLap, nil
	case ResolventMask:
		return matching.ResolventMask(ev1, ev2, k, k, s.Gamma), s.MuRes, nil
	case MeanMask:
		return MeanMapMask(s.MeanImage, k, s.MeanEps), s.MuMean, nil
	case Distilled, DistilledRefine:
		if s.Den == nil {
			return nil, 0, fmt.Errorf("prior: method %s needs a denoiser", m)
		}
		w, err := DistilledMask(s.Den, cRaw, s.Sigma, s.S, rng)
		return w, s.MuDist, err
	}
	return nil, 0, fmt.Errorf("prior: unknown method %q", m)
}

// Solve returns the k×k map C₁₂ of method m on p before ZoomOut: the
// row-wise masked solve c_i = b_iAᵀ(AAᵀ + μ diag(W_i,·))⁻¹ with m's mask,
// followed for the refining methods by Refine over both directions.
func (s *Solver) Solve(ctx context.Context, p *Problem, m Method, rng *rand.Rand) (*mat.Dense, error) {
	dirs := 1
	if m == DistilledRefine || m == AxiomRefine {
		dirs = 2
	}
	var cs [2]*mat.Dense
	for d := 0; d < dirs; d++ {
		a, b, ev1, ev2 := p.A, p.B, p.B1.Values, p.B2.Values
		if d == 1 {
			a, b, ev1, ev2 = p.B, p.A, p.B2.Values, p.B1.Values
		}
		var raw *mat.Dense
		if m.UsesPrior() {
			var err error
			if raw, err = matching.SolveFMap(a, b, nil, 0); err != nil {
				return nil, fmt.Errorf("prior: %s: raw map: %w", m, err)
			}
		}
		w, mu, err := s.Mask(m, ev1, ev2, p.K, raw, rng)
		if err != nil {
			return nil, err
		}
		if cs[d], err = matching.SolveFMap(a, b, w, mu); err != nil {
			return nil, fmt.Errorf("prior: %s: %w", m, err)
		}
	}
	switch m {
	case DistilledRefine:
		c, _, err := Refine(ctx, p, cs[0], cs[1], s.Den, s.Refine, rng)
		return c, err
	case AxiomRefine:
		c, _, err := Refine(ctx, p, cs[0], cs[1], nil, s.Axiom, rng)
		return c, err
	}
	return cs[0], nil
}

// Regime names a descriptor regime of the comparison.
type Regime string

// The descriptor regimes R1–R5 of the spec.
const (
	Clean   Regime = "clean"   // R1: WKS (pyFM's 100 energies on 50 eigenpairs, every 5th → 20)
	Noisy   Regime = "noisy"   // R2: WKS of a jittered target (the caller jitters: NoisyTarget)
	Few     Regime = "few"     // R3: too few channels (every 25th WKS → 4 < k)
	Partial Regime = "partial" // R4: WKS zeroed on a contiguous 30% of the target
	XYZ     Regime = "xyz"     // R5: centred vertex coordinates of oriented shapes
)

// Regimes lists every Regime in the spec's order.
var Regimes = []Regime{Clean, Noisy, Few, Partial, XYZ}

// RegimeConfig holds the regime parameters.
type RegimeConfig struct {
	WKS         matching.DescriptorOptions // R1, R2, R4
	FewStep     int                        // R3: keep every FewStep-th WKS energy (25 → 4 channels)
	PartialFrac float64                    // R4: share of target vertices zeroed (0.3)
}

// Descriptors returns the n₁×p and n₂×p descriptors of regime r for the
// source (m1, b1) and target (m2, b2). For Noisy the caller passes the
// jittered target and its basis; for Partial the zeroed region is the
// PartialFrac of target vertices furthest along a random direction.
func Descriptors(r Regime, m1, m2 *mesh.Mesh, b1, b2 *matching.Basis, cfg RegimeConfig, rng *rand.Rand) (*mat.Dense, *mat.Dense, error) {
	switch r {
	case Clean, Noisy:
		return matching.Descriptors(b1, cfg.WKS), matching.Descriptors(b2, cfg.WKS), nil
	case Few:
		o := cfg.WKS
		o.Step = cfg.FewStep
		return matching.Descriptors(b1, o), matching.Descriptors(b2, o), nil
	case Partial:
		f1, f2 := matching.Descriptors(b1, cfg.WKS), matching.Descriptors(b2, cfg.WKS)
		u := mesh.Normalize([3]float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()})
		n := len(m2.V)
		proj := make([]float64, n)
		for i, v := range m2.V {
			proj[i] = mesh.Dot(v, u)
		}
		sorted := append([]float64(nil), proj...)
		sort.Float64s(sorted)
		cut := sorted[n-1-int(cfg.PartialFrac*float64(n-1))]
		_, p := f2.Dims()
		for i := range proj {
			if proj[i] >= cut {
				for j := 0; j < p; j++ {
					f2.Set(i, j, 0)
				}
			}
		}
		return f1, f2, nil
	case XYZ:
		return xyz(m1), xyz(m2), nil
	}
	return nil, nil, fmt.Errorf("prior: unknown regime %q", r)
}

// NoisyTarget returns a copy of m with every coordinate jittered by
// N(0, (frac·√area)²): same connectivity, so the ground truth is unchanged.
func NoisyTarget(m *mesh.Mesh, frac float64, rng *rand.Rand) *mesh.Mesh {
	c := m.Clone()
	mesh.Jitter(c, frac, rng)
	return c
}

// xyz returns the vertex coordinates minus the area-weighted centroid.
func xyz(m *mesh.Mesh) *mat.Dense {
	c := m.Centroid()
	out := mat.NewDense(len(m.V), 3, nil)
	for i, v := range m.V {
		for a := 0; a < 3; a++ {
			out.Set(i, a, v[a]-c[a])
		}
	}
	return out
}
