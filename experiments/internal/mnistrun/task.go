package mnistrun

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/fidlenet"
	"genlab/kdiff"
	"genlab/nn"
	"genlab/pfgm"
	"genlab/results"
)

// The random streams of a task.
const (
	streamSubset = iota + 1
	streamInit
	streamFloor
	streamKID
)

// Sets holds the MNIST splits (28×28) and, per (resolution, N), the
// evaluator over the N reference digits RefIndices of the test split,
// built once per process and shared by the tasks running at once (-jobs).
type Sets struct {
	train, test *data.Images
	mu          sync.Mutex
	evals       map[[2]int]*SharedEval
}

// SharedEval is a fidlenet.Evaluator that tasks running at once share: its
// feature extractor keeps scratch buffers, so one call runs at a time.
type SharedEval struct {
	mu sync.Mutex
	ev *fidlenet.Evaluator
}

// FID is fidlenet.Evaluator.FID.
func (s *SharedEval) FID(fake *data.Images) (float64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ev.FID(fake)
}

// Evaluate is fidlenet.Evaluator.Evaluate.
func (s *SharedEval) Evaluate(fake *data.Images, rng *rand.Rand) (fidlenet.Metrics, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ev.Evaluate(fake, rng)
}

// WeightsSHA256 is fidlenet.Evaluator.WeightsSHA256.
func (s *SharedEval) WeightsSHA256() string { return s.ev.WeightsSHA256() }

// LoadSets reads the MNIST training and test splits from the idx files in dir.
func LoadSets(dir string) (*Sets, error) {
	train, err := data.LoadMNIST(dir, data.MNISTTrain)
	if err != nil {
		return nil, err
	}
	test, err := data.LoadMNIST(dir, data.MNISTTest)
	if err != nil {
		return nil, err
	}
	return &Sets{train: train, test: test, evals: map[[2]int]*SharedEval{}}, nil
}

func resize(im *data.Images, res int) *data.Images {
	if res == im.H {
		return im
	}
	return im.Downsample(im.H / res)
}

// refSeed seeds the draw of the reference digits (RefIndices): one fixed
// draw, so that every task at the same N is scored against the same digits.
const refSeed = 1

// RefIndices returns the indices of the n reference test digits out of
// total, ascending: the first n of a fixed PCG(refSeed, 0) permutation, so
// all of them when n = total. MNIST's test split is not exchangeable — its
// first 5,000 digits were written by Census Bureau employees and are cleaner
// than the last 5,000, written by students — so the first n digits would
// be a biased reference for n < 10,000.
func RefIndices(total, n int) []int {
	idx := rand.New(rand.NewPCG(refSeed, 0)).Perm(total)[:n]
	slices.Sort(idx)
	return idx
}

// Evaluator returns the shared fid_lenet evaluator over the n reference
// test digits (RefIndices) at side res, and those digits.
func (s *Sets) Evaluator(res, n int) (*SharedEval, *data.Images, error) {
	if n < 1 || n > s.test.N {
		return nil, nil, fmt.Errorf("n_eval %d: want 1..%d (the test images)", n, s.test.N)
	}
	real := resize(s.test.Subset(RefIndices(s.test.N, n)), res)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.evals[[2]int{res, n}]; ok {
		return e, real, nil
	}
	e, err := fidlenet.NewEvaluator(real)
	if err != nil {
		return nil, nil, err
	}
	se := &SharedEval{ev: e}
	s.evals[[2]int{res, n}] = se
	return se, real, nil
}

// Floor returns n training digits at cfg's resolution, drawn without
// replacement by cfg's floor stream: scored against the test digits they
// give the train-vs-test floor of every metric at sample count n.
func (s *Sets) Floor(cfg Config, n int) *data.Images {
	return resize(s.train.Subset(cfg.rand(streamFloor).Perm(s.train.N)[:n]), cfg.Res)
}

// TrainSample returns n training digits drawn without replacement by a
// PCG(seed, 0) permutation, at side res, as rows in [−1, 1] (the scale the
// models see).
func (s *Sets) TrainSample(res, n int, seed uint64) (*mat.Dense, error) {
	if n < 1 || n > s.train.N {
		return nil, fmt.Errorf("%d training digits asked, have %d", n, s.train.N)
	}
	idx := rand.New(rand.NewPCG(seed, 0)).Perm(s.train.N)[:n]
	return resize(s.train.Subset(idx), res).Unit(), nil
}

// Kernel returns the noise kernel of D (+Inf: Gaussian).
func Kernel(d AugD) (diffusion.Kernel, error) {
	k := pfgm.Kernel{D: float64(d)}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	if k.Gaussian() {
		return diffusion.Gaussian{}, nil
	}
	return k, nil
}

