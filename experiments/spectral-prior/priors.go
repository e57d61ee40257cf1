package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/matching/prior"
	"genlab/nn"
	"genlab/results"
)

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
	curve  []int                 // -net-curve's step counts: a network prior continues from the largest cached one below its own
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

// tuneKey is everything the tuned λ of a bundle depends on.
func tuneKey(cfg Config) any {
	return struct {
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
}

// get returns the bundle of cfg's (seed, k): built once per process (the
// training maps, the priors, their sample pictures and the tuned λ, each
// cached on disk) and shared by the tasks that need it.
func (bs *bundles) get(ctx context.Context, cfg Config, stderr func(string, ...any)) (*bundle, error) {
	tk := tuneKey(cfg)
	key, err := results.Key(tk)
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
		if err := bs.addPrior(ctx, cfg, b, p, stderr); err != nil {
			b.Close()
			return nil, err
		}
	}
	if err := bs.samplePictures(ctx, cfg, b); err != nil {
		return nil, err
	}
	if err := bs.tuned(ctx, cfg, b, tk, stderr); err != nil {
		return nil, err
	}
	if bs.m == nil {
		bs.m = map[string]*bundle{}
	}
	bs.m[key] = b
	return b, nil
}

// addPrior adds prior p (exact, gaussian or net) fitted to b's images to b.
func (bs *bundles) addPrior(ctx context.Context, cfg Config, b *bundle, p string, stderr func(string, ...any)) error {
	switch p {
	case "exact":
		b.dens[p] = diffusion.Ideal{Data: b.images, Kernel: diffusion.Gaussian{}}
	case "gaussian":
		g, err := prior.FitGaussian(b.images, 1e-6)
		if err != nil {
			return err
		}
		b.dens[p] = g
	case "net":
		tn := time.Now()
		from := slices.Clone(bs.curve)
		slices.Reverse(from)
		np, res, err := bs.net(ctx, cfg, b.images, from, stderr)
		if err != nil {
			return err
		}
		small, err := np.Denoiser(1)
		if err != nil {
			return err
		}
		big, err := np.Denoiser(max(cfg.S, 16))
		if err != nil {
			small.Close()
			return err
		}
		b.close = append(b.close, small.Close, big.Close)
		b.dens[p] = batched{small: small, big: big, nSmall: 1}
		b.stats["net_loss"] = res["final_loss"]
		b.stats["time_net_s"] = time.Since(tn).Seconds()
	}
	return nil
}

// tuned sets b's λ per mask: read from the tuning cache (keyed by tk), or
// tuned now on validation pairs and cached.
func (bs *bundles) tuned(ctx context.Context, cfg Config, b *bundle, tk any, stderr func(string, ...any)) error {
	d, err := results.OpenCache(bs.root, modelsExperiment, struct {
		Kind string `json:"kind"`
		Key  any    `json:"key"`
	}{"tune", tk})
	if err != nil {
		return err
	}
	defer d.Close()
	var res map[string]float64
	if d.Done() {
		if res, err = d.Result(); err != nil {
			return err
		}
	} else {
		tt := time.Now()
		stderr("%s: tuning λ per mask on %d validation pairs (k = %d, seed %d)", experiment, cfg.Tune.Pairs, cfg.K, cfg.Seed)
		if res, err = tune(ctx, cfg, b); err != nil {
			return fmt.Errorf("tuning: %w", err)
		}
		res["time_tune_s"] = time.Since(tt).Seconds()
		if err := d.WriteResult(res); err != nil {
			return err
		}
	}
	for k, v := range res {
		if strings.HasPrefix(k, "mu_") {
			b.mu[strings.TrimPrefix(k, "mu_")] = v
		}
	}
	return nil
}

// maps returns the training |C| images at Map.K, cached on disk.
func (bs *bundles) maps(ctx context.Context, cfg Config, stderr func(string, ...any)) (*mat.Dense, error) {
	return bs.mapSet(ctx, cfg, cfg.Map, cfg.Seed, stderr)
}

// mapSet returns the |C| images at mc.K of the map set mc drawn from seed
// (CGAL meshes from cfg.CGALDir), cached on disk.
func (bs *bundles) mapSet(ctx context.Context, cfg Config, mc MapCfg, seed uint64, stderr func(string, ...any)) (*mat.Dense, error) {
	d, err := results.OpenCache(bs.root, modelsExperiment, struct {
		Kind string `json:"kind"`
		Map  MapCfg `json:"map"`
		Seed uint64 `json:"seed"`
	}{"maps", mc, seed})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	path := d.Path("maps.bin")
	if d.Done() {
		return results.ReadDense(path)
	}
	ms := prior.MapSetConfig{K: mc.K, Bodies: mc.Bodies, Poses: mc.Poses, Level: mc.Level,
		MaxAngle: mc.MaxAngle, MaxBend: mc.MaxBend, CGALPoses: mc.CGALPoses,
		DefBend: mc.DefBend, DefAngle: mc.DefAngle, Seed: seed}
	for _, name := range mc.CGAL {
		m, _, err := mesh.Load(filepath.Join(cfg.CGALDir, name+".off"))
		if err != nil {
			return nil, err
		}
		ms.CGAL = append(ms.CGAL, m)
	}
	stderr("%s: building %d×%d maps (seed %d)", experiment, mc.Bodies, mc.Poses, seed)
	t0 := time.Now()
	set, err := prior.BuildMapSet(ctx, ms)
	if err != nil {
		return nil, err
	}
	im := set.Images(mc.K)
	if err := results.WriteDense(path, im); err != nil {
		return nil, err
	}
	return im, d.WriteResult(map[string]float64{"maps": float64(len(set.Maps)), "seconds": time.Since(t0).Seconds()})
}

