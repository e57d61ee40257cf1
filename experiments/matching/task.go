package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
	"genlab/experiments/internal"
	"genlab/matching"
	"genlab/results"
)

const (
	streamPair = iota + 1
	streamEval
	streamEigen
)

// maxMirrorVertices bounds the meshes searched for a mirror symmetry.
const maxMirrorVertices = 8000

// curveThresholds are the cumulative-curve abscissae (error/√area).
var curveThresholds = []float64{0, 0.0125, 0.025, 0.0375, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25}

type pairData struct {
	p      mesh.Pair
	sym    []int   // mirror map on the source (nil: no symmetry known)
	symRes float64 // mirror residual / √area (0 for blobs: exact by construction)
	flips  int     // edges flipped in the target's tessellation
}

// flipAngle is the largest fold (radians) across an edge that FlipEdges
// may flip: 20°.
const flipAngle = 20 * math.Pi / 180

func makePair(cfg Config) (pairData, error) {
	rng := internal.NewRand(cfg.Seed, streamPair)
	switch cfg.Pair {
	case "blob", "blob-same":
		o := mesh.BlobPairOptions{SrcLevel: cfg.SrcLevel, TgtCube: cfg.TgtCube, MaxAngle: cfg.MaxAngle, MaxBend: cfg.MaxBend,
			Asym: true, Permute: true, Noise: cfg.Noise, NormalArea: true}
		if cfg.Pair == "blob-same" {
			o.TgtCube = 0
		}
		p := mesh.BlobPair(rng, o)
		// the blob body is mirror-symmetric in y (up to the small tail):
		// the mirror map on the source sphere
		s := mesh.Icosphere(cfg.SrcLevel)
		mir := make([][3]float64, len(s.V))
		for i, u := range s.V {
			mir[i] = [3]float64{u[0], -u[1], u[2]}
		}
		return pairData{p: p, sym: mesh.NearestOnSphere(s.V, mir)}, nil
	}
	m, _, err := mesh.Load(filepath.Join(cfg.meshDir(), cfg.Pair+".off"))
	if err != nil {
		return pairData{}, err
	}
	d := mesh.RandomDeformation(rng, cfg.DefBend, cfg.DefAngle)
	tm, flips := m, 0
	if cfg.Flip > 0 {
		tm, flips = mesh.FlipEdges(m, cfg.Flip, flipAngle, rng)
	}
	pd := pairData{p: mesh.DeformPair(tm, d, true, cfg.Noise, true, rng), flips: flips}
	if flips > 0 { // the source keeps the original tessellation
		src := m.Clone()
		src.NormalizeArea()
		pd.p.Src = src
	}
	// extrinsic bilateral symmetry of the source, for the flip rate
	// (MirrorMap is a brute-force O(n²) search: skipped on large meshes)
	if len(m.V) > maxMirrorVertices {
		pd.symRes = math.NaN()
		return pd, nil
	}
	sym, res := mesh.MirrorMap(pd.p.Src)
	pd.symRes = res
	if res < cfg.SymTol {
		pd.sym = sym
	}
	return pd, nil
}

// pairRun is one pair's solved state: the bases, the descriptors projected
// on them, the evaluators and the result so far.
type pairRun struct {
	cfg    Config
	p      mesh.Pair
	b1, b2 *matching.Basis
	A, B   *mat.Dense // descriptors projected on the k-dimensional bases
	ev     *matching.Evaluator
	evSym  *matching.Evaluator // against the mirrored ground truth (nil: no symmetry known)
	sym    []int               // mirror map on the source (nil: no symmetry known)
	colors [][3]float64
	res    map[string]float64
}