// ParseTarget returns the training target of cfg: a named EDM-core target
// (edm, eps, v, x) or, for Target "k", the k-Diff bridge with k = cfg.K
// (a learned k starts at ½) and loss space cfg.Loss.
func ParseTarget(cfg Config) (diffusion.Target, error) {
	if cfg.Target != "k" {
		return diffusion.ParseTarget(cfg.Target, cfg.SigmaData)
	}
	k, err := kdiff.ParseK(cfg.K)
	if err != nil {
		return nil, err
	}
	loss, err := kdiff.ParseLossSpace(cfg.Loss)
	if err != nil {
		return nil, err
	}
	return kdiff.NewBridge(k, loss, 0.5, kdiff.DefaultKLR), nil
}

// Sample draws n samples by Heun with steps steps from per-sample prior
// seeds (diffusion.PriorSamples), so sample i does not depend on n or on the
// batch size; hook (may be nil) sees the state before every step. It returns
// the samples and the number of network evaluations.
func Sample(ctx context.Context, m nn.Model, t diffusion.Target, k diffusion.Kernel, n, dim, steps int, seed uint64, hook diffusion.Hook) (*mat.Dense, int, error) {
	den, err := diffusion.NewNetDenoiser(m, t, 250)
	if err != nil {
		return nil, 0, err
	}
	defer den.Close()
	x := diffusion.PriorSamples(k, n, dim, diffusion.SigmaMax, seed)
	nfe, err := diffusion.Heun(ctx, den, x, diffusion.KarrasSigmas(steps, diffusion.SigmaMin, diffusion.SigmaMax, diffusion.Rho), hook)
	return x, nfe, err
}

// build returns cfg's training target, noise kernel and freshly
// initialised network.
func build(cfg Config) (diffusion.Target, diffusion.Kernel, nn.Model, error) {
	target, err := ParseTarget(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	k, err := Kernel(cfg.D)
	if err != nil {
		return nil, nil, nil, err
	}
	model, err := NewModel(cfg)
	return target, k, model, err
}

// RunTask trains, samples and evaluates one configuration in dir: MNIST
// digits → network → diffusion.Train (with fid_lenet checkpoints) → Heun
// samples at each step count → fid_lenet and its companions, beside the
// train-vs-test floor.
func RunTask(ctx context.Context, cfg Config, s *Sets, dir *results.Dir, log io.Writer, bar internal.Progress) (map[string]float64, error) {
	t0 := time.Now()
	target, k, model, err := build(cfg)
	if err != nil {
		return nil, err
	}
	ev, real, err := s.Evaluator(cfg.Res, cfg.NEval)
	if err != nil {
		return nil, err
	}
	j := &job{cfg: cfg, dir: dir, log: log, bar: bar, ev: ev, target: target, kernel: k, dim: cfg.Res * cfg.Res}
	tr, res, err := j.train(ctx, model, TrainingSet(cfg, s.train))
	if err != nil {
		return nil, err
	}
	if cfg.Quick {
		res["quick"] = 1
	}
	if b, ok := target.(*kdiff.Bridge); ok {
		res["k_final"] = b.KValue() // the fixed k, where the learned k ended, or the mean of k(s)
		if b.Schedule != nil {
			for j, kj := range b.Schedule.Knots() { // k at s = j/(M−1), s = 1/(1+σ)
				res[fmt.Sprintf("k_knot%d", j)] = kj
			}
		}
	}
	info, err := fidlenet.ShippedInfo()
	if err != nil {
		return nil, err
	}
	res["lenet_test_accuracy"] = info.TestAccuracy
	if err := j.sampleAndScore(ctx, tr.EMA, res); err != nil {
		return nil, err
	}
	// The floor: training digits against the same test digits, same N.
	bar.Phase("evaluate: floor")
	floor := s.Floor(cfg, cfg.NEval)
	fm, err := ev.Evaluate(floor, cfg.rand(streamKID))
	if err != nil {
		return nil, err
	}
	for key, v := range fm.Flat("floor_") {
		res[key] = v
	}
	if err := j.figures(real, info); err != nil {
		return nil, err
	}
	res["total_seconds"] = time.Since(t0).Seconds()
	return res, nil
}

// rand returns the task's generator of stream.
func (c Config) rand(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(c.Seed, stream)) }

// GenSeed is the prior seed of the headline samples (sample i of any count
// is the same draw); evalSeed that of the checkpoint evaluations (other
// prior draws than the headline).
func (c Config) GenSeed() uint64  { return c.Seed*1000003 + 17 }
func (c Config) evalSeed() uint64 { return c.Seed*1000003 + 0x5eed }

