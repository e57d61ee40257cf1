package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
	"genlab/experiments/internal"
	"genlab/householder"
	"genlab/householder/gan"
	"genlab/metrics"
	"genlab/nn"
	"genlab/results"
)

// Config is the resolved configuration of one task; its canonical JSON is
// hashed into the task key.
type Config struct {
	Seed            uint64   `json:"seed"`
	K               int      `json:"k"`
	FinetuneFrac    float64  `json:"finetune_frac"`
	Init            string   `json:"init"`
	Arms            []string `json:"arms"`
	ZDim            int      `json:"z_dim"`
	WDim            int      `json:"w_dim"`
	MapHidden       int      `json:"map_hidden"`
	MapLRMul        float64  `json:"map_lr_mul"`
	ConstCh         int      `json:"const_ch"`
	Channels        []int    `json:"channels"`
	DChannels       []int    `json:"d_channels"`
	HPLayers        []int    `json:"hp_layers"`
	Batch           int      `json:"batch"`
	PretrainIters   int      `json:"pretrain_iters"`
	LR              float64  `json:"lr"`
	Beta2           float64  `json:"beta2"`
	R1Gamma         float64  `json:"r1_gamma"`
	R1Every         int      `json:"r1_every"`
	R1Delta         float64  `json:"r1_delta"`
	EMAHalfLife     float64  `json:"ema_halflife"`
	EMARampup       float64  `json:"ema_rampup"`
	CheckpointEvery int      `json:"checkpoint_every"`
	Psi             float64  `json:"psi"`
	TargetRMS       float64  `json:"target_rms"`
	MaxAlpha        float64  `json:"max_alpha"`
	EvalCodes       int      `json:"eval_codes"`
	EvalBatch       int      `json:"eval_batch"`
	MetricSamples   int      `json:"metric_samples"`
	PathPairs       int      `json:"path_pairs"`
	FeatSteps       int      `json:"feat_steps"`
}

func (c Config) gen() gan.GenConfig {
	return gan.GenConfig{ZDim: c.ZDim, WDim: c.WDim, MapHidden: c.MapHidden, MapLRMul: c.MapLRMul,
		ConstCh: c.ConstCh, Channels: c.Channels}
}

// maxK is the largest valid rank: min over HP layers of (C, d).
func (c Config) maxK() int {
	k := c.WDim
	for _, l := range c.HPLayers {
		cin := c.ConstCh
		if b := l / 3; b > 0 {
			cin = c.Channels[b-1]
		}
		if l%3 != 0 {
			cin = c.Channels[l/3]
		}
		k = min(k, cin)
	}
	return k
}

func (c Config) train() gan.TrainConfig {
	return gan.TrainConfig{Batch: c.Batch, LR: c.LR, Beta2: c.Beta2, R1Gamma: c.R1Gamma, R1Every: c.R1Every,
		R1Delta: c.R1Delta, EMAHalfLife: c.EMAHalfLife, EMARampup: c.EMARampup}
}

// The random streams of a task.
const (
	streamRealA = iota + 1
	streamRealB
	streamInitG0
	streamTrainG0
	streamTrainFT
	streamInitHP
	streamTrainHP
	streamInitScratch
	streamTrainScratch
	streamRandomDirs
	streamRotation
	streamEval
)

// featNet returns the CNN feature net of cfg: DefaultFeatNet trained for
// cfg.FeatSteps steps with its fixed seed, read from the cache when an
// earlier task trained it.
func featNet(cfg Config, cache string) (*gan.FeatNet, error) {
	fc := gan.DefaultFeatNet
	fc.Steps = cfg.FeatSteps
	key, err := cacheKey(fc)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(cache, "featnet-"+key+".ckpt")
	if c, err := nn.ReadCheckpoint(path); err == nil {
		return gan.FeatNetFromCheckpoint(fc, c)
	}
	n, _, err := gan.TrainFeatNet(fc)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	return n, nn.WriteCheckpoint(path, n.Checkpoint())
}

