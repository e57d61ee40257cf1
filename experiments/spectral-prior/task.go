package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/matching"
	"genlab/matching/prior"
	"genlab/nn"
	"genlab/results"
)

// MapCfg is the training set of ground-truth maps (see prior.MapSetConfig).
type MapCfg struct {
	K         int      `json:"k"`
	Bodies    int      `json:"bodies"`
	Poses     int      `json:"poses"`
	Level     int      `json:"level"`
	MaxAngle  float64  `json:"max_angle"`
	MaxBend   float64  `json:"max_bend"`
	CGAL      []string `json:"cgal"`
	CGALPoses int      `json:"cgal_poses"`
	DefBend   float64  `json:"def_bend"`
	DefAngle  float64  `json:"def_angle"`
}

// NetCfg is the network prior (see prior.NetConfig).
type NetCfg struct {
	Hidden      int     `json:"hidden"`
	Layers      int     `json:"layers"`
	Fourier     int     `json:"fourier"`
	Steps       int     `json:"steps"`
	Batch       int     `json:"batch"`
	LR          float64 `json:"lr"`
	Warmup      int     `json:"warmup"`
	EMAHalfLife float64 `json:"ema_half_life"`
}

// TuneCfg is the per-mask λ grid searched on validation blob pairs.
type TuneCfg struct {
	Pairs  int       `json:"pairs"`
	MuLap  []float64 `json:"mu_lap"`
	MuRes  []float64 `json:"mu_res"`
	MuMean []float64 `json:"mu_mean"`
	MuDist []float64 `json:"mu_dist"`
}

