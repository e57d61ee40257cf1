package pfgmexp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/mat"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/nn"
	"genlab/pfgm"
)

// ModelsExperiment is the results experiment under which trained models are
// cached, keyed by their TrainConfig, so that pfgm-sweep and pfgm-robustness
// share the models they both need.
const ModelsExperiment = "pfgm-models"

// TrainConfig is everything that determines a trained model. The network
// never sees D: it enters only through the noise kernel of the training
// pairs.
type TrainConfig struct {
	Data             string  `json:"data"`
	D                float64 `json:"D"` // +Inf is encoded "inf"
	ClipLikeOfficial bool    `json:"clip_like_official"`
	Seed             uint64  `json:"seed"`
	NTrain           int     `json:"n_train"`
	Steps            int     `json:"steps"`
	Batch            int     `json:"batch"`
	Hidden           int     `json:"hidden"`
	Layers           int     `json:"layers"`
	Fourier          int     `json:"fourier"`
	LR               float64 `json:"lr"`
	Warmup           int     `json:"warmup"`
	GradClip         float64 `json:"grad_clip"`
	EMAHalfLife      float64 `json:"ema_halflife"` // in training samples
	CheckpointEvery  int     `json:"checkpoint_every"`
}

// Kernel returns the PFGM++ kernel of the configuration.
func (c TrainConfig) Kernel() pfgm.Kernel {
	return pfgm.Kernel{D: c.D, ClipLikeOfficial: c.ClipLikeOfficial}
}

// Model is a trained (EMA) network with its preconditioning.
type Model struct {
	Net       nn.Model
	Target    diffusion.Target
	Kernel    pfgm.Kernel
	FinalLoss float64
	Cached    bool // loaded from the model cache rather than trained now
}

// NewModelCache returns the cache of trained models under root/pfgm-models
// that the tasks of a run share (diffusion.ModelCache).
func NewModelCache(root string) *diffusion.ModelCache {
	return &diffusion.ModelCache{Root: root, Name: ModelsExperiment}
}

// TrainOrLoad returns the EMA model of cfg on ds from cache: loaded when it
// is there, else trained now (resuming from the cache's checkpoint) and
// cached; a task asking for a model another task is training waits for
// it. bar receives the training steps and loss.
func TrainOrLoad(ctx context.Context, cache *diffusion.ModelCache, cfg TrainConfig, ds *DataSet, bar internal.Progress) (*Model, error) {
	if err := cfg.Kernel().Validate(); err != nil {
		return nil, err
	}
	net, err := nn.NewMLP(nn.MLPConfig{In: ds.Dim, Out: ds.Dim, Hidden: cfg.Hidden, Layers: cfg.Layers, Fourier: cfg.Fourier},
		rand.New(rand.NewPCG(cfg.Seed, streamInit)))
	if err != nil {
		return nil, fmt.Errorf("pfgmexp: %w", err)
	}
	m := &Model{Target: diffusion.EDM{SigmaData: ds.SigmaData}, Kernel: cfg.Kernel()}
	cm, err := cache.LoadOrTrain(ctx, cfg, net, func(ctx context.Context, ckpt string, record func(int, map[string]float64) error) (nn.Model, map[string]float64, error) {
		t0 := time.Now()
		tr, err := diffusion.Train(ctx, net, ds.Train, diffusion.Method{Kernel: m.Kernel, Target: m.Target, Sigma: diffusion.DefaultLogNormal},
			diffusion.TrainConfig{
				Steps: cfg.Steps, Batch: cfg.Batch, Seed: cfg.Seed,
				Adam:        nn.AdamConfig{LR: cfg.LR, WarmupSteps: cfg.Warmup, GradClip: cfg.GradClip},
				EMAHalfLife: cfg.EMAHalfLife, EMARampup: 0.05,
				CheckpointPath: ckpt, CheckpointEvery: cfg.CheckpointEvery,
				LogEvery: 50, Record: record, Progress: internal.TrainStep(bar),
			})
		if err != nil {
			return nil, nil, fmt.Errorf("pfgmexp: train %s D=%s seed %d: %w", cfg.Data, pfgm.FormatD(cfg.D), cfg.Seed, err)
		}
		return tr.EMA, map[string]float64{"final_loss": tr.FinalLoss, "train_seconds": time.Since(t0).Seconds()}, nil
	})
	if err != nil {
		return nil, err
	}
	if cm.Cached {
		bar.Phase("model cached")
		bar.Set(cfg.Steps)
	}
	m.Net, m.FinalLoss, m.Cached = cm.Net, cm.Result["final_loss"], cm.Cached
	return m, nil
}

// SampleConfig fixes how samples are drawn.
type SampleConfig struct {
	N         int     // samples
	Steps     int     // Heun steps n (NFE 2n−1)
	Euler     bool    // Euler instead of Heun (NFE n)
	GenSeed   uint64  // per-sample prior seeds PCG(GenSeed, i): shared across D
	SigmaMax  float64 // σ_max of both the time grid and the prior
	SigmaMin  float64
	BatchRows int // rows per network call
}

// Sample draws cfg.N samples from net (or any denoiser) with the PFGM++
// prior of kernel k at the grid's σ_max and the Heun (or Euler) sampler;
// hook, if not nil, runs before every step (state-noise perturbation).
func Sample(ctx context.Context, den diffusion.Denoiser, k pfgm.Kernel, dim int, cfg SampleConfig, hook diffusion.Hook) (*mat.Dense, int, error) {
	sigmas := diffusion.KarrasSigmas(cfg.Steps, cfg.SigmaMin, cfg.SigmaMax, diffusion.Rho)
	x := diffusion.PriorSamples(k, cfg.N, dim, sigmas[0], cfg.GenSeed)
	step := diffusion.Heun
	if cfg.Euler {
		step = diffusion.Euler
	}
	nfe, err := step(ctx, den, x, sigmas, hook)
	if err != nil {
		return nil, 0, fmt.Errorf("pfgmexp: sample: %w", err)
	}
	return x, nfe, nil
}

// Denoiser compiles the network of m (or of net, a perturbed copy, when not
// nil) into a denoiser the samplers call.
func (m *Model) Denoiser(net nn.Model, batch int) (*diffusion.NetDenoiser, error) {
	if net == nil {
		net = m.Net
	}
	return diffusion.NewNetDenoiser(net, m.Target, batch)
}
