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

	"gonum.org/v1/gonum/mat"

	"genlab/data"
	"genlab/experiments/internal"
	"genlab/householder"
	"genlab/householder/gan"
	"genlab/nn"
	"genlab/results"
)

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

// task is one task's run: what its arms share.
type task struct {
	cfg     Config
	dir     *results.Dir
	cache   string
	stderr  io.Writer
	e       *evaluator
	evalRng *rand.Rand // every evaluation draws from it, in arm order
	g0      *gan.GAN   // the pre-trained GAN
	g0Key   string     // its cache key, shared by the phases that start from it
	ge0     *genEval   // its evaluation
	hpSlots [][]int    // the one slot group of the direction baselines: every HP layer
	ftIters int        // fine-tuning iterations
}

// runTask pre-trains (or loads) G0, builds every arm and evaluates it.
func runTask(ctx context.Context, cfg Config, dir *results.Dir, cache string, stderr io.Writer) (map[string]float64, error) {
	if cfg.K < 1 || cfg.K > cfg.maxK() {
		return nil, internal.Usagef("k = %d outside [1, %d]", cfg.K, cfg.maxK())
	}
	e, err := newEvaluator(cfg, dir, cache)
	if err != nil {
		return nil, err
	}
	defer e.feat.Close()
	t := &task{cfg: cfg, dir: dir, cache: cache, stderr: stderr, e: e, evalRng: internal.NewRand(cfg.Seed, streamEval),
		hpSlots: [][]int{cfg.HPLayers}, ftIters: max(1, int(math.Round(cfg.FinetuneFrac*float64(cfg.PretrainIters))))}
	if err := t.pretrain(ctx); err != nil {
		return nil, err
	}
	for _, step := range []struct {
		arms []string
		run  func(context.Context) error
	}{
		{[]string{"sefa"}, t.sefa}, {[]string{"ganspace"}, t.ganspace}, {[]string{"random"}, t.random},
		{[]string{"ftplain"}, t.ftplain}, {[]string{"hp", "hprot"}, t.hp}, {[]string{"hpscratch"}, t.hpscratch},
	} {
		if slices.ContainsFunc(step.arms, func(a string) bool { return slices.Contains(cfg.Arms, a) }) {
			if err := step.run(ctx); err != nil {
				return nil, err
			}
		}
	}
	return e.out, t.samples()
}