// runTask solves and scores one pair with every method (and each after
// ZoomOut); bar counts the methods done and names the phase.
func runTask(ctx context.Context, cfg Config, d *results.Dir, bar internal.Progress) (map[string]float64, error) {
	t0 := time.Now()
	bar.Phase("eigenbases")
	r, err := newPairRun(cfg)
	if err != nil {
		return nil, err
	}
	bar.Phase("geodesics")
	if err := r.evaluators(ctx); err != nil {
		return nil, err
	}
	for _, m := range cfg.Methods {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := r.method(ctx, m, d, bar); err != nil {
			return nil, err
		}
		if err := d.Record(results.Step{Step: len(r.res), Values: map[string]float64{m + "_err": r.res[m+"_err"]}}); err != nil {
			return nil, err
		}
		bar.Add(1)
	}
	r.res["time_total_s"] = time.Since(t0).Seconds()
	for kk, v := range r.res {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("metric %s is NaN", kk)
		}
	}
	return r.res, nil
}

// newPairRun makes the pair, its Laplace–Beltrami bases and the projected
// WKS descriptors.
func newPairRun(cfg Config) (*pairRun, error) {
	t0 := time.Now()
	pd, err := makePair(cfg)
	if err != nil {
		return nil, err
	}
	r := &pairRun{cfg: cfg, p: pd.p, res: map[string]float64{"n_src": float64(len(pd.p.Src.V)), "n_tgt": float64(len(pd.p.Tgt.V))}}
	if cfg.Flip > 0 {
		r.res["flips"] = float64(pd.flips)
	}
	if !math.IsNaN(pd.symRes) {
		r.res["sym_residual"] = pd.symRes
	}
	eo := matching.EigenOptions{Rng: internal.NewRand(cfg.Seed, streamEigen), Name: cfg.Pair}
	if r.b1, err = matching.LaplaceBeltrami(r.p.Src, cfg.KEig, false, eo); err != nil {
		return nil, fmt.Errorf("source eigenbasis: %w", err)
	}
	if r.b2, err = matching.LaplaceBeltrami(r.p.Tgt, cfg.KEig, false, eo); err != nil {
		return nil, fmt.Errorf("target eigenbasis: %w", err)
	}
	r.res["time_eigen_s"] = time.Since(t0).Seconds()
	do := matching.DescriptorOptions{Num: cfg.DescrNum, NEv: cfg.DescrNEv, Step: cfg.DescrStep}
	r.A = r.b1.Truncated(cfg.K).Project(matching.Descriptors(r.b1, do))
	r.B = r.b2.Truncated(cfg.K).Project(matching.Descriptors(r.b2, do))
	r.colors, r.sym = matching.CoordColors(r.p.Src), pd.sym
	return r, nil
}

// evaluators prepares the geodesic evaluators on a fixed random subset of
// target vertices: against the ground truth and, for a source with a known
// mirror symmetry, against the mirrored ground truth.
func (r *pairRun) evaluators(ctx context.Context) error {
	var eval []int
	if r.cfg.MaxEval > 0 && r.cfg.MaxEval < len(r.p.Tgt.V) {
		eval = internal.NewRand(r.cfg.Seed, streamEval).Perm(len(r.p.Tgt.V))[:r.cfg.MaxEval]
	}
	g := matching.NewGraph(r.p.Src, true)
	area := r.p.Src.Area()
	var err error
	if r.ev, err = matching.NewEvaluator(ctx, g, area, r.p.GT, eval); err != nil || r.sym == nil {
		return err
	}
	sgt := make([]int, len(r.p.GT))
	for y, x := range r.p.GT {
		sgt[y] = r.sym[x]
	}
	r.evSym, err = matching.NewEvaluator(ctx, g, area, sgt, eval)
	return err
}

// score records the mean geodesic error ×100 of p2p as <name>_err, its
// cumulative curve, and with a known symmetry the flip rate and whether the
// map is flipped (rate > ½).
func (r *pairRun) score(name string, p2p []int) error {
	e, err := r.ev.Errors(p2p)
	if err != nil {
		return err
	}
	r.res[name+"_err"] = 100 * matching.Mean(e)
	for i, c := range matching.CumulativeCurve(e, curveThresholds) {
		r.res[fmt.Sprintf("%s_cum%02d", name, i)] = c
	}
	if r.evSym == nil {
		return nil
	}
	es, err := r.evSym.Errors(p2p)
	if err != nil {
		return err
	}
	fr := matching.FlipRate(e, es)
	r.res[name+"_flip"] = fr
	flipped := 0.0
	if fr > 0.5 {
		flipped = 1
	}
	r.res[name+"_flipped"] = flipped
	return nil
}

