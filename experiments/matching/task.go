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

// Config is the resolved configuration of one pair; its canonical JSON is
// hashed into the task key.
type Config struct {
	Pair      string   `json:"pair"`
	Seed      uint64   `json:"seed"`
	Noise     float64  `json:"noise"`          // target jitter, fraction of √area
	K         int      `json:"k"`              // functional map size
	KEig      int      `json:"k_eig"`          // eigenpairs computed
	ZoomEnd   int      `json:"zoom_end"`       // ZoomOut end size (0: off)
	ZoomStep  int      `json:"zoom_step"`      // ZoomOut step
	DescrNum  int      `json:"descr_num"`      // WKS energies (pyFM n_descr)
	DescrNEv  int      `json:"descr_nev"`      // eigenpairs used by the WKS
	DescrStep int      `json:"descr_step"`     // keep every step-th descriptor
	MuLap     float64  `json:"mu_lap"`         // μ of the Laplacian mask (DiffuMatch lap_mask: 1e-3)
	MuRes     float64  `json:"mu_res"`         // μ of the resolvent mask (ULRSSM: 100)
	Gamma     float64  `json:"gamma"`          // resolvent γ
	WAxiom    float64  `json:"w_axiom"`        // orthogonality and bijectivity weight of "axiomatic"
	SrcLevel  int      `json:"src_level"`      // blob source icosphere level
	TgtCube   int      `json:"tgt_cube"`       // blob target cube-sphere resolution
	MaxAngle  float64  `json:"max_angle"`      // blob articulation range (rad)
	MaxBend   float64  `json:"max_bend"`       // blob bend range
	DefBend   float64  `json:"def_bend"`       // CGAL deformation bend range
	DefAngle  float64  `json:"def_angle"`      // CGAL deformation joint angle range (rad)
	MaxEval   int      `json:"max_eval"`       // evaluated target vertices (random subset; 0: all)
	SymTol    float64  `json:"sym_tol"`        // CGAL: mirror residual/√area below which the source counts as symmetric
	Flip      float64  `json:"flip,omitempty"` // CGAL: fraction of nearly flat edges flipped in the target (new tessellation)
	Methods   []string `json:"methods"`
	// CGALDir is the default mesh directory (the Debian package's files,
	// keyed by path as before); a -cgal directory is MeshDir instead, out of
	// the key, and the pair's mesh file is keyed by content, MeshSHA.
	CGALDir string `json:"cgal_dir,omitempty"`
	MeshDir string `json:"-"`
	MeshSHA string `json:"mesh_sha256,omitempty"`
}

// meshDir returns the directory the pair's mesh is read from.
func (c Config) meshDir() string {
	if c.MeshDir != "" {
		return c.MeshDir
	}
	return c.CGALDir
}

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

