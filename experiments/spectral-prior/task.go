package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"time"

	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
	"genlab/experiments/internal"
	"genlab/matching"
	"genlab/matching/prior"
	"genlab/results"
)

const modelsExperiment = experiment + "-models"

// streams of the task generators
const (
	streamPair = iota + 1
	streamEval
	streamNoise
	streamRegime
	streamSolve
)

// pairSeed separates test pairs (index ≥ 0) from validation pairs.
func pairSeed(seed uint64, set string, idx int) uint64 {
	return internal.TaskSeed(seed, fmt.Sprintf("%s/%d", set, idx))
}

// pairData is one prepared pair: meshes, bases (clean and jittered target),
// the mirror symmetry of the source when known, and the evaluators.
type pairData struct {
	p          mesh.Pair
	tgtNoisy   *mesh.Mesh
	b1, b2, bn *matching.Basis
	sym        []int
}

func makePair(cfg Config, set string, idx int) (*pairData, error) {
	ps := pairSeed(cfg.Seed, set, idx)
	rng := internal.NewRand(ps, streamPair)
	pd := &pairData{}
	blobSym := func() []int {
		s := mesh.Icosphere(cfg.SrcLevel)
		mir := make([][3]float64, len(s.V))
		for i, u := range s.V {
			mir[i] = [3]float64{u[0], -u[1], u[2]}
		}
		return mesh.NearestOnSphere(s.V, mir)
	}
	asym := idx%2 == 0 // alternate: exactly symmetric bodies on odd indices
	switch set {
	case "blob":
		pd.p = prior.BodyPair(rng, mesh.RandomBlob(rng, asym), cfg.SrcLevel, cfg.TgtCube, cfg.MaxAngle, cfg.MaxBend)
		pd.sym = blobSym()
	case "shift3", "shift6":
		limbs := 3
		if set == "shift6" {
			limbs = 6
		}
		pd.p = prior.BodyPair(rng, prior.ShiftBlob(rng, limbs, asym), cfg.SrcLevel, cfg.TgtCube, cfg.MaxAngle, cfg.MaxBend)
		pd.sym = blobSym()
	default:
		m, _, err := mesh.Load(filepath.Join(cfg.CGALDir, set+".off"))
		if err != nil {
			return nil, err
		}
		d := mesh.RandomDeformation(rng, cfg.DefBend, cfg.DefAngle)
		pd.p = mesh.DeformPair(m, d, true, 0, true, rng)
		if sym, res := mesh.MirrorMap(pd.p.Src); res < cfg.SymTol {
			pd.sym = sym
		}
	}
	eo := matching.EigenOptions{Rng: internal.NewRand(ps, streamEval), Name: fmt.Sprintf("%s pair %d", set, idx)}
	var err error
	if pd.b1, err = matching.LaplaceBeltrami(pd.p.Src, cfg.KEig, false, eo); err != nil {
		return nil, fmt.Errorf("source eigenbasis: %w", err)
	}
	if pd.b2, err = matching.LaplaceBeltrami(pd.p.Tgt, cfg.KEig, false, eo); err != nil {
		return nil, fmt.Errorf("target eigenbasis: %w", err)
	}
	if slices.Contains(cfg.Regimes, string(prior.Noisy)) {
		pd.tgtNoisy = prior.NoisyTarget(pd.p.Tgt, cfg.Noise, internal.NewRand(ps, streamNoise))
		if pd.bn, err = matching.LaplaceBeltrami(pd.tgtNoisy, cfg.KEig, false, eo); err != nil {
			return nil, fmt.Errorf("jittered target eigenbasis: %w", err)
		}
	}
	return pd, nil
}

// problem returns the regime's descriptors projected on the bases, and the
// target basis to use (the jittered one for R2).
func (pd *pairData) problem(cfg Config, r prior.Regime, ps uint64) (*prior.Problem, *matching.Basis, error) {
	tgt, b2 := pd.p.Tgt, pd.b2
	if r == prior.Noisy {
		tgt, b2 = pd.tgtNoisy, pd.bn
	}
	rc := prior.RegimeConfig{WKS: matching.DescriptorOptions{Num: cfg.WKSNum, NEv: cfg.WKSNEv, Step: cfg.WKSStep},
		FewStep: cfg.FewStep, PartialFrac: cfg.PartialFrac}
	f1, f2, err := prior.Descriptors(r, pd.p.Src, tgt, pd.b1, b2, rc, internal.NewRand(ps, streamRegime))
	if err != nil {
		return nil, nil, err
	}
	return prior.NewProblem(pd.b1, b2, f1, f2, cfg.K), b2, nil
}