// netKey is the model-cache key of cfg's network prior trained for steps
// Adam steps.
func netKey(cfg Config, steps int) any {
	n := cfg.Net
	n.Steps = steps
	return struct {
		Kind string `json:"kind"`
		Map  MapCfg `json:"map"`
		Net  NetCfg `json:"net"`
		Seed uint64 `json:"seed"`
		K    int    `json:"k"`
	}{"net", cfg.Map, n, cfg.Seed, cfg.K}
}

// net returns the network prior for (seed, k) from the model cache:
// trained now (resuming from its checkpoint) or loaded. A prior not yet
// started continues the training of the first entry of from (shorter runs
// of the same prior, largest first) that has a checkpoint: the training
// state is exact (weights, EMA, Adam, random stream), so the result equals
// a run from scratch, bit for bit.
func (bs *bundles) net(ctx context.Context, cfg Config, images *mat.Dense, from []int, stderr func(string, ...any)) (*prior.NetPrior, map[string]float64, error) {
	_, dim := images.Dims()
	sd := prior.RMS(images)
	fresh, err := nn.NewMLP(nn.MLPConfig{In: dim, Out: dim, Hidden: cfg.Net.Hidden, Layers: cfg.Net.Layers, Fourier: cfg.Net.Fourier},
		rand.New(rand.NewPCG(cfg.Seed, 1)))
	if err != nil {
		return nil, nil, err
	}
	cm, err := bs.modelCache().LoadOrTrain(ctx, netKey(cfg, cfg.Net.Steps), fresh, func(ctx context.Context, ckpt string, record func(int, map[string]float64) error) (nn.Model, map[string]float64, error) {
		if s, err := bs.continueFrom(cfg, ckpt, from); err != nil {
			return nil, nil, err
		} else if s > 0 {
			stderr("%s: the network prior (k = %d) continues from its %d-step checkpoint", experiment, cfg.K, s)
		}
		stderr("%s: training the network prior (k = %d, %d steps)", experiment, cfg.K, cfg.Net.Steps)
		t0 := time.Now()
		bar := internal.NewProgress(bs.stderr, cfg.Net.Steps, fmt.Sprintf("%s net prior k=%d seed%d", experiment, cfg.K, cfg.Seed))
		defer bar.Finish()
		np, err := prior.TrainNet(ctx, images, prior.NetConfig{Hidden: cfg.Net.Hidden, Layers: cfg.Net.Layers, Fourier: cfg.Net.Fourier,
			Steps: cfg.Net.Steps, Batch: cfg.Net.Batch, LR: cfg.Net.LR, Warmup: cfg.Net.Warmup, EMAHalfLife: cfg.Net.EMAHalfLife, GradClip: cfg.Net.GradClip,
			Seed: cfg.Seed, CheckpointPath: ckpt, Record: record, Progress: internal.TrainStep(bar)})
		if err != nil {
			return nil, nil, err
		}
		return np.Model, map[string]float64{"final_loss": np.Loss, "train_seconds": time.Since(t0).Seconds(), "sigma_data": sd}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return prior.NewNetPrior(cm.Net, sd), cm.Result, nil
}

// continueFrom copies into ckpt, when it does not exist, the checkpoint
// (and the metrics.jsonl) of the first of the shorter runs from that has
// one, and returns that run's step count (0: none copied).
func (bs *bundles) continueFrom(cfg Config, ckpt string, from []int) (int, error) {
	if diffusion.CheckpointExists(ckpt) {
		return 0, nil
	}
	dst := filepath.Dir(ckpt)
	for _, s := range from {
		if s >= cfg.Net.Steps {
			continue
		}
		key, err := results.Key(netKey(cfg, s))
		if err != nil {
			return 0, err
		}
		src := filepath.Join(bs.root, modelsExperiment, key)
		b, err := os.ReadFile(filepath.Join(src, diffusion.CacheCheckpointFile))
		if err != nil {
			continue
		}
		if m, err := os.ReadFile(filepath.Join(src, results.MetricsFile)); err == nil {
			if _, err := os.Stat(filepath.Join(dst, results.MetricsFile)); err != nil {
				if err := results.WriteFileAtomic(filepath.Join(dst, results.MetricsFile), m); err != nil {
					return 0, err
				}
			}
		}
		return s, results.WriteFileAtomic(ckpt, b)
	}
	return 0, nil
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
