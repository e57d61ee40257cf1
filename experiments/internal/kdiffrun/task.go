// Package kdiffrun is the task code shared by the k-Diff experiments
// (experiments/kdiff-dimension and experiments/kdiff-learned): data on an
// n-dimensional manifold embedded in N dimensions, a network trained through
// kdiff.Bridge by diffusion.Train, the native Heun sampler on dz/ds = v̂, and
// the metrics of the spec (intrinsic sliced Wasserstein, off-manifold RMS,
// teacher-forced denoising MSE by s, the trajectory of k).
package kdiffrun

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/mat"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/kdiff"
	"genlab/metrics"
	"genlab/nn"
	"genlab/results"
)

// Config is the resolved configuration of one k-Diff task; its canonical
// JSON is hashed into the task key.
type Config struct {
	Preset     string  `json:"preset"`
	Sweep      string  `json:"sweep"`      // which grid the task belongs to (dimension, pairs, width)
	Data       string  `json:"data"`       // a 2-D toy (ring8, …), mixture, blobs or mnist
	Embed      string  `json:"embed"`      // linear or curved (toys and mixture)
	N          int     `json:"N"`          // ambient dimension
	NIntr      int     `json:"n"`          // intrinsic dimension
	K          string  `json:"k"`          // a number in [0,1], "learn" or "learn-s"
	KInit      float64 `json:"k_init"`     // initial learned k
	KLR        float64 `json:"k_lr"`       // Adam learning rate of w = logit k
	Loss       string  `json:"loss"`       // u, v or x
	TDist      string  `json:"tdist"`      // uniform or logitnormal
	Seed       uint64  `json:"seed"`       //
	NTrain     int     `json:"n_train"`    //
	NEval      int     `json:"n_eval"`     // generated samples and held-out points
	Steps      int     `json:"steps"`      //
	Batch      int     `json:"batch"`      //
	Hidden     int     `json:"hidden"`     //
	Layers     int     `json:"layers"`     //
	Bottleneck int     `json:"bottleneck"` // width b of a linear input bottleneck; 0: none
	BRel       string  `json:"b_rel"`      // how b was specified (n, 2n, N), for plots
	Fourier    int     `json:"fourier"`    //
	FScale     float64 `json:"fourier_scale"`
	LR         float64 `json:"lr"`
	Warmup     int     `json:"warmup"`
	EMAHalf    float64 `json:"ema_halflife"` // samples
	Sampler    string  `json:"sampler"`      // heun, euler (native, in s) or edm (diffusion.Heun via the bridge)
	SampleStep int     `json:"sample_steps"`
	Clamp      float64 `json:"clamp"`
	CkptEvery  int     `json:"checkpoint_every"`
	DataDir    string  `json:"-"`                     // MNIST directory (hashed into the key by content, as DataSHA)
	DataSHA    string  `json:"data_sha256,omitempty"` // data.MNISTDigest of DataDir when Data is "mnist"
}

// TFLevels are the times s of the teacher-forced denoising MSE.
var TFLevels = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}

// KStar is the reported optimum k* = N/(N+n).
func KStar(N, n int) float64 { return float64(N) / float64(N+n) }

// Random streams of a task.
const (
	streamTrain = iota + 1
	streamHeldA
	streamHeldB
	streamEmbed
	streamInit
	streamTF
	streamMix
	streamMMD
)

// SharedDirs are the sliced-Wasserstein directions in n dimensions,
// identical for every task.
func SharedDirs(n int) *mat.Dense {
	return metrics.RandomDirections(n, 256, rand.New(rand.NewPCG(0, 0x5357)))
}

// Model builds the task's network.
func Model(cfg Config) (nn.Model, error) {
	rng := rand.New(rand.NewPCG(cfg.Seed, streamInit))
	if cfg.Bottleneck > 0 {
		return nn.NewBottleneckMLP(nn.BottleneckConfig{In: cfg.N, B: cfg.Bottleneck, Hidden: cfg.Hidden, Layers: cfg.Layers,
			Fourier: cfg.Fourier, FourierScale: cfg.FScale}, rng)
	}
	return nn.NewMLP(nn.MLPConfig{In: cfg.N, Out: cfg.N, Hidden: cfg.Hidden, Layers: cfg.Layers,
		Fourier: cfg.Fourier, FourierScale: cfg.FScale}, rng)
}

// CheckKs refuses a learned k(s) schedule (-k learn-s): these experiments
// train on their own s-distribution (-tdist) and sample with the native
// sampler at one k, so a per-σ k is not wired through them (mnist runs it).
func CheckKs(ks []kdiff.K) error {
	for _, k := range ks {
		if k.Schedule {
			all := kdiff.Ks(ks)
			return internal.Usagef("-k %s: learn-s (a learned k(s) schedule) runs in experiments/mnist only; here use learn", all.String())
		}
	}
	return nil
}

// Bridge builds the task's k-Diff target.
func Bridge(cfg Config) (*kdiff.Bridge, kdiff.SDist, error) {
	k, err := kdiff.ParseK(cfg.K)
	if err != nil {
		return nil, nil, err
	}
	if err := CheckKs([]kdiff.K{k}); err != nil {
		return nil, nil, err
	}
	loss, err := kdiff.ParseLossSpace(cfg.Loss)
	if err != nil {
		return nil, nil, err
	}
	sd, err := kdiff.ParseSDist(cfg.TDist)
	if err != nil {
		return nil, nil, err
	}
	if k.Learned && !(cfg.KInit > 0 && cfg.KInit < 1) {
		return nil, nil, fmt.Errorf("k init %g not in (0,1)", cfg.KInit)
	}
	b := kdiff.NewBridge(k, loss, cfg.KInit, cfg.KLR)
	b.Clamp = cfg.Clamp
	return b, sd, nil
}