// phase returns the GAN (generator, its EMA and discriminator) after a
// training phase of iters iterations, trained unless its checkpoint at path
// is final; rec, if not nil, records each iteration's losses.
func phase(ctx context.Context, name string, gen, ema *gan.Generator, d *gan.Discriminator, cfg Config, iters int,
	path string, stream uint64, stderr io.Writer, rec func(it int, st gan.StepStats) error) (*gan.GAN, error) {
	g, err := gan.NewGAN(gen, ema, d, cfg.train())
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	bar := internal.NewProgress(stderr, iters, fmt.Sprintf("householder seed%d %s (G loss)", cfg.Seed, name))
	defer bar.Finish()
	step := internal.TrainStep(bar)
	onStep := func(it int, st gan.StepStats) error {
		step(it, st.LossG) // the generator's loss; the count resumes at the checkpoint
		if rec == nil {
			return nil
		}
		return rec(it, st)
	}
	if err := g.Train(ctx, iters, cfg.CheckpointEvery, path, cfg.Seed, stream, onStep); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return g, nil
}

// cacheKey hashes the fields a shared phase depends on.
func cacheKey(v any) (string, error) { return results.Key(v) }

// evaluator holds what every arm is compared against.
type evaluator struct {
	cfg       Config
	sigma     []float64  // per-factor std on real data
	realFeat  *mat.Dense // factor features of real set A
	floorFD   float64    // FD(real A, real B)
	feat      *gan.FeatExtractor
	realCNN   *mat.Dense // CNN features of real set A
	dir       *results.Dir
	out       map[string]float64
	rotations *rand.Rand
}

// genEval is the per-generator evaluation state (one sampler, shared codes).
type genEval struct {
	s       *gan.Sampler
	codes   gan.Codes  // MetricSamples codes at ψ = 1
	factors *mat.Dense // measured factors of their images (valid rows only)
	valid   []int
	base    [][]float64 // EvalCodes codes at ψ
	fd, ppl float64
	fdCNN   float64 // Fréchet distance on the feature net's features
}

func (e *evaluator) generator(g *gan.Generator, rng *rand.Rand) (*genEval, error) {
	s, err := gan.NewSampler(g, e.cfg.EvalBatch)
	if err != nil {
		return nil, err
	}
	ge := &genEval{s: s}
	if ge.codes, err = gan.SampleCodes(s, e.cfg.MetricSamples, 1, rng); err != nil {
		return nil, err
	}
	imgs, err := gan.Render(s, ge.codes.W, nil, 0)
	if err != nil {
		return nil, err
	}
	f, ok := gan.MeasureImages(imgs, len(ge.codes.W))
	var rows []float64
	for i := range f {
		if ok[i] {
			ge.valid = append(ge.valid, i)
			rows = append(rows, f[i][:]...)
		}
	}
	if len(ge.valid) < 10 {
		return nil, fmt.Errorf("only %d of %d generated images have a foreground", len(ge.valid), len(f))
	}
	ge.factors = mat.NewDense(len(ge.valid), int(data.NumSpriteFactors), rows)
	if ge.fd, err = metrics.FrechetDistance(gan.FactorFeatures(f, ok), e.realFeat); err != nil {
		return nil, err
	}
	cnn, _, err := e.feat.Features(imgs, len(ge.codes.W))
	if err != nil {
		return nil, err
	}
	if ge.fdCNN, err = metrics.FrechetDistance(cnn, e.realCNN); err != nil {
		return nil, err
	}
	bc, err := gan.SampleCodes(s, e.cfg.EvalCodes, e.cfg.Psi, rng)
	if err != nil {
		return nil, err
	}
	ge.base = bc.W
	// PPL analogue: lerp in W at t ~ U(0,1), ε = 1e-3, all slots.
	const eps = 1e-3
	pa, err := gan.SampleCodes(s, 2*e.cfg.PathPairs, 1, rng)
	if err != nil {
		return nil, err
	}
	var a, b [][]float64
	for i := 0; i < e.cfg.PathPairs; i++ {
		w1, w2 := pa.W[2*i], pa.W[2*i+1]
		t := rng.Float64()
		x, y := make([]float64, len(w1)), make([]float64, len(w1))
		for j := range w1 {
			x[j] = w1[j] + t*(w2[j]-w1[j])
			y[j] = w1[j] + (t+eps)*(w2[j]-w1[j])
		}
		a, b = append(a, x), append(b, y)
	}
	if ge.ppl, err = gan.PathLength(s, a, b, eps); err != nil {
		return nil, err
	}
	return ge, nil
}