// Config is the resolved configuration of one test pair; its canonical
// JSON is hashed into the task key.
type Config struct {
	Set         string             `json:"set"`  // blob, shift3, shift6 or a CGAL mesh
	Pair        int                `json:"pair"` // pair index within the set
	Seed        uint64             `json:"seed"` // replicate: training set, network, test pairs
	K           int                `json:"k"`
	KEig        int                `json:"k_eig"`
	ZoomEnd     int                `json:"zoom_end"`
	ZoomStep    int                `json:"zoom_step"`
	Priors      []string           `json:"priors"`
	Regimes     []string           `json:"regimes"`
	Methods     []string           `json:"methods"`
	Map         MapCfg             `json:"map"`
	Net         NetCfg             `json:"net"`
	Tune        TuneCfg            `json:"tune"`
	Sigma       float64            `json:"sigma"` // distillation σ
	S           int                `json:"s"`     // distillation copies
	MeanEps     float64            `json:"mean_eps"`
	Gamma       float64            `json:"gamma"`
	Refine      prior.RefineConfig `json:"refine"`
	Axiom       prior.RefineConfig `json:"axiom"`
	Noise       float64            `json:"noise"` // R2 target jitter, fraction of √area
	WKSNum      int                `json:"wks_num"`
	WKSNEv      int                `json:"wks_nev"`
	WKSStep     int                `json:"wks_step"`
	FewStep     int                `json:"few_step"`
	PartialFrac float64            `json:"partial_frac"`
	SrcLevel    int                `json:"src_level"`
	TgtCube     int                `json:"tgt_cube"`
	MaxAngle    float64            `json:"max_angle"`
	MaxBend     float64            `json:"max_bend"`
	DefBend     float64            `json:"def_bend"`
	DefAngle    float64            `json:"def_angle"`
	MaxEval     int                `json:"max_eval"`
	SymTol      float64            `json:"sym_tol"`
	CGALDir     string             `json:"cgal_dir"`
	Pictures    int                `json:"pictures"` // draw pictures for pair indices < Pictures
}

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
	if contains(cfg.Regimes, string(prior.Noisy)) {
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

// bundle is the trained state shared by the tasks of one (seed, k): the
// training images, the priors and the tuned λ of every mask.
type bundle struct {
	use    sync.Mutex // held by the task using the bundle
	images *mat.Dense
	mean   []float64
	dens   map[string]diffusion.Denoiser
	mu     map[string]float64
	stats  map[string]float64
	close  []func()
}

func (b *bundle) Close() {
	for _, f := range b.close {
		f()
	}
}

// solver returns the prior.Solver for one prior ("" for prior-free methods).
func (b *bundle) solver(cfg Config, p string) *prior.Solver {
	s := &prior.Solver{MuLap: b.mu["lap"], MuRes: b.mu["resolvent"], MuMean: b.mu["meanmap"], Gamma: cfg.Gamma,
		MeanImage: b.mean, MeanEps: cfg.MeanEps, Sigma: cfg.Sigma, S: cfg.S, Refine: cfg.Refine, Axiom: cfg.Axiom}
	if p != "" {
		s.Den = b.dens[p]
		s.MuDist = b.mu["distilled_"+p]
	}
	return s
}

// bundles caches bundles by key within one process run. Its get is safe
// for concurrent tasks (-jobs): one bundle is built at a time, and a task
// holds its bundle's use lock while it runs, because the bundle's network
// denoisers keep scratch buffers.
type bundles struct {
	root   string
	expDir string
	stderr io.Writer             // progress of the network prior's training
	models *diffusion.ModelCache // the trained network priors (modelCache)
	mu     sync.Mutex            // guards m and serialises building
	m      map[string]*bundle
}

func (bs *bundles) closeAll() {
	for _, b := range bs.m {
		b.Close()
	}
}

// batched dispatches a denoising call to the network compiled for the
// smallest batch that holds it (1-row calls from score distillation, S-row
// calls from mask distillation).
type batched struct {
	small, big *diffusion.NetDenoiser
	nSmall     int
}

func (b batched) Denoise(dst, x *mat.Dense, sigma float64) error {
	if r, _ := x.Dims(); r <= b.nSmall {
		return b.small.Denoise(dst, x, sigma)
	}
	return b.big.Denoise(dst, x, sigma)
}

func (bs *bundles) get(ctx context.Context, cfg Config, stderr func(string, ...any)) (*bundle, error) {
	tuneKey := struct {
		Map    MapCfg     `json:"map"`
		Net    NetCfg     `json:"net"`
		Tune   TuneCfg    `json:"tune"`
		Seed   uint64     `json:"seed"`
		K      int        `json:"k"`
		Priors []string   `json:"priors"`
		Reg    []string   `json:"regimes"`
		Sigma  float64    `json:"sigma"`
		S      int        `json:"s"`
		Eps    float64    `json:"mean_eps"`
		Gamma  float64    `json:"gamma"`
		Noise  float64    `json:"noise"`
		WKS    [5]float64 `json:"wks"`
		Pair   [5]float64 `json:"pair"`
	}{cfg.Map, cfg.Net, cfg.Tune, cfg.Seed, cfg.K, cfg.Priors, cfg.Regimes, cfg.Sigma, cfg.S, cfg.MeanEps, cfg.Gamma, cfg.Noise,
		[5]float64{float64(cfg.WKSNum), float64(cfg.WKSNEv), float64(cfg.WKSStep), float64(cfg.FewStep), cfg.PartialFrac},
		[5]float64{float64(cfg.SrcLevel), float64(cfg.TgtCube), cfg.MaxAngle, cfg.MaxBend, float64(cfg.KEig)}}
	key, err := results.Key(tuneKey)
	if err != nil {
		return nil, err
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if b, ok := bs.m[key]; ok {
		return b, nil
	}
	t0 := time.Now()
	all, err := bs.maps(ctx, cfg, stderr)
	if err != nil {
		return nil, err
	}
	b := &bundle{images: cropImages(all, cfg.Map.K, cfg.K), dens: map[string]diffusion.Denoiser{}, mu: map[string]float64{},
		stats: map[string]float64{"train_maps": float64(all.RawMatrix().Rows), "time_maps_s": time.Since(t0).Seconds()}}
	b.mean = prior.MeanImage(b.images)
	for _, p := range cfg.Priors {
		switch p {
		case "exact":
			b.dens[p] = diffusion.Ideal{Data: b.images, Kernel: diffusion.Gaussian{}}
		case "gaussian":
			g, err := prior.FitGaussian(b.images, 1e-6)
			if err != nil {
				return nil, err
			}
			b.dens[p] = g
		case "net":
			tn := time.Now()
			np, loss, err := bs.net(ctx, cfg, b.images, stderr)
			if err != nil {
				return nil, err
			}
			small, err := np.Denoiser(1)
			if err != nil {
				return nil, err
			}
			big, err := np.Denoiser(max(cfg.S, 16))
			if err != nil {
				small.Close()
				return nil, err
			}
			b.close = append(b.close, small.Close, big.Close)
			b.dens[p] = batched{small: small, big: big, nSmall: 1}
			b.stats["net_loss"] = loss
			b.stats["time_net_s"] = time.Since(tn).Seconds()
		}
	}
	if err := bs.samplePictures(ctx, cfg, b); err != nil {
		return nil, err
	}
	// λ tuning, cached on disk
	d, err := results.OpenCache(bs.root, modelsExperiment, struct {
		Kind string `json:"kind"`
		Key  any    `json:"key"`
	}{"tune", tuneKey})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if d.Done() {
		r, err := d.Result()
		if err != nil {
			return nil, err
		}
		for k, v := range r {
			if strings.HasPrefix(k, "mu_") {
				b.mu[strings.TrimPrefix(k, "mu_")] = v
			}
		}
	} else {
		tt := time.Now()
		stderr("%s: tuning λ per mask on %d validation pairs (k = %d, seed %d)", experiment, cfg.Tune.Pairs, cfg.K, cfg.Seed)
		res, err := tune(ctx, cfg, b)
		if err != nil {
			return nil, fmt.Errorf("tuning: %w", err)
		}
		res["time_tune_s"] = time.Since(tt).Seconds()
		if err := d.WriteResult(res); err != nil {
			return nil, err
		}
		for k, v := range res {
			if strings.HasPrefix(k, "mu_") {
				b.mu[strings.TrimPrefix(k, "mu_")] = v
			}
		}
	}
	if bs.m == nil {
		bs.m = map[string]*bundle{}
	}
	bs.m[key] = b
	return b, nil
}

// maps returns the training |C| images at Map.K, cached on disk.
func (bs *bundles) maps(ctx context.Context, cfg Config, stderr func(string, ...any)) (*mat.Dense, error) {
	d, err := results.OpenCache(bs.root, modelsExperiment, struct {
		Kind string `json:"kind"`
		Map  MapCfg `json:"map"`
		Seed uint64 `json:"seed"`
	}{"maps", cfg.Map, cfg.Seed})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	path := d.Path("maps.bin")
	if d.Done() {
		return readDense(path)
	}
	mc := prior.MapSetConfig{K: cfg.Map.K, Bodies: cfg.Map.Bodies, Poses: cfg.Map.Poses, Level: cfg.Map.Level,
		MaxAngle: cfg.Map.MaxAngle, MaxBend: cfg.Map.MaxBend, CGALPoses: cfg.Map.CGALPoses,
		DefBend: cfg.Map.DefBend, DefAngle: cfg.Map.DefAngle, Seed: cfg.Seed}
	for _, name := range cfg.Map.CGAL {
		m, _, err := mesh.Load(filepath.Join(cfg.CGALDir, name+".off"))
		if err != nil {
			return nil, err
		}
		mc.CGAL = append(mc.CGAL, m)
	}
	stderr("%s: building %d×%d training maps (seed %d)", experiment, cfg.Map.Bodies, cfg.Map.Poses, cfg.Seed)
	t0 := time.Now()
	set, err := prior.BuildMapSet(ctx, mc)
	if err != nil {
		return nil, err
	}
	im := set.Images(cfg.Map.K)
	if err := writeDense(path, im); err != nil {
		return nil, err
	}
	return im, d.WriteResult(map[string]float64{"maps": float64(len(set.Maps)), "seconds": time.Since(t0).Seconds()})
}

// net returns the network prior for (seed, k) from the model cache:
// trained now (resuming from its checkpoint) or loaded.
func (bs *bundles) net(ctx context.Context, cfg Config, images *mat.Dense, stderr func(string, ...any)) (*prior.NetPrior, float64, error) {
	_, dim := images.Dims()
	sd := prior.RMS(images)
	fresh, err := nn.NewMLP(nn.MLPConfig{In: dim, Out: dim, Hidden: cfg.Net.Hidden, Layers: cfg.Net.Layers, Fourier: cfg.Net.Fourier},
		rand.New(rand.NewPCG(cfg.Seed, 1)))
	if err != nil {
		return nil, 0, err
	}
	key := struct {
		Kind string `json:"kind"`
		Map  MapCfg `json:"map"`
		Net  NetCfg `json:"net"`
		Seed uint64 `json:"seed"`
		K    int    `json:"k"`
	}{"net", cfg.Map, cfg.Net, cfg.Seed, cfg.K}
	cm, err := bs.modelCache().LoadOrTrain(ctx, key, fresh, func(ctx context.Context, ckpt string, record func(int, map[string]float64) error) (nn.Model, map[string]float64, error) {
		stderr("%s: training the network prior (k = %d, %d steps)", experiment, cfg.K, cfg.Net.Steps)
		t0 := time.Now()
		bar := internal.NewProgress(bs.stderr, cfg.Net.Steps, fmt.Sprintf("%s net prior k=%d seed%d", experiment, cfg.K, cfg.Seed))
		defer bar.Finish()
		np, err := prior.TrainNet(ctx, images, prior.NetConfig{Hidden: cfg.Net.Hidden, Layers: cfg.Net.Layers, Fourier: cfg.Net.Fourier,
			Steps: cfg.Net.Steps, Batch: cfg.Net.Batch, LR: cfg.Net.LR, Warmup: cfg.Net.Warmup, EMAHalfLife: cfg.Net.EMAHalfLife,
			Seed: cfg.Seed, CheckpointPath: ckpt, Record: record, Progress: internal.TrainStep(bar)})
		if err != nil {
			return nil, nil, err
		}
		return np.Model, map[string]float64{"final_loss": np.Loss, "train_seconds": time.Since(t0).Seconds(), "sigma_data": sd}, nil
	})
	if err != nil {
		return nil, 0, err
	}
	return prior.NewNetPrior(cm.Net, sd), cm.Result["final_loss"], nil
}

// modelCache returns the cache of network priors under the run root; bs.mu
// is held.
func (bs *bundles) modelCache() *diffusion.ModelCache {
	if bs.models == nil {
		bs.models = &diffusion.ModelCache{Root: bs.root, Name: modelsExperiment}
	}
	return bs.models
}

// samplePictures draws 8 maps from every prior with Heun (18 levels) and
// writes them under 8 real training maps, and records how far samples are
// from their nearest training map (relative to the nearest distance
// between training maps: ≈ 0 means memorised).
func (bs *bundles) samplePictures(ctx context.Context, cfg Config, b *bundle) error {
	if err := os.MkdirAll(bs.expDir, 0o755); err != nil {
		return err
	}
	n, dim := b.images.Dims()
	mx := 0.0
	for _, v := range b.images.RawMatrix().Data {
		mx = math.Max(mx, v)
	}
	var real [][]float64
	for i := 0; i < 8 && i < n; i++ {
		real = append(real, b.images.RawRowView((i*n)/8))
	}
	nn1 := func(x []float64, skip int) float64 {
		best := math.Inf(1)
		for j := 0; j < n; j++ {
			if j != skip {
				best = math.Min(best, dist(x, b.images.RawRowView(j)))
			}
		}
		return best
	}
	ref := 0.0
	for i := 0; i < 8 && i < n; i++ {
		ref += nn1(b.images.RawRowView((i*n)/8), (i*n)/8) / 8
	}
	names := make([]string, 0, len(b.dens))
	for p := range b.dens {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		x, err := prior.Sample(ctx, b.dens[p], 8, dim, 18, diffusion.SigmaMax, diffusion.SigmaMin, cfg.Seed)
		if err != nil {
			return err
		}
		imgs := append([][]float64{}, real...)
		nd := 0.0
		for i := 0; i < 8; i++ {
			imgs = append(imgs, x.RawRowView(i))
			nd += nn1(x.RawRowView(i), -1) / 8
		}
		b.stats["sample_nn_rel_"+p] = nd / ref
		path := filepath.Join(bs.expDir, fmt.Sprintf("samples_%s_k%d_seed%d.png", p, cfg.K, cfg.Seed))
		if err := results.ImageGridRange(path, imgs, cfg.K, cfg.K, 2, 8, 0, mx); err != nil {
			return err
		}
		if err := results.WriteNPY(strings.TrimSuffix(path, ".png")+".npy", x); err != nil { // the 8 sampled |C|, one per row
			return err
		}
	}
	return nil
}

func dist(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return math.Sqrt(s)
}

// tune picks, for each mask, the λ of its grid with the lowest mean raw
// geodesic error over the validation pairs × regimes.
func tune(ctx context.Context, cfg Config, b *bundle) (map[string]float64, error) {
	grids := map[string][]float64{"lap": cfg.Tune.MuLap, "resolvent": cfg.Tune.MuRes, "meanmap": cfg.Tune.MuMean}
	for _, p := range cfg.Priors {
		grids["distilled_"+p] = cfg.Tune.MuDist
	}
	sums := map[string][]float64{}
	for k, g := range grids {
		sums[k] = make([]float64, len(g))
	}
	for v := 0; v < cfg.Tune.Pairs; v++ {
		pd, err := makePair(cfg, "blob", -1-v)
		if err != nil {
			return nil, err
		}
		ev, err := evaluator(ctx, cfg, pd, pd.p.GT, -1-v)
		if err != nil {
			return nil, err
		}
		ps := pairSeed(cfg.Seed, "blob", -1-v)
		for _, r := range cfg.Regimes {
			prob, b2, err := pd.problem(cfg, prior.Regime(r), ps)
			if err != nil {
				return nil, err
			}
			for name, grid := range grids {
				m, pr := prior.Method(name), ""
				if strings.HasPrefix(name, "distilled_") {
					m, pr = prior.Distilled, strings.TrimPrefix(name, "distilled_")
				}
				s := b.solver(cfg, pr)
				var raw *mat.Dense
				if m.UsesPrior() {
					if raw, err = matching.SolveFMap(prob.A, prob.B, nil, 0); err != nil {
						return nil, err
					}
				}
				w, _, err := s.Mask(m, pd.b1.Values, b2.Values, cfg.K, raw, internal.NewRand(ps, streamSolve))
				if err != nil {
					return nil, err
				}
				for gi, mu := range grid {
					c, err := matching.SolveFMap(prob.A, prob.B, w, mu)
					if err != nil {
						return nil, err
					}
					e, err := ev.Errors(matching.P2PFromFMap(c, pd.b1, b2, false))
					if err != nil {
						return nil, err
					}
					sums[name][gi] += matching.Mean(e)
				}
			}
		}
	}
	out := map[string]float64{}
	for name, grid := range grids {
		best := 0
		for gi := range grid {
			if sums[name][gi] < sums[name][best] {
				best = gi
			}
		}
		out["mu_"+name] = grid[best]
		out["val_err_"+name] = 100 * sums[name][best] / float64(cfg.Tune.Pairs*len(cfg.Regimes))
	}
	return out, nil
}

func evaluator(ctx context.Context, cfg Config, pd *pairData, gt []int, idx int) (*matching.Evaluator, error) {
	var eval []int
	if n := len(pd.p.Tgt.V); cfg.MaxEval > 0 && cfg.MaxEval < n {
		eval = internal.NewRand(pairSeed(cfg.Seed, "eval", idx), streamEval).Perm(n)[:cfg.MaxEval]
	}
	return matching.NewEvaluator(ctx, matching.NewGraph(pd.p.Src, true), pd.p.Src.Area(), gt, eval)
}

// runTask solves one test pair with every regime × method (× prior for the
// prior methods), each before and after ZoomOut.
// solves is the number of refinements runTask makes: one per regime ×
// method (× prior, for the methods that use one).
func solves(cfg Config) int {
	n := 0
	for _, m := range cfg.Methods {
		if prior.Method(m).UsesPrior() {
			n += len(cfg.Priors)
		} else {
			n++
		}
	}
	return n * len(cfg.Regimes)
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
	pd, err := makePair(cfg, cfg.Set, cfg.Pair)
	if err != nil {
		return nil, err
	}
	res := map[string]float64{"n_src": float64(len(pd.p.Src.V)), "n_tgt": float64(len(pd.p.Tgt.V))}
	for k, v := range b.stats {
		res[k] = v
	}
	for k, v := range b.mu {
		res["mu_"+k] = v
	}
	ev, err := evaluator(ctx, cfg, pd, pd.p.GT, cfg.Pair)
	if err != nil {
		return nil, err
	}
	var evSym *matching.Evaluator
	if pd.sym != nil {
		sgt := make([]int, len(pd.p.GT))
		for y, x := range pd.p.GT {
			sgt[y] = pd.sym[x]
		}
		if evSym, err = evaluator(ctx, cfg, pd, sgt, cfg.Pair); err != nil {
			return nil, err
		}
	}
	score := func(name string, p2p []int) error {
		e, err := ev.Errors(p2p)
		if err != nil {
			return err
		}
		res[name+"_err"] = 100 * matching.Mean(e)
		if evSym != nil {
			es, err := evSym.Errors(p2p)
			if err != nil {
				return err
			}
			fr := matching.FlipRate(e, es)
			res[name+"_flip"] = fr
			res[name+"_flipped"] = b2f(fr > 0.5)
		}
		return nil
	}
	// oracle floor
	bar.Phase("oracle")
	cgt := matching.FMapFromP2P(pd.p.GT, pd.b1, pd.b2, cfg.K, cfg.K)
	if err := score("oracle", matching.P2PFromFMap(cgt, pd.b1, pd.b2, false)); err != nil {
		return nil, err
	}
	_, pz, err := matching.ZoomOut(ctx, cgt, pd.b1, pd.b2, cfg.ZoomEnd, cfg.ZoomStep)
	if err != nil {
		return nil, err
	}
	if err := score("oracle_zo", pz); err != nil {
		return nil, err
	}
	pics := cfg.Pair < cfg.Pictures
	colors := matching.CoordColors(pd.p.Src)
	ps := pairSeed(cfg.Seed, cfg.Set, cfg.Pair)
	for ri, r := range cfg.Regimes {
		prob, b2, err := pd.problem(cfg, prior.Regime(r), ps)
		if err != nil {
			return nil, err
		}
		for mi, m := range cfg.Methods {
			pr := []string{""}
			if prior.Method(m).UsesPrior() {
				pr = cfg.Priors
			}
			for pi, p := range pr {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				name := methodName(r, m, p)
				bar.Phase(name)
				tm := time.Now()
				rng := internal.NewRand(ps, uint64(streamSolve+1000*ri+100*mi+pi))
				c, err := b.solver(cfg, p).Solve(ctx, prob, prior.Method(m), rng)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				if err := score(name, matching.P2PFromFMap(c, pd.b1, b2, false)); err != nil {
					return nil, err
				}
				_, pz, err := matching.ZoomOut(ctx, c, pd.b1, b2, cfg.ZoomEnd, cfg.ZoomStep)
				if err != nil {
					return nil, fmt.Errorf("%s ZoomOut: %w", name, err)
				}
				if err := score(name+"_zo", pz); err != nil {
					return nil, err
				}
				res[name+"_time_s"] = time.Since(tm).Seconds()
				if pics && (r == string(prior.Clean) || r == string(prior.Noisy)) {
					if err := matching.SavePNG(d.Path(name+"_fmap.png"), matching.MapImage(c, 8)); err != nil {
						return nil, err
					}
					if err := d.WriteNPY(name+"_fmap.npy", c); err != nil {
						return nil, err
					}
					img := matching.Render([]*mesh.Mesh{pd.p.Src, pd.p.Tgt}, [][][3]float64{colors, matching.TransferColors(colors, pz)},
						matching.DefaultView, 600, 300)
					if err := matching.SavePNG(d.Path(name+"_zo_corr.png"), img); err != nil {
						return nil, err
					}
				}
				bar.Add(1)
			}
		}
		if err := d.Record(results.Step{Step: ri, Values: map[string]float64{"regime": float64(ri), "elapsed_s": time.Since(t0).Seconds()}}); err != nil {
			return nil, err
		}
	}
	if pics {
		if err := matching.SavePNG(d.Path("oracle_fmap.png"), matching.MapImage(cgt, 8)); err != nil {
			return nil, err
		}
	}
	res["time_pair_s"] = time.Since(t0).Seconds()
	for k, v := range res {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("metric %s is %v", k, v)
		}
	}
	return res, nil
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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// cropImages crops rows of K×K images to k×k.
func cropImages(im *mat.Dense, K, k int) *mat.Dense {
	if k == K {
		return im
	}
	n, _ := im.Dims()
	out := mat.NewDense(n, k*k, nil)
	for r := 0; r < n; r++ {
		src, dst := im.RawRowView(r), out.RawRowView(r)
		for i := 0; i < k; i++ {
			copy(dst[i*k:(i+1)*k], src[i*K:i*K+k])
		}
	}
	return out
}

// writeDense stores rows, cols and the float64 data (little-endian).
func writeDense(path string, m *mat.Dense) error {
	r, c := m.Dims()
	var buf bytes.Buffer
	_ = binary.Write(&buf, binary.LittleEndian, [2]int64{int64(r), int64(c)})
	for i := 0; i < r; i++ {
		_ = binary.Write(&buf, binary.LittleEndian, m.RawRowView(i))
	}
	return results.WriteFileAtomic(path, buf.Bytes())
}

func readDense(path string) (*mat.Dense, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rd := bytes.NewReader(raw)
	var hdr [2]int64
	if err := binary.Read(rd, binary.LittleEndian, &hdr); err != nil || hdr[0] <= 0 || hdr[1] <= 0 || hdr[0]*hdr[1]*8+16 != int64(len(raw)) {
		return nil, fmt.Errorf("%s: corrupt map file", path)
	}
	data := make([]float64, hdr[0]*hdr[1])
	if err := binary.Read(rd, binary.LittleEndian, data); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return mat.NewDense(int(hdr[0]), int(hdr[1]), data), nil
}