// TrainingSet returns the task's training digits (a seeded subset of
// NTrain when it is set) at its resolution, as rows in [−1, 1].
func TrainingSet(cfg Config, train *data.Images) *mat.Dense {
	if cfg.NTrain > 0 && cfg.NTrain < train.N {
		train = train.Subset(cfg.rand(streamSubset).Perm(train.N)[:cfg.NTrain])
	}
	return resize(train, cfg.Res).Unit()
}

// NewModel returns the task's freshly initialised network.
func NewModel(cfg Config) (nn.Model, error) {
	dim := cfg.Res * cfg.Res
	switch cfg.Net {
	case "mlp":
		return nn.NewMLP(nn.MLPConfig{In: dim, Out: dim, Hidden: cfg.Hidden, Layers: cfg.Layers, Fourier: cfg.Fourier}, cfg.rand(streamInit))
	case "unet":
		return nn.NewUNet(nn.UNetConfig{C: 1, H: cfg.Res, W: cfg.Res, Channels: cfg.Channels}, cfg.rand(streamInit))
	}
	return nil, fmt.Errorf("unknown net %q", cfg.Net)
}

// CheckpointFile is the name of a task's training checkpoint in its
// directory.
const CheckpointFile = "checkpoint.bin"

// method is the training method of a target and kernel: EDM's log-normal
// training σ.
func method(t diffusion.Target, k diffusion.Kernel) diffusion.Method {
	return diffusion.Method{Kernel: k, Target: t, Sigma: diffusion.DefaultLogNormal}
}

// trainConfig is the training loop's configuration for the first steps
// steps of c, checkpointing to checkpoint every 500 steps: Adam with c's
// learning rate and warm-up, EDM's EMA (half-life c.EMAHalfLife samples after
// a 5% ramp).
func (c Config) trainConfig(steps int, checkpoint string) diffusion.TrainConfig {
	return diffusion.TrainConfig{
		Steps: steps, Batch: c.Batch, Seed: c.Seed,
		Adam:        nn.AdamConfig{LR: c.LR, WarmupSteps: c.Warmup},
		EMAHalfLife: c.EMAHalfLife, EMARampup: 0.05,
		CheckpointPath: checkpoint, CheckpointEvery: 500, LogEvery: 50,
	}
}

// Trained is a finished task's EMA network with what sampling it needs.
type Trained struct {
	EMA    nn.Model
	Target diffusion.Target
	Kernel diffusion.Kernel
	Dim    int // pixels per image, Res²
}

// Load restores the EMA network of the finished task cfg from the checkpoint
// it wrote (RunTask, at cfg.Steps); a missing checkpoint or one that stops
// short of cfg.Steps is an error, never a silent retraining.
func Load(ctx context.Context, cfg Config, s *Sets, checkpoint string) (*Trained, error) {
	ck, err := nn.ReadCheckpoint(checkpoint)
	if err != nil {
		return nil, fmt.Errorf("mnist checkpoint: %w", err)
	}
	if ck.Step != cfg.Steps {
		return nil, fmt.Errorf("mnist checkpoint %s: step %d, want the finished run's %d", checkpoint, ck.Step, cfg.Steps)
	}
	target, k, model, err := build(cfg)
	if err != nil {
		return nil, err
	}
	// Train resumes from the checkpoint at its last step: it restores the
	// weights, the EMA and a learned target's state and takes no step.
	tr, err := diffusion.Train(ctx, model, TrainingSet(cfg, s.train), method(target, k), cfg.trainConfig(cfg.Steps, checkpoint))
	if err != nil {
		return nil, fmt.Errorf("mnist checkpoint %s: %w", checkpoint, err)
	}
	return &Trained{EMA: tr.EMA, Target: target, Kernel: k, Dim: cfg.Res * cfg.Res}, nil
}

// job is one task's state shared by its steps.
type job struct {
	cfg    Config
	dir    *results.Dir
	log    io.Writer
	bar    internal.Progress
	ev     *SharedEval
	target diffusion.Target
	kernel diffusion.Kernel
	dim    int
}