// arm evaluates one set of directions (columns of dirs per slot group) on a
// generator and records "<arm>_<metric>" results, a traversal grid and the
// intervention heatmap.
func (e *evaluator) arm(name string, ge *genEval, groups []*mat.Dense, slots [][]int, rng *rand.Rand) error {
	var edits []gan.Edit
	var all *mat.Dense
	for gi, dirs := range groups {
		edits = append(edits, gan.DirectionEdits(dirs, slots[gi])...)
		if all == nil {
			all = mat.DenseCopyOf(dirs)
		} else {
			var cat mat.Dense
			cat.Augment(all, dirs)
			all = &cat
		}
	}
	calib := ge.base[:min(32, len(ge.base))]
	alpha, err := gan.CalibrateAlpha(ge.s, calib, edits, e.cfg.TargetRMS, e.cfg.MaxAlpha)
	if err != nil {
		return err
	}
	r, err := gan.InterventionMatrix(ge.s, ge.base, edits, alpha, e.sigma)
	if err != nil {
		return err
	}
	sc := metrics.ScoreMatrix(r)
	put := func(k string, v float64) { e.out[name+"_"+k] = v }
	put("purity", sc.Purity)
	put("completeness", sc.Completeness)
	put("coverage", float64(sc.Coverage))
	put("live", sc.Live)
	var am float64
	for _, a := range alpha {
		am += a / float64(len(alpha))
	}
	put("alpha_mean", am)
	for f, fac := range gan.SpriteFactors {
		var best float64
		for k := range r {
			best = math.Max(best, r[k][f])
		}
		put("rmax_"+fac.Name, best)
	}
	// Code-based metrics: c = Bᵀ(w − w̄) on the valid samples.
	_, kk := all.Dims()
	codes := mat.NewDense(len(ge.valid), kk, nil)
	for i, idx := range ge.valid {
		w := ge.codes.W[idx]
		for j := 0; j < kk; j++ {
			var s float64
			for t := range w {
				s += all.At(t, j) * (w[t] - ge.codes.Mean[t])
			}
			codes.Set(i, j, s)
		}
	}
	if kk >= 2 {
		mig, _, err := metrics.MIG(codes, ge.factors, 20)
		if err != nil {
			return err
		}
		put("mig", mig)
	}
	dci, err := metrics.DCI(codes, ge.factors, 0.01, 0.8)
	if err != nil {
		return err
	}
	put("dci_d", dci.Disentanglement)
	put("dci_c", dci.Completeness)
	put("dci_i", dci.Informativeness)
	fv, err := metrics.FactorVAEScore(codes, ge.factors, gan.SpriteFactors, min(64, len(ge.valid)/4), 300, 300, rng)
	if err != nil {
		return err
	}
	put("fvae", fv)
	put("fd", ge.fd)
	put("fd_cnn", ge.fdCNN)
	put("ppl", ge.ppl)
	// PIPL analogue: a step ε along a randomly chosen found direction, all slots.
	const eps = 1e-3
	var a, b [][]float64
	for i := 0; i < e.cfg.PathPairs; i++ {
		w := ge.codes.W[i%len(ge.codes.W)]
		j := rng.IntN(kk)
		y := make([]float64, len(w))
		for t := range w {
			y[t] = w[t] + eps*all.At(t, j)
		}
		a, b = append(a, w), append(b, y)
	}
	pipl, err := gan.PathLength(ge.s, a, b, eps)
	if err != nil {
		return err
	}
	put("pipl", pipl)
	// Traversal grid: rows = directions, columns = α_k·(−3 … 3).
	const cols = 7
	var imgs [][]float64
	res := data.SpriteSize
	for k, ed := range edits {
		ws := make([][]float64, cols)
		as := make([]float64, cols)
		for c := range ws {
			ws[c], as[c] = ge.base[0], alpha[k]*float64(c-cols/2)
		}
		im, err := gan.RenderEach(ge.s, ws, &ed, as)
		if err != nil {
			return err
		}
		for c := 0; c < cols; c++ {
			v := make([]float64, res*res)
			for i := range v {
				v[i] = gan.PixelsTo01(im[c*res*res+i])
			}
			imgs = append(imgs, v)
		}
	}
	if err := results.ImageGrid(e.dir.Path("traversal_"+name+".png"), imgs, res, res, len(edits), cols); err != nil {
		return err
	}
	var xs, ys []string
	for _, f := range gan.SpriteFactors {
		xs = append(xs, f.Name)
	}
	for k := range r {
		ys = append(ys, fmt.Sprintf("n%d", k))
	}
	return results.HeatmapRange(e.dir.Path("intervention_"+name+".png"), xs, ys, r,
		fmt.Sprintf("%s: intervention matrix R (k=%d)", name, e.cfg.K), 0, maxEntry(r))
}

