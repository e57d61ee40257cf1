package prior

import (
	"context"
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"genlab/diffusion"
	"genlab/nn"
)

// NetConfig configures the network prior over |C| images: an MLP on k²
// inputs with a Fourier embedding of c_noise, EDM preconditioning with
// σ_data the RMS of the training entries, ln σ ~ N(−1.2, 1.2²), trained
// by diffusion.Train.
type NetConfig struct {
	Hidden, Layers, Fourier int
	Steps, Batch            int
	LR                      float64
	Warmup                  int
	EMAHalfLife             float64 // in samples (EDM rampup 0.05 applies)
	GradClip                float64 // Adam's global-norm clip: g ← g·min(1, GradClip/‖g‖₂); 0: none
	Seed                    uint64  // initialisation PCG(Seed, 1); the trainer's stream from Seed
	CheckpointPath          string  // resumable training state ("" for none)
	Record                  func(step int, values map[string]float64) error
	Progress                func(step int, loss float64) // after every step, may be nil
}

// NetPrior is a trained denoiser network and what it needs to denoise.
type NetPrior struct {
	Model  nn.Model // the EMA weights
	Target diffusion.EDM
	Loss   float64 // mean training loss over the last logging window
}

// TrainNet trains the network prior on images (one flattened |C| per row)
// with diffusion.Train, the only training loop, and returns its EMA.
func TrainNet(ctx context.Context, images *mat.Dense, cfg NetConfig) (*NetPrior, error) {
	_, d := images.Dims()
	net, err := nn.NewMLP(nn.MLPConfig{In: d, Out: d, Hidden: cfg.Hidden, Layers: cfg.Layers, Fourier: cfg.Fourier},
		rand.New(rand.NewPCG(cfg.Seed, 1)))
	if err != nil {
		return nil, fmt.Errorf("prior: network: %w", err)
	}
	target := diffusion.EDM{SigmaData: RMS(images)}
	tr, err := diffusion.Train(ctx, net, images,
		diffusion.Method{Kernel: diffusion.Gaussian{}, Target: target, Sigma: diffusion.DefaultLogNormal},
		diffusion.TrainConfig{Steps: cfg.Steps, Batch: cfg.Batch, Seed: cfg.Seed,
			Adam:        nn.AdamConfig{LR: cfg.LR, WarmupSteps: cfg.Warmup, GradClip: cfg.GradClip},
			EMAHalfLife: cfg.EMAHalfLife, EMARampup: 0.05,
			CheckpointPath: cfg.CheckpointPath, CheckpointEvery: 500, LogEvery: 50, Record: cfg.Record,
			Progress: cfg.Progress})
	if err != nil {
		return nil, fmt.Errorf("prior: training the network prior: %w", err)
	}
	return &NetPrior{Model: tr.EMA, Target: target, Loss: tr.FinalLoss}, nil
}

// NewNetPrior wraps an already trained model (e.g. loaded parameters).
func NewNetPrior(m nn.Model, sigmaData float64) *NetPrior {
	return &NetPrior{Model: m, Target: diffusion.EDM{SigmaData: sigmaData}}
}

// Denoiser compiles the network into a diffusion.NetDenoiser evaluating
// batch rows per call; Close it when done.
func (p *NetPrior) Denoiser(batch int) (*diffusion.NetDenoiser, error) {
	d, err := diffusion.NewNetDenoiser(p.Model, p.Target, batch)
	if err != nil {
		return nil, fmt.Errorf("prior: %w", err)
	}
	return d, nil
}

// Sample draws n images from den with the Heun sampler on the EDM ρ-grid
// (steps levels from σ_max to σ_min, then 0), sample i starting from its
// own prior draw PCG(seed, i).
func Sample(ctx context.Context, den diffusion.Denoiser, n, dim, steps int, sigmaMax, sigmaMin float64, seed uint64) (*mat.Dense, error) {
	x := diffusion.PriorSamples(diffusion.Gaussian{}, n, dim, sigmaMax, seed)
	if _, err := diffusion.Heun(ctx, den, x, diffusion.KarrasSigmas(steps, sigmaMin, sigmaMax, diffusion.Rho), nil); err != nil {
		return nil, fmt.Errorf("prior: sampling: %w", err)
	}
	return x, nil
}