func evaluator(ctx context.Context, cfg Config, pd *pairData, gt []int, idx int) (*matching.Evaluator, error) {
	var eval []int
	if n := len(pd.p.Tgt.V); cfg.MaxEval > 0 && cfg.MaxEval < n {
		eval = internal.NewRand(pairSeed(cfg.Seed, "eval", idx), streamEval).Perm(n)[:cfg.MaxEval]
	}
	return matching.NewEvaluator(ctx, matching.NewGraph(pd.p.Src, true), pd.p.Src.Area(), gt, eval)
}

// solves is the number of refinements runTask makes: one per regime ×
// method (× prior, for the methods that use one).
func solves(cfg Config) int {
	n := 0
	for _, m := range cfg.Methods {
		n += len(priorsOf(cfg, m))
	}
	return n * len(cfg.Regimes)
}

// pairRun is one test pair being solved: its data, evaluators and results.
type pairRun struct {
	cfg   Config
	pd    *pairData
	ev    *matching.Evaluator
	evSym *matching.Evaluator // against the mirrored ground truth (nil: no symmetry known)
	res   map[string]float64
}

// runTask evaluates one pair; bar counts its solves (see solves) and names
// the phase.
func runTask(ctx context.Context, cfg Config, d *results.Dir, bs *bundles, logf func(string, ...any), bar internal.Progress) (map[string]float64, error) {
	bar.Phase("priors")
	b, err := bs.get(ctx, cfg, logf)
	if err != nil {
		return nil, err
	}
	b.use.Lock()
	defer b.use.Unlock()
	t0 := time.Now()
	r, err := newPairRun(ctx, cfg, b)
	if err != nil {
		return nil, err
	}
	bar.Phase("oracle")
	cgt, err := r.oracle(ctx)
	if err != nil {
		return nil, err
	}
	for ri, reg := range cfg.Regimes {
		if err := r.regime(ctx, ri, reg, b, d, bar); err != nil {
			return nil, err
		}
		if err := d.Record(results.Step{Step: ri, Values: map[string]float64{"regime": float64(ri), "elapsed_s": time.Since(t0).Seconds()}}); err != nil {
			return nil, err
		}
	}
	if cfg.Pair < cfg.Pictures {
		if err := matching.SavePNG(d.Path("oracle_fmap.png"), matching.MapImage(cgt, 8)); err != nil {
			return nil, err
		}
	}
	r.res["time_pair_s"] = time.Since(t0).Seconds()
	for k, v := range r.res {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("metric %s is %v", k, v)
		}
	}
	return r.res, nil
}

// newPairRun makes the test pair and its evaluators; the result starts
// with the bundle's statistics and tuned λ.
func newPairRun(ctx context.Context, cfg Config, b *bundle) (*pairRun, error) {
	pd, err := makePair(cfg, cfg.Set, cfg.Pair)
	if err != nil {
		return nil, err
	}
	r := &pairRun{cfg: cfg, pd: pd, res: map[string]float64{"n_src": float64(len(pd.p.Src.V)), "n_tgt": float64(len(pd.p.Tgt.V))}}
	for k, v := range b.stats {
		r.res[k] = v
	}
	for k, v := range b.mu {
		r.res["mu_"+k] = v
	}
	if r.ev, err = evaluator(ctx, cfg, pd, pd.p.GT, cfg.Pair); err != nil || pd.sym == nil {
		return r, err
	}
	sgt := make([]int, len(pd.p.GT))
	for y, x := range pd.p.GT {
		sgt[y] = pd.sym[x]
	}
	r.evSym, err = evaluator(ctx, cfg, pd, sgt, cfg.Pair)
	return r, err
}