func maxEntry(r [][]float64) float64 {
	m := 1e-9
	for _, row := range r {
		for _, v := range row {
			m = math.Max(m, v)
		}
	}
	return m
}

// hpGroups returns each HP layer's read-off directions (d×k) and its slot.
func hpGroups(g *gan.Generator, rot *rand.Rand) ([]*mat.Dense, [][]int, error) {
	var groups []*mat.Dense
	var slots [][]int
	for _, l := range g.HPLayers() {
		dirs, err := g.Layers[l].Affine.HP.Directions()
		if err != nil {
			return nil, nil, err
		}
		if rot != nil {
			_, k := dirs.Dims()
			var r mat.Dense
			r.Mul(dirs, householder.RandomRotation(k, rot))
			dirs = &r
		}
		groups = append(groups, dirs)
		slots = append(slots, []int{l})
	}
	return groups, slots, nil
}

func has(arms []string, a string) bool {
	for _, x := range arms {
		if x == a {
			return true
		}
	}
	return false
}

// runTask pre-trains (or loads) G0, builds every arm and evaluates it.
func runTask(ctx context.Context, cfg Config, dir *results.Dir, cache string, stderr io.Writer) (map[string]float64, error) {
	if cfg.K < 1 || cfg.K > cfg.maxK() {
		return nil, internal.Usagef("k = %d outside [1, %d]", cfg.K, cfg.maxK())
	}
	e := &evaluator{cfg: cfg, dir: dir, out: map[string]float64{}}
	// Real data: factor std (for R) and the real-vs-real Fréchet floor.
	realSet := func(stream uint64) (*mat.Dense, []float32) {
		imgs, _ := data.SpriteSet(cfg.MetricSamples, false, internal.NewRand(cfg.Seed, stream))
		f := make([][data.NumSpriteFactors]float64, len(imgs))
		ok := make([]bool, len(imgs))
		for i, im := range imgs {
			f[i], ok[i] = data.ReadSpriteFactors(im)
		}
		if e.sigma == nil {
			e.sigma = make([]float64, data.NumSpriteFactors)
			for j := range e.sigma {
				var m, s float64
				for i := range f {
					m += f[i][j] / float64(len(f))
				}
				for i := range f {
					s += (f[i][j] - m) * (f[i][j] - m) / float64(len(f)-1)
				}
				e.sigma[j] = math.Sqrt(s)
			}
		}
		return gan.FactorFeatures(f, ok), gan.Pixels(imgs)
	}
	realA, pixA := realSet(streamRealA)
	realB, pixB := realSet(streamRealB)
	e.realFeat = realA
	var err error
	if e.floorFD, err = metrics.FrechetDistance(realA, realB); err != nil {
		return nil, err
	}
	e.out["fd_floor"] = e.floorFD
	// The CNN feature net: trained once with its own fixed seed, shared by
	// every task through the cache.
	fn, err := featNet(cfg, cache)
	if err != nil {
		return nil, err
	}
	if e.feat, err = fn.NewExtractor(cfg.EvalBatch); err != nil {
		return nil, err
	}
	defer e.feat.Close()
	if e.realCNN, _, err = e.feat.Features(pixA, cfg.MetricSamples); err != nil {
		return nil, err
	}
	cnnB, _, err := e.feat.Features(pixB, cfg.MetricSamples)
	if err != nil {
		return nil, err
	}
	if e.out["fd_cnn_floor"], err = metrics.FrechetDistance(e.realCNN, cnnB); err != nil {
		return nil, err
	}

	rec := func(tag string) func(int, gan.StepStats) error {
		return func(it int, st gan.StepStats) error {
			if it%10 != 0 {
				return nil
			}
			return dir.Record(results.Step{Step: it, Values: map[string]float64{
				tag + "_loss_d": st.LossD, tag + "_loss_g": st.LossG}})
		}
	}
	// G0: shared by every task of the same seed and architecture.
	g0Key, err := cacheKey(struct {
		Seed  uint64
		Gen   gan.GenConfig
		D     []int
		Train gan.TrainConfig
		Iters int
	}{cfg.Seed, cfg.gen(), cfg.DChannels, cfg.train(), cfg.PretrainIters})
	if err != nil {
		return nil, err
	}
	initRng := internal.NewRand(cfg.Seed, streamInitG0)
	gen0, err := gan.NewGenerator(cfg.gen(), initRng)
	if err != nil {
		return nil, internal.Usagef("%v", err)
	}
	res := cfg.gen().Res()
	d0, err := gan.NewDiscriminator(res, cfg.DChannels, initRng)
	if err != nil {
		return nil, internal.Usagef("%v", err)
	}
	g0, err := phase(ctx, "G0", gen0, nil, d0, cfg, cfg.PretrainIters, filepath.Join(cache, "g0-"+g0Key+".ckpt"), streamTrainG0, stderr, rec("g0"))
	if err != nil {
		return nil, err
	}
	evalRng := internal.NewRand(cfg.Seed, streamEval)
	ge0, err := e.generator(g0.EMA, evalRng)
	if err != nil {
		return nil, fmt.Errorf("G0 evaluation: %w", err)
	}
	e.out["g0_fd"], e.out["g0_fd_cnn"], e.out["g0_ppl"] = ge0.fd, ge0.fdCNN, ge0.ppl
	hpSlots := make([][]int, 1)
	hpSlots[0] = cfg.HPLayers
	ftIters := max(1, int(math.Round(cfg.FinetuneFrac*float64(cfg.PretrainIters))))

	if has(cfg.Arms, "sefa") {
		dirs, _, err := householder.SeFa(g0.EMA.Affines(cfg.HPLayers), cfg.K)
		if err != nil {
			return nil, err
		}
		if err := e.arm("sefa", ge0, []*mat.Dense{dirs}, hpSlots, evalRng); err != nil {
			return nil, fmt.Errorf("arm sefa: %w", err)
		}
	}
	if has(cfg.Arms, "ganspace") {
		ws := mat.NewDense(len(ge0.codes.W), cfg.WDim, nil)
		for i, w := range ge0.codes.W {
			ws.SetRow(i, w)
		}
		dirs, _, err := householder.GANSpace(ws, cfg.K)
		if err != nil {
			return nil, err
		}
		if err := e.arm("ganspace", ge0, []*mat.Dense{dirs}, hpSlots, evalRng); err != nil {
			return nil, fmt.Errorf("arm ganspace: %w", err)
		}
	}
	if has(cfg.Arms, "random") {
		dirs := householder.RandomOrthonormal(cfg.WDim, cfg.K, internal.NewRand(cfg.Seed, streamRandomDirs))
		if err := e.arm("random", ge0, []*mat.Dense{dirs}, hpSlots, evalRng); err != nil {
			return nil, fmt.Errorf("arm random: %w", err)
		}
	}
	// Fine-tuning arms start from G0 (raw weights), its EMA and D0.
	start := func() (*gan.Generator, *gan.Generator, *gan.Discriminator) {
		return g0.Gen.Clone(), g0.EMA.Clone(), g0.D.Clone()
	}
	if has(cfg.Arms, "ftplain") {
		key, err := cacheKey(struct {
			G0   string
			Frac float64
		}{g0Key, cfg.FinetuneFrac})
		if err != nil {
			return nil, err
		}
		g, ema, d := start()
		ft, err := phase(ctx, "FT-plain", g, ema, d, cfg, ftIters, filepath.Join(cache, "ftplain-"+key+".ckpt"), streamTrainFT, stderr, rec("ftplain"))
		if err != nil {
			return nil, err
		}
		ge, err := e.generator(ft.EMA, evalRng)
		if err != nil {
			return nil, fmt.Errorf("FT-plain evaluation: %w", err)
		}
		dirs, _, err := householder.SeFa(ft.EMA.Affines(cfg.HPLayers), cfg.K)
		if err != nil {
			return nil, err
		}
		if err := e.arm("ftplain", ge, []*mat.Dense{dirs}, hpSlots, evalRng); err != nil {
			return nil, fmt.Errorf("arm ftplain: %w", err)
		}
	}
	if has(cfg.Arms, "hp") || has(cfg.Arms, "hprot") {
		init := gan.InitRandom
		if cfg.Init == "svd" {
			init = gan.InitSVD
		}
		g, _, d := start()
		hpRng := internal.NewRand(cfg.Seed, streamInitHP)
		hg, err := g.WithProjector(cfg.HPLayers, cfg.K, init, hpRng)
		if err != nil {
			return nil, internal.Usagef("%v", err)
		}
		// Fidelity right after insertion (the projector discards the
		// pretrained singular values).
		ins, err := e.generator(hg, evalRng)
		if err != nil {
			return nil, fmt.Errorf("HP-inserted evaluation: %w", err)
		}
		e.out["hp_inserted_fd"], e.out["hp_inserted_fd_cnn"] = ins.fd, ins.fdCNN
		ft, err := phase(ctx, "HP", hg, nil, d, cfg, ftIters, dir.Path("hp.ckpt"), streamTrainHP, stderr, rec("hp"))
		if err != nil {
			return nil, err
		}
		ge, err := e.generator(ft.EMA, evalRng)
		if err != nil {
			return nil, fmt.Errorf("HP evaluation: %w", err)
		}
		if has(cfg.Arms, "hp") {
			groups, slots, err := hpGroups(ft.EMA, nil)
			if err != nil {
				return nil, err
			}
			if err := e.arm("hp", ge, groups, slots, evalRng); err != nil {
				return nil, fmt.Errorf("arm hp: %w", err)
			}
		}
		if has(cfg.Arms, "hprot") {
			groups, slots, err := hpGroups(ft.EMA, internal.NewRand(cfg.Seed, streamRotation))
			if err != nil {
				return nil, err
			}
			if err := e.arm("hprot", ge, groups, slots, evalRng); err != nil {
				return nil, fmt.Errorf("arm hprot: %w", err)
			}
		}
	}
	if has(cfg.Arms, "hpscratch") {
		key, err := cacheKey(struct {
			G0 string
			K  int
		}{g0Key, cfg.K})
		if err != nil {
			return nil, err
		}
		r := internal.NewRand(cfg.Seed, streamInitScratch)
		g, err := gan.NewGenerator(cfg.gen(), r)
		if err != nil {
			return nil, err
		}
		d, err := gan.NewDiscriminator(res, cfg.DChannels, r)
		if err != nil {
			return nil, err
		}
		hg, err := g.WithProjector(cfg.HPLayers, cfg.K, gan.InitRandom, r)
		if err != nil {
			return nil, internal.Usagef("%v", err)
		}
		sc, err := phase(ctx, "HP-scratch", hg, nil, d, cfg, cfg.PretrainIters, filepath.Join(cache, "hpscratch-"+key+".ckpt"), streamTrainScratch, stderr, rec("hpscratch"))
		if err != nil {
			return nil, err
		}
		ge, err := e.generator(sc.EMA, evalRng)
		if err != nil {
			return nil, fmt.Errorf("HP-scratch evaluation: %w", err)
		}
		groups, slots, err := hpGroups(sc.EMA, nil)
		if err != nil {
			return nil, err
		}
		if err := e.arm("hpscratch", ge, groups, slots, evalRng); err != nil {
			return nil, fmt.Errorf("arm hpscratch: %w", err)
		}
	}
	// Samples of G0 for the record.
	imgs, err := gan.Render(ge0.s, ge0.base[:min(32, len(ge0.base))], nil, 0)
	if err != nil {
		return nil, err
	}
	var grid [][]float64
	px := res * res
	for i := 0; i*px < len(imgs); i++ {
		v := make([]float64, px)
		for j := range v {
			v[j] = gan.PixelsTo01(imgs[i*px+j])
		}
		grid = append(grid, v)
	}
	if err := results.ImageGrid(dir.Path("samples_g0.png"), grid, res, res, (len(grid)+7)/8, 8); err != nil {
		return nil, err
	}
	flat := mat.NewDense(len(grid), px, nil) // the same samples in [0, 1], one image per row
	for i, v := range grid {
		flat.SetRow(i, v)
	}
	if err := dir.WriteNPY(results.SamplesFile, flat); err != nil {
		return nil, err
	}
	return e.out, nil
}