// bar counts the methods done and names the phase.
func runTask(ctx context.Context, cfg Config, d *results.Dir, bar internal.Progress) (map[string]float64, error) {
	t0 := time.Now()
	bar.Phase("eigenbases")
	pd, err := makePair(cfg)
	if err != nil {
		return nil, err
	}
	p := pd.p
	res := map[string]float64{"n_src": float64(len(p.Src.V)), "n_tgt": float64(len(p.Tgt.V))}
	if cfg.Flip > 0 {
		res["flips"] = float64(pd.flips)
	}
	if !math.IsNaN(pd.symRes) {
		res["sym_residual"] = pd.symRes
	}
	eo := matching.EigenOptions{Rng: internal.NewRand(cfg.Seed, streamEigen), Name: cfg.Pair}
	b1, err := matching.LaplaceBeltrami(p.Src, cfg.KEig, false, eo)
	if err != nil {
		return nil, fmt.Errorf("source eigenbasis: %w", err)
	}
	b2, err := matching.LaplaceBeltrami(p.Tgt, cfg.KEig, false, eo)
	if err != nil {
		return nil, fmt.Errorf("target eigenbasis: %w", err)
	}
	res["time_eigen_s"] = time.Since(t0).Seconds()
	do := matching.DescriptorOptions{Num: cfg.DescrNum, NEv: cfg.DescrNEv, Step: cfg.DescrStep}
	A := b1.Truncated(cfg.K).Project(matching.Descriptors(b1, do))
	B := b2.Truncated(cfg.K).Project(matching.Descriptors(b2, do))

	// evaluation: a fixed random subset of target vertices
	var eval []int
	if cfg.MaxEval > 0 && cfg.MaxEval < len(p.Tgt.V) {
		eval = internal.NewRand(cfg.Seed, streamEval).Perm(len(p.Tgt.V))[:cfg.MaxEval]
	}
	bar.Phase("geodesics")
	g := matching.NewGraph(p.Src, true)
	area := p.Src.Area()
	ev, err := matching.NewEvaluator(ctx, g, area, p.GT, eval)
	if err != nil {
		return nil, err
	}
	var evSym *matching.Evaluator
	if pd.sym != nil {
		sgt := make([]int, len(p.GT))
		for y, x := range p.GT {
			sgt[y] = pd.sym[x]
		}
		if evSym, err = matching.NewEvaluator(ctx, g, area, sgt, eval); err != nil {
			return nil, err
		}
	}
	k := cfg.K
	score := func(name string, p2p []int) error {
		e, err := ev.Errors(p2p)
		if err != nil {
			return err
		}
		res[name+"_err"] = 100 * matching.Mean(e)
		for i, c := range matching.CumulativeCurve(e, curveThresholds) {
			res[fmt.Sprintf("%s_cum%02d", name, i)] = c
		}
		if evSym != nil {
			es, err := evSym.Errors(p2p)
			if err != nil {
				return err
			}
			fr := matching.FlipRate(e, es)
			res[name+"_flip"] = fr
			flipped := 0.0
			if fr > 0.5 {
				flipped = 1
			}
			res[name+"_flipped"] = flipped
		}
		return nil
	}
	colors := matching.CoordColors(p.Src)
	for _, m := range cfg.Methods {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		bar.Phase(m)
		tm := time.Now()
		var C *mat.Dense
		switch m {
		case "lsq":
			C, err = matching.SolveFMap(A, B, nil, 0)
		case "commutativity":
			C, err = matching.SolveFMap(A, B, matching.LaplacianMask(b1.Values, b2.Values, k, k, false), cfg.MuLap)
		case "resolvent":
			C, err = matching.SolveFMap(A, B, matching.ResolventMask(b1.Values, b2.Values, k, k, cfg.Gamma), cfg.MuRes)
		case "axiomatic":
			W12 := matching.LaplacianMask(b1.Values, b2.Values, k, k, false)
			W21 := matching.LaplacianMask(b2.Values, b1.Values, k, k, false)
			var C21 *mat.Dense
			if C, err = matching.SolveFMap(A, B, W12, cfg.MuLap); err != nil {
				break
			}
			if C21, err = matching.SolveFMap(B, A, W21, cfg.MuLap); err != nil {
				break
			}
			e := &matching.MapEnergy{A: A, B: B, W12: W12, W21: W21, Mu: cfg.MuLap, WOrtho: cfg.WAxiom, WBij: cfg.WAxiom}
			C, _, err = e.Minimize(ctx, C, C21, 300)
		case "oracle":
			C = matching.FMapFromP2P(p.GT, b1, b2, k, k)
		default:
			return nil, fmt.Errorf("unknown method %q", m)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m, err)
		}
		p2p := matching.P2PFromFMap(C, b1, b2, false)
		if err := score(m, p2p); err != nil {
			return nil, err
		}
		res[m+"_time_s"] = time.Since(tm).Seconds()
		if err := matching.SavePNG(d.Path(m+"_fmap.png"), matching.MapImage(C, 8)); err != nil {
			return nil, err
		}
		if err := d.WriteNPY(m+"_fmap.npy", C); err != nil { // the method's final output, k×k
			return nil, err
		}
		if err := savePair(d.Path(m+"_corr.png"), p, colors, p2p); err != nil {
			return nil, err
		}
		if cfg.ZoomEnd > 0 {
			bar.Phase(m + " ZoomOut")
			tz := time.Now()
			Cz, pz, err := matching.ZoomOut(ctx, C, b1, b2, cfg.ZoomEnd, cfg.ZoomStep)
			if err != nil {
				return nil, fmt.Errorf("%s ZoomOut: %w", m, err)
			}
			if err := score(m+"_zo", pz); err != nil {
				return nil, err
			}
			res[m+"_zo_time_s"] = time.Since(tz).Seconds()
			if err := matching.SavePNG(d.Path(m+"_zo_fmap.png"), matching.MapImage(Cz, 4)); err != nil {
				return nil, err
			}
			if err := savePair(d.Path(m+"_zo_corr.png"), p, colors, pz); err != nil {
				return nil, err
			}
		}
		if err := d.Record(results.Step{Step: len(res), Values: map[string]float64{m + "_err": res[m+"_err"]}}); err != nil {
			return nil, err
		}
		bar.Add(1)
	}
	res["time_total_s"] = time.Since(t0).Seconds()
	for kk, v := range res {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("metric %s is NaN", kk)
		}
	}
	return res, nil
}

func savePair(path string, p mesh.Pair, c1 [][3]float64, p2p []int) error {
	img := matching.Render([]*mesh.Mesh{p.Src, p.Tgt}, [][][3]float64{c1, matching.TransferColors(c1, p2p)}, matching.DefaultView, 800, 400)
	return matching.SavePNG(path, img)
}