// phase returns the GAN (generator, its EMA and discriminator) after a
// training phase of iters iterations, trained unless its checkpoint at path
// is final; every 10th iteration's losses are recorded as <tag>_loss_d and
// <tag>_loss_g.
func (t *task) phase(ctx context.Context, name, tag string, gen, ema *gan.Generator, d *gan.Discriminator, iters int,
	path string, stream uint64) (*gan.GAN, error) {
	g, err := gan.NewGAN(gen, ema, d, t.cfg.train())
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if filepath.Dir(path) == filepath.Clean(t.cache) {
		// A phase shared through the cache is trained by one task at a
		// time, of this process (-jobs) or another (array elements); the
		// others wait and then find its final checkpoint.
		lk, err := results.AcquireLock(ctx, path+".lock", func(h results.LockInfo) {
			fmt.Fprintf(t.stderr, "householder: %s: %s is being trained by %v; waiting for it\n", name, filepath.Base(path), h)
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer lk.Release()
	}
	bar := internal.NewProgress(t.stderr, iters, fmt.Sprintf("householder seed%d %s (G loss)", t.cfg.Seed, name))
	defer bar.Finish()
	step := internal.TrainStep(bar)
	onStep := func(it int, st gan.StepStats) error {
		step(it, st.LossG) // the generator's loss; the count resumes at the checkpoint
		if it%10 != 0 {
			return nil
		}
		return t.dir.Record(results.Step{Step: it, Values: map[string]float64{tag + "_loss_d": st.LossD, tag + "_loss_g": st.LossG}})
	}
	if err := g.Train(ctx, iters, t.cfg.CheckpointEvery, path, t.cfg.Seed, stream, onStep); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return g, nil
}

// cacheKey hashes the fields a shared phase depends on.
func cacheKey(v any) (string, error) { return results.Key(v) }

// pretrain trains (or loads) G0, shared through the cache by every task of
// the same seed and architecture, and evaluates it (g0_fd, g0_fd_cnn,
// g0_ppl).
func (t *task) pretrain(ctx context.Context) error {
	cfg := t.cfg
	var err error
	t.g0Key, err = cacheKey(struct {
		Seed   uint64
		Gen    gan.GenConfig
		D      []int
		Train  gan.TrainConfig
		Iters  int
		GenRev int
	}{cfg.Seed, cfg.gen(), cfg.DChannels, cfg.train(), cfg.PretrainIters, cfg.GenRev})
	if err != nil {
		return err
	}
	gen0, d0, err := newGAN(cfg, internal.NewRand(cfg.Seed, streamInitG0))
	if err != nil {
		return internal.Usagef("%v", err)
	}
	if t.g0, err = t.phase(ctx, "G0", "g0", gen0, nil, d0, cfg.PretrainIters, t.cachePath("g0", t.g0Key), streamTrainG0); err != nil {
		return err
	}
	if t.ge0, err = t.e.generator(t.g0.EMA, t.evalRng); err != nil {
		return fmt.Errorf("G0 evaluation: %w", err)
	}
	t.e.out["g0_fd"], t.e.out["g0_fd_cnn"], t.e.out["g0_ppl"] = t.ge0.fd, t.ge0.fdCNN, t.ge0.ppl
	return nil
}

// newGAN draws a fresh generator, then a discriminator, from rng.
func newGAN(cfg Config, rng *rand.Rand) (*gan.Generator, *gan.Discriminator, error) {
	g, err := gan.NewGenerator(cfg.gen(), rng)
	if err != nil {
		return nil, nil, err
	}
	d, err := gan.NewDiscriminator(cfg.gen().Res(), cfg.DChannels, rng)
	return g, d, err
}

// cachePath is the checkpoint of a shared phase in the cache.
func (t *task) cachePath(phase, key string) string {
	return filepath.Join(t.cache, phase+"-"+key+".ckpt")
}

// baseline evaluates a direction baseline (d×k directions for every HP
// layer) on G0 as arm name.
func (t *task) baseline(name string, dirs *mat.Dense) error {
	if err := t.e.arm(name, t.ge0, []*mat.Dense{dirs}, t.hpSlots, t.evalRng); err != nil {
		return fmt.Errorf("arm %s: %w", name, err)
	}
	return nil
}

// sefa is the SeFa arm: the top-k right singular vectors of G0's stacked
// HP-layer affines.
func (t *task) sefa(context.Context) error {
	dirs, _, err := householder.SeFa(t.g0.EMA.Affines(t.cfg.HPLayers), t.cfg.K)
	if err != nil {
		return err
	}
	return t.baseline("sefa", dirs)
}

// ganspace is the GANSpace arm: the top-k principal directions of G0's W
// codes.
func (t *task) ganspace(context.Context) error {
	ws := mat.NewDense(len(t.ge0.codes.W), t.cfg.WDim, nil)
	for i, w := range t.ge0.codes.W {
		ws.SetRow(i, w)
	}
	dirs, _, err := householder.GANSpace(ws, t.cfg.K)
	if err != nil {
		return err
	}
	return t.baseline("ganspace", dirs)
}

// random is the random-directions arm.
func (t *task) random(context.Context) error {
	return t.baseline("random", householder.RandomOrthonormal(t.cfg.WDim, t.cfg.K, internal.NewRand(t.cfg.Seed, streamRandomDirs)))
}

// start returns copies of G0's raw generator, its EMA and discriminator, the
// starting point of the fine-tuning arms.
func (t *task) start() (*gan.Generator, *gan.Generator, *gan.Discriminator) {
	return t.g0.Gen.Clone(), t.g0.EMA.Clone(), t.g0.D.Clone()
}

// ftplain is the FT-plain arm: G0 fine-tuned as long as the HP arm without
// a projector, then SeFa on it (the control for fine-tuning alone).
func (t *task) ftplain(ctx context.Context) error {
	key, err := cacheKey(struct {
		G0   string
		Frac float64
	}{t.g0Key, t.cfg.FinetuneFrac})
	if err != nil {
		return err
	}
	g, ema, d := t.start()
	ft, err := t.phase(ctx, "FT-plain", "ftplain", g, ema, d, t.ftIters, t.cachePath("ftplain", key), streamTrainFT)
	if err != nil {
		return err
	}
	ge, err := t.e.generator(ft.EMA, t.evalRng)
	if err != nil {
		return fmt.Errorf("FT-plain evaluation: %w", err)
	}
	dirs, _, err := householder.SeFa(ft.EMA.Affines(t.cfg.HPLayers), t.cfg.K)
	if err != nil {
		return err
	}
	if err := t.e.arm("ftplain", ge, []*mat.Dense{dirs}, t.hpSlots, t.evalRng); err != nil {
		return fmt.Errorf("arm ftplain: %w", err)
	}
	return nil
}

// hp is the HP arm (and its rotated control hprot): projectors inserted
// into G0's HP layers, evaluated right after insertion (hp_inserted_fd*:
// the projector discards the pretrained singular values) and after
// fine-tuning.
func (t *task) hp(ctx context.Context) error {
	init := gan.InitRandom
	if t.cfg.Init == "svd" {
		init = gan.InitSVD
	}
	g, _, d := t.start()
	hg, err := g.WithProjector(t.cfg.HPLayers, t.cfg.K, init, internal.NewRand(t.cfg.Seed, streamInitHP))
	if err != nil {
		return internal.Usagef("%v", err)
	}
	ins, err := t.e.generator(hg, t.evalRng)
	if err != nil {
		return fmt.Errorf("HP-inserted evaluation: %w", err)
	}
	t.e.out["hp_inserted_fd"], t.e.out["hp_inserted_fd_cnn"] = ins.fd, ins.fdCNN
	ft, err := t.phase(ctx, "HP", "hp", hg, nil, d, t.ftIters, t.dir.Path("hp.ckpt"), streamTrainHP)
	if err != nil {
		return err
	}
	ge, err := t.e.generator(ft.EMA, t.evalRng)
	if err != nil {
		return fmt.Errorf("HP evaluation: %w", err)
	}
	if slices.Contains(t.cfg.Arms, "hp") {
		if err := t.projectorArm("hp", ge, ft.EMA, nil); err != nil {
			return err
		}
	}
	if slices.Contains(t.cfg.Arms, "hprot") {
		return t.projectorArm("hprot", ge, ft.EMA, internal.NewRand(t.cfg.Seed, streamRotation))
	}
	return nil
}

// projectorArm evaluates the directions read off g's projectors (rotated by
// a random rotation from rot unless it is nil) as arm name.
func (t *task) projectorArm(name string, ge *genEval, g *gan.Generator, rot *rand.Rand) error {
	groups, slots, err := hpGroups(g, rot)
	if err != nil {
		return err
	}
	if err := t.e.arm(name, ge, groups, slots, t.evalRng); err != nil {
		return fmt.Errorf("arm %s: %w", name, err)
	}
	return nil
}

// hpscratch is the HP-scratch arm: a generator with projectors trained from
// scratch as long as G0.
func (t *task) hpscratch(ctx context.Context) error {
	key, err := cacheKey(struct {
		G0 string
		K  int
	}{t.g0Key, t.cfg.K})
	if err != nil {
		return err
	}
	r := internal.NewRand(t.cfg.Seed, streamInitScratch)
	g, d, err := newGAN(t.cfg, r)
	if err != nil {
		return err
	}
	hg, err := g.WithProjector(t.cfg.HPLayers, t.cfg.K, gan.InitRandom, r)
	if err != nil {
		return internal.Usagef("%v", err)
	}
	sc, err := t.phase(ctx, "HP-scratch", "hpscratch", hg, nil, d, t.cfg.PretrainIters, t.cachePath("hpscratch", key), streamTrainScratch)
	if err != nil {
		return err
	}
	ge, err := t.e.generator(sc.EMA, t.evalRng)
	if err != nil {
		return fmt.Errorf("HP-scratch evaluation: %w", err)
	}
	return t.projectorArm("hpscratch", ge, sc.EMA, nil)
}

// samples writes samples_g0.png and the samples file: up to 32 of G0's
// images at ψ, in [0, 1].
func (t *task) samples() error {
	imgs, err := gan.Render(t.ge0.s, t.ge0.base[:min(32, len(t.ge0.base))], nil, 0)
	if err != nil {
		return err
	}
	res := data.SpriteSize
	grid := unitImages(imgs, len(imgs)/(res*res))
	if err := results.ImageGrid(t.dir.Path("samples_g0.png"), grid, res, res, (len(grid)+7)/8, 8); err != nil {
		return err
	}
	flat := mat.NewDense(len(grid), res*res, nil) // one image per row
	for i, v := range grid {
		flat.SetRow(i, v)
	}
	return t.dir.WriteNPY(results.SamplesFile, flat)
}