// train trains model on X in segments ending at each evaluation step
// (every EvalEvery steps); each call of the one training loop resumes from
// the checkpoint the previous one wrote, and after each the EMA model's
// fid_lenet on EvalN samples goes into metrics.jsonl, unless a resumed run
// recorded it already. It returns the last training result and the first
// result values (timings, loss, where the run resumed from).
func (j *job) train(ctx context.Context, model nn.Model, X *mat.Dense) (*diffusion.Trained, map[string]float64, error) {
	cfg := j.cfg
	done := j.evaluatedSteps()
	meth := method(j.target, j.kernel)
	var tr *diffusion.Trained
	var trainSec, evalSec float64
	resumedFrom := -1
	every := cfg.EvalEvery
	if every <= 0 || every > cfg.Steps {
		every = cfg.Steps
	}
	for end := min(every, cfg.Steps); ; end = min(end+every, cfg.Steps) {
		t1 := time.Now()
		var err error
		tc := cfg.trainConfig(end, j.dir.Path(CheckpointFile))
		tc.Record, tc.Progress = j.dir.RecordValues, internal.TrainStep(j.bar)
		tr, err = diffusion.Train(ctx, model, X, meth, tc)
		if err != nil {
			return nil, nil, err
		}
		trainSec += time.Since(t1).Seconds()
		if resumedFrom < 0 {
			resumedFrom = tr.Resumed
		}
		if evalN := min(cfg.EvalN, cfg.NEval); !done[end] && evalN > 3 {
			t2 := time.Now()
			if err := j.evaluateCheckpoint(ctx, tr.EMA, end, evalN); err != nil {
				return nil, nil, err
			}
			evalSec += time.Since(t2).Seconds()
		}
		if end == cfg.Steps {
			break
		}
		j.bar.Phase("train")
	}
	return tr, map[string]float64{
		"final_loss": tr.FinalLoss, "train_seconds": trainSec, "ckpt_eval_seconds": evalSec,
		"resumed_from": float64(resumedFrom), "n_eval": float64(cfg.NEval),
	}, nil
}

// evaluatedSteps returns the steps whose fid_lenet is already in
// metrics.jsonl (a resumed run).
func (j *job) evaluatedSteps() map[int]bool {
	done := map[int]bool{}
	if prev, err := results.ReadMetrics(j.dir.Path("metrics.jsonl")); err == nil {
		for _, st := range prev {
			if _, ok := st.Values["fid_lenet_eval"]; ok {
				done[st.Step] = true
			}
		}
	}
	return done
}

// evaluateCheckpoint records the fid_lenet of n samples of ema at step.
func (j *job) evaluateCheckpoint(ctx context.Context, ema nn.Model, step, n int) error {
	cfg := j.cfg
	j.bar.Phase(fmt.Sprintf("evaluate step %d", step))
	x, _, err := Sample(ctx, ema, j.target, j.kernel, n, j.dim, cfg.HeunSteps[0], cfg.evalSeed(), nil)
	if err != nil {
		return err
	}
	fid, err := j.ev.FID(data.QuantizeUnit(x, cfg.Res, cfg.Res))
	if err != nil {
		return err
	}
	if err := j.dir.Record(results.Step{Step: step, Values: map[string]float64{"fid_lenet_eval": fid}}); err != nil {
		return err
	}
	fmt.Fprintf(j.log, "mnist: step %d: fid_lenet %.3f (N = %d)\n", step, fid, n)
	return nil
}

// sampleAndScore samples ema with Heun at each of HeunSteps: the first
// (headline) draw gets every metric, samples.png and samples.npy; the
// others their fid_lenet as nfe<n>_fid_lenet.
func (j *job) sampleAndScore(ctx context.Context, ema nn.Model, res map[string]float64) error {
	cfg := j.cfg
	for i, n := range cfg.HeunSteps {
		j.bar.Phase(fmt.Sprintf("sample NFE %d", 2*n-1))
		t1 := time.Now()
		x, nfe, err := Sample(ctx, ema, j.target, j.kernel, cfg.NEval, j.dim, n, cfg.GenSeed(), nil)
		if err != nil {
			return err
		}
		sec := time.Since(t1).Seconds()
		q := data.QuantizeUnit(x, cfg.Res, cfg.Res)
		if i > 0 {
			fid, err := j.ev.FID(q)
			if err != nil {
				return err
			}
			res[fmt.Sprintf("nfe%d_fid_lenet", nfe)] = fid
			continue
		}
		res["nfe"] = float64(nfe)
		res["sample_seconds"] = sec
		t2 := time.Now()
		m, err := j.ev.Evaluate(q, cfg.rand(streamKID))
		if err != nil {
			return err
		}
		for key, v := range m.Flat("") {
			res[key] = v
		}
		res[fmt.Sprintf("nfe%d_fid_lenet", nfe)] = m.FIDLeNet
		res["eval_seconds"] = time.Since(t2).Seconds()
		if err := results.ImageGridRange(j.dir.Path("samples.png"), GridImages(q), cfg.Res, cfg.Res, 8, 8, -1, 1); err != nil {
			return err
		}
		if err := j.dir.WriteNPYUint8(results.SamplesFile, q.Pix, q.N, q.H, q.W); err != nil {
			return err
		}
	}
	return nil
}