// kTail is the mean recorded k over the last fifth of the logged steps
// (smoothing Adam's jitter), read from metrics.jsonl — so a run resumed
// mid-training averages the whole trajectory, not only the last process's
// steps. ok is false when nothing was logged.
func kTail(dir *results.Dir) (kt float64, ok bool, err error) {
	if err := dir.Close(); err != nil { // flush metrics.jsonl
		return 0, false, err
	}
	steps, err := results.ReadMetrics(dir.Path(results.MetricsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil || len(steps) == 0 {
		return 0, false, err
	}
	tail := steps[len(steps)*4/5:]
	for _, s := range tail {
		kt += s.Values["k"]
	}
	return kt / float64(len(tail)), true, nil
}

// Run trains, samples and evaluates one task in dir. A non-finite training
// loss is an outcome of the sweep (ε-prediction can diverge at large N), not
// a failure: it is reported as diverged = 1 with NaN metrics.
// bar receives the training steps, the loss and the phases.
func Run(ctx context.Context, cfg Config, dir *results.Dir, bar internal.Progress) (map[string]float64, error) {
	ds, err := LoadData(cfg)
	if err != nil {
		return nil, err
	}
	model, err := Model(cfg)
	if err != nil {
		return nil, err
	}
	bridge, sdist, err := Bridge(cfg)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	tr, err := diffusion.Train(ctx, model, ds.Train, diffusion.Method{Kernel: diffusion.Gaussian{}, Target: bridge, Sigma: sdist},
		diffusion.TrainConfig{
			Steps: cfg.Steps, Batch: cfg.Batch, Seed: cfg.Seed,
			Adam:        nn.AdamConfig{LR: cfg.LR, WarmupSteps: cfg.Warmup},
			EMAHalfLife: cfg.EMAHalf, EMARampup: 0.05,
			CheckpointPath: dir.Path("checkpoint.bin"), CheckpointEvery: cfg.CkptEvery,
			LogEvery: 25,
			Record:   dir.RecordValues,
			Progress: internal.TrainStep(bar),
		})
	res := map[string]float64{"diverged": 0}
	if cfg.NIntr > 0 { // MNIST has no known intrinsic dimension
		res["k_star"] = KStar(cfg.N, cfg.NIntr)
	}
	if errors.Is(err, diffusion.ErrNonFinite) {
		res["diverged"] = 1
		for _, m := range []string{"k", "sw1", "off_rms", "tf_mse_mean"} {
			res[m] = math.NaN()
		}
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res["train_seconds"] = time.Since(t0).Seconds()
	res["final_loss"] = tr.FinalLoss
	k := bridge.KValue()
	res["k"] = k
	if kt, ok, err := kTail(dir); err != nil {
		return nil, err
	} else if ok {
		res["k_tail"] = kt
	}

	net, err := kdiff.NewNetU(tr.EMA, 500)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	bar.Phase("evaluate: teacher-forced")
	if err := teacherForced(res, cfg, ds, net, k); err != nil {
		return nil, err
	}
	_, N := ds.Train.Dims()
	bar.Phase("sample " + cfg.Sampler)
	t1 := time.Now()
	gen, nfe, err := sample(ctx, cfg, net, tr.EMA, bridge, k, N)
	if err != nil {
		return nil, err
	}
	res["sample_seconds"] = time.Since(t1).Seconds()
	res["nfe"] = float64(nfe)
	if err := dir.WriteNPY(results.SamplesFile, gen); err != nil {
		return nil, err
	}
	bar.Phase("evaluate")
	if err := score(res, cfg, ds, gen); err != nil {
		return nil, err
	}
	return res, pictures(cfg, ds, gen, dir)
}

// sample draws NEval samples with per-sample seeds.
func sample(ctx context.Context, cfg Config, net *kdiff.NetU, ema nn.Model, b *kdiff.Bridge, k float64, N int) (*mat.Dense, int, error) {
	genSeed := cfg.Seed*1000003 + 17
	switch cfg.Sampler {
	case "heun", "euler":
		z := diffusion.PriorSamples(diffusion.Gaussian{}, cfg.NEval, N, 1, genSeed) // z ~ N(0, I) at s = 0
		nfe, err := kdiff.Sample(ctx, net, z, kdiff.SGrid(cfg.SampleStep, kdiff.StartS(k)), k, cfg.Clamp, cfg.Sampler == "heun")
		return z, nfe, err
	case "edm":
		den, err := diffusion.NewNetDenoiser(ema, b.Frozen(), 500)
		if err != nil {
			return nil, 0, err
		}
		defer den.Close()
		y := diffusion.PriorSamples(diffusion.Gaussian{}, cfg.NEval, N, diffusion.SigmaMax, genSeed)
		nfe, err := diffusion.Heun(ctx, den, y, diffusion.KarrasSigmas(cfg.SampleStep, diffusion.SigmaMin, diffusion.SigmaMax, diffusion.Rho), nil)
		return y, nfe, err
	}
	return nil, 0, fmt.Errorf("unknown sampler %q", cfg.Sampler)
}
