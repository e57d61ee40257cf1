package pfgmexp

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"gonum.org/v1/gonum/mat"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/nn"
	"genlab/pfgm"
	"genlab/results"
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
	DataSHA          string  `json:"data_sha256,omitempty"` // DataDigests: the MNIST files' content (none for generated sets)
	D                float64 `json:"D"`                     // +Inf is encoded "inf"
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

// TrainOrLoad returns the EMA model of cfg on ds: from the cache under
// root/pfgm-models when it is there, else trained now (resuming from the
// cache's checkpoint) and cached. bar receives the training steps and loss.
func TrainOrLoad(ctx context.Context, root string, cfg TrainConfig, ds *DataSet, bar internal.Progress) (*Model, error) {
	if err := cfg.Kernel().Validate(); err != nil {
		return nil, err
	}
	dir, err := results.OpenCache(root, ModelsExperiment, cfg)
	if err != nil {
		return nil, err
	}
	net, err := nn.NewMLP(nn.MLPConfig{In: ds.Dim, Out: ds.Dim, Hidden: cfg.Hidden, Layers: cfg.Layers, Fourier: cfg.Fourier},
		rand.New(rand.NewPCG(cfg.Seed, streamInit)))
	if err != nil {
		return nil, fmt.Errorf("pfgmexp: %w", err)
	}
	target := diffusion.EDM{SigmaData: ds.SigmaData}
	m := &Model{Net: net, Target: target, Kernel: cfg.Kernel()}
	emaPath := dir.Path("ema.params")
	if dir.Done() {
		b, err := os.ReadFile(emaPath)
		if err == nil {
			err = nn.LoadParams(bytes.NewReader(b), net)
		}
		if err != nil {
			return nil, fmt.Errorf("pfgmexp: cached model %s: %w", dir.Dir(), err)
		}
		r, _ := dir.Result()
		m.FinalLoss, m.Cached = r["final_loss"], true
		bar.Phase("model cached")
		bar.Set(cfg.Steps)
		return m, nil
	}
	t0 := time.Now()
	tr, err := diffusion.Train(ctx, net, ds.Train, diffusion.Method{Kernel: m.Kernel, Target: target, Sigma: diffusion.DefaultLogNormal},
		diffusion.TrainConfig{
			Steps: cfg.Steps, Batch: cfg.Batch, Seed: cfg.Seed,
			Adam:        nn.AdamConfig{LR: cfg.LR, WarmupSteps: cfg.Warmup, GradClip: cfg.GradClip},
			EMAHalfLife: cfg.EMAHalfLife, EMARampup: 0.05,
			CheckpointPath: dir.Path("checkpoint.bin"), CheckpointEvery: cfg.CheckpointEvery,
			LogEvery: 50,
			Record:   dir.RecordValues,
			Progress: internal.TrainStep(bar),
		})
	if err != nil {
		return nil, fmt.Errorf("pfgmexp: train %s D=%s seed %d: %w", cfg.Data, pfgm.FormatD(cfg.D), cfg.Seed, err)
	}
	var buf bytes.Buffer
	if err := nn.SaveParams(&buf, tr.EMA); err != nil {
		return nil, err
	}
	if err := results.WriteFileAtomic(emaPath, buf.Bytes()); err != nil {
		return nil, err
	}
	if steps, err := results.ReadMetrics(dir.Path("metrics.jsonl")); err == nil && len(steps) > 1 {
		_ = results.LossCurve(dir.Path("loss.png"), steps, "loss", true)
	}
	if err := dir.WriteResult(map[string]float64{"final_loss": tr.FinalLoss, "train_seconds": time.Since(t0).Seconds()}); err != nil {
		return nil, err
	}
	m.Net, m.FinalLoss = tr.EMA, tr.FinalLoss
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