// score records the mean geodesic error ×100 of p2p as <name>_err and, with
// a known symmetry, the flip rate and whether the map is flipped.
func (r *pairRun) score(name string, p2p []int) error {
	e, err := r.ev.Errors(p2p)
	if err != nil {
		return err
	}
	r.res[name+"_err"] = 100 * matching.Mean(e)
	if r.evSym == nil {
		return nil
	}
	es, err := r.evSym.Errors(p2p)
	if err != nil {
		return err
	}
	fr := matching.FlipRate(e, es)
	r.res[name+"_flip"] = fr
	r.res[name+"_flipped"] = b2f(fr > 0.5)
	return nil
}

// oracle scores the floor of the representation: the ground-truth map
// projected on the k-dimensional bases, before and after ZoomOut.
func (r *pairRun) oracle(ctx context.Context) (*mat.Dense, error) {
	pd := r.pd
	cgt := matching.FMapFromP2P(pd.p.GT, pd.b1, pd.b2, r.cfg.K, r.cfg.K)
	if err := r.score("oracle", matching.P2PFromFMap(cgt, pd.b1, pd.b2, false)); err != nil {
		return nil, err
	}
	_, pz, err := matching.ZoomOut(ctx, cgt, pd.b1, pd.b2, r.cfg.ZoomEnd, r.cfg.ZoomStep)
	if err != nil {
		return nil, err
	}
	return cgt, r.score("oracle_zo", pz)
}

// regime solves the pair in descriptor regime ri (reg) with every method (×
// prior), each scored before and after ZoomOut.
func (r *pairRun) regime(ctx context.Context, ri int, reg string, b *bundle, d *results.Dir, bar internal.Progress) error {
	ps := pairSeed(r.cfg.Seed, r.cfg.Set, r.cfg.Pair)
	prob, b2, err := r.pd.problem(r.cfg, prior.Regime(reg), ps)
	if err != nil {
		return err
	}
	for mi, m := range r.cfg.Methods {
		for pi, p := range priorsOf(r.cfg, m) {
			if err := ctx.Err(); err != nil {
				return err
			}
			name := methodName(reg, m, p)
			bar.Phase(name)
			tm := time.Now()
			rng := internal.NewRand(ps, uint64(streamSolve+1000*ri+100*mi+pi))
			c, err := b.solver(r.cfg, p).Solve(ctx, prob, prior.Method(m), rng)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := r.score(name, matching.P2PFromFMap(c, r.pd.b1, b2, false)); err != nil {
				return err
			}
			_, pz, err := matching.ZoomOut(ctx, c, r.pd.b1, b2, r.cfg.ZoomEnd, r.cfg.ZoomStep)
			if err != nil {
				return fmt.Errorf("%s ZoomOut: %w", name, err)
			}
			if err := r.score(name+"_zo", pz); err != nil {
				return err
			}
			r.res[name+"_time_s"] = time.Since(tm).Seconds()
			if r.cfg.Pair < r.cfg.Pictures && (reg == string(prior.Clean) || reg == string(prior.Noisy)) {
				if err := r.pictures(d, name, c, pz); err != nil {
					return err
				}
			}
			bar.Add(1)
		}
	}
	return nil
}

// pictures writes a method's map (PNG and .npy) and its correspondence
// after ZoomOut.
func (r *pairRun) pictures(d *results.Dir, name string, c *mat.Dense, pz []int) error {
	if err := matching.SavePNG(d.Path(name+"_fmap.png"), matching.MapImage(c, 8)); err != nil {
		return err
	}
	if err := d.WriteNPY(name+"_fmap.npy", c); err != nil {
		return err
	}
	colors := matching.CoordColors(r.pd.p.Src)
	img := matching.Render([]*mesh.Mesh{r.pd.p.Src, r.pd.p.Tgt}, [][][3]float64{colors, matching.TransferColors(colors, pz)},
		matching.DefaultView, 600, 300)
	return matching.SavePNG(d.Path(name+"_zo_corr.png"), img)
}

// methodName is the result prefix of a regime × method (× prior).
func methodName(r, m, p string) string {
	if p == "" {
		return r + "_" + m
	}
	return r + "_" + m + "_" + p
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