// solve returns the k×k functional map of method m.
func (r *pairRun) solve(ctx context.Context, m string) (*mat.Dense, error) {
	k, b1, b2, A, B := r.cfg.K, r.b1, r.b2, r.A, r.B
	switch m {
	case "lsq":
		return matching.SolveFMap(A, B, nil, 0)
	case "commutativity":
		return matching.SolveFMap(A, B, matching.LaplacianMask(b1.Values, b2.Values, k, k, false), r.cfg.MuLap)
	case "resolvent":
		return matching.SolveFMap(A, B, matching.ResolventMask(b1.Values, b2.Values, k, k, r.cfg.Gamma), r.cfg.MuRes)
	case "axiomatic":
		W12 := matching.LaplacianMask(b1.Values, b2.Values, k, k, false)
		W21 := matching.LaplacianMask(b2.Values, b1.Values, k, k, false)
		C, err := matching.SolveFMap(A, B, W12, r.cfg.MuLap)
		if err != nil {
			return nil, err
		}
		C21, err := matching.SolveFMap(B, A, W21, r.cfg.MuLap)
		if err != nil {
			return nil, err
		}
		e := &matching.MapEnergy{A: A, B: B, W12: W12, W21: W21, Mu: r.cfg.MuLap, WOrtho: r.cfg.WAxiom, WBij: r.cfg.WAxiom}
		C, _, err = e.Minimize(ctx, C, C21, 300)
		return C, err
	case "oracle":
		return matching.FMapFromP2P(r.p.GT, b1, b2, k, k), nil
	}
	return nil, fmt.Errorf("unknown method %q", m)
}

// method solves, scores and pictures method m, then the same after ZoomOut.
func (r *pairRun) method(ctx context.Context, m string, d *results.Dir, bar internal.Progress) error {
	bar.Phase(m)
	tm := time.Now()
	C, err := r.solve(ctx, m)
	if err != nil {
		return fmt.Errorf("%s: %w", m, err)
	}
	p2p := matching.P2PFromFMap(C, r.b1, r.b2, false)
	if err := r.score(m, p2p); err != nil {
		return err
	}
	r.res[m+"_time_s"] = time.Since(tm).Seconds()
	if err := matching.SavePNG(d.Path(m+"_fmap.png"), matching.MapImage(C, 8)); err != nil {
		return err
	}
	if err := d.WriteNPY(m+"_fmap.npy", C); err != nil { // the method's final output, k×k
		return err
	}
	if err := savePair(d.Path(m+"_corr.png"), r.p, r.colors, p2p); err != nil {
		return err
	}
	if r.cfg.ZoomEnd == 0 {
		return nil
	}
	bar.Phase(m + " ZoomOut")
	tz := time.Now()
	Cz, pz, err := matching.ZoomOut(ctx, C, r.b1, r.b2, r.cfg.ZoomEnd, r.cfg.ZoomStep)
	if err != nil {
		return fmt.Errorf("%s ZoomOut: %w", m, err)
	}
	if err := r.score(m+"_zo", pz); err != nil {
		return err
	}
	r.res[m+"_zo_time_s"] = time.Since(tz).Seconds()
	if err := matching.SavePNG(d.Path(m+"_zo_fmap.png"), matching.MapImage(Cz, 4)); err != nil {
		return err
	}
	return savePair(d.Path(m+"_zo_corr.png"), r.p, r.colors, pz)
}
func savePair(path string, p mesh.Pair, c1 [][3]float64, p2p []int) error {
	img := matching.Render([]*mesh.Mesh{p.Src, p.Tgt}, [][][3]float64{c1, matching.TransferColors(c1, p2p)}, matching.DefaultView, 800, 400)
	return matching.SavePNG(path, img)
}
