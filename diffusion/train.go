package diffusion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"

	"gonum.org/v1/gonum/mat"

	"genlab/nn"
)

// ErrNonFinite reports a NaN or ±Inf training loss (or gradient). The run
// stops; the last good checkpoint on disk is kept.
var ErrNonFinite = errors.New("diffusion: non-finite loss")

// Method is all that differs between EDM, PFGM++ and k-Diff: how clean data
// is perturbed, what the network regresses, and how σ is drawn in training.
type Method struct {
	Kernel Kernel    // Gaussian{} or pfgm.Kernel{D: 128}
	Target Target    // EDM{SigmaData: 0.5} or a kdiff target
	Sigma  SigmaDist // DefaultLogNormal, or a k-Diff time distribution
}

// Learnable is a Target with parameters of its own, trained jointly with the
// network (k-Diff's learned k). After every optimiser step the trainer calls
// Learn with the batch: clean rows y, noisy rows x, the per-row σ and the
// network output F (float32, row-major) from that step's forward pass. Learn
// updates the target's parameters and returns values to log.
type Learnable interface {
	Target
	Learn(y, x *mat.Dense, sigmas []float64, out []float32) map[string]float64
	LearnState() []float64
	SetLearnState([]float64) error
}

// TrainConfig holds the knobs of Train. Zero values take EDM-like defaults
// where one exists (see the field comments).
type TrainConfig struct {
	Steps int           // optimiser steps in total
	Batch int           // samples per step (the graph is compiled for it)
	Adam  nn.AdamConfig // learning rate, warm-up, clipping
	Seed  uint64        // seeds the trainer's own PCG stream (batches, σ, noise)

	// EMAHalfLife is the EMA half-life in training samples (EDM: 500k for
	// CIFAR); EMARampup caps it at EMARampup·(samples seen) early in training
	// (EDM: 0.05). EMAHalfLife = 0 turns the EMA into a copy of the weights.
	EMAHalfLife float64
	EMARampup   float64

	// CheckpointPath, if set, is written atomically every CheckpointEvery
	// steps and at the end; when it exists at start, training resumes from it.
	CheckpointPath  string
	CheckpointEvery int

	LogEvery int                                             // steps between Record calls (default 100)
	Record   func(step int, values map[string]float64) error // per-step log, may be nil
	Progress func(step int, loss float64)                    // called after every step with its loss, may be nil
}

// Trained is what Train returns: the network, its EMA (the one to sample
// from) and bookkeeping.
type Trained struct {
	Model     nn.Model
	EMA       nn.Model
	Steps     int     // steps completed
	Resumed   int     // step the run resumed from (0 for a fresh run)
	FinalLoss float64 // mean loss over the last logging window
}

// checkpointExtra is the trainer state beyond the networks and Adam: the
// random stream, a learnable target's parameters, and the loss bookkeeping
// (the last window's mean and the current window's running sum), so that a
// run resumed at any step — after the last one included — reports the
// FinalLoss of the uninterrupted run, bit for bit.
type checkpointExtra struct {
	RNG       []byte    `json:"rng"`
	Learn     []float64 `json:"learn,omitempty"`
	FinalLoss float64   `json:"final_loss"`
	WinLoss   float64   `json:"win_loss"`
	WinN      int       `json:"win_n"`
}

// Train fits model to data (one sample per row) under m, the only training
// loop in genlab. Each step draws Batch rows y uniformly with replacement,
// σ_i ~ m.Sigma and x_i = Kernel.Perturb(y_i, σ_i), and takes one Adam step on
//
//	L = (1/B)·Σ_i λ(σ_i)·c_out(σ_i)²·‖F(c_in·x_i; c_noise) − (y_i − c_skip·x_i)/c_out‖²
//	  = (1/B)·Σ_i λ(σ_i)·‖D(x_i;σ_i) − y_i‖².
//
// On cancellation it writes a checkpoint and returns ctx.Err(). A non-finite
// loss stops the run with an error wrapping ErrNonFinite, leaving the last
// good checkpoint in place. Re-running with the same CheckpointPath resumes
// where it stopped, with the same random stream.
func Train(ctx context.Context, model nn.Model, data *mat.Dense, m Method, cfg TrainConfig) (*Trained, error) {
	nData, dim := data.Dims()
	if model.In() != dim || model.Out() != dim {
		return nil, fmt.Errorf("diffusion: model maps %d→%d, data has %d columns", model.In(), model.Out(), dim)
	}
	if cfg.Batch < 1 || cfg.Steps < 0 {
		return nil, fmt.Errorf("diffusion: batch %d, steps %d", cfg.Batch, cfg.Steps)
	}
	if cfg.LogEvery <= 0 {
		cfg.LogEvery = 100
	}
	tr, err := nn.NewTrainer(model, cfg.Batch, cfg.Adam)
	if err != nil {
		return nil, fmt.Errorf("diffusion: %w", err)
	}
	defer tr.Close()
	ema := nn.NewEMA(model)
	src := rand.NewPCG(cfg.Seed, 0x747261696e) // "train"
	rng := rand.New(src)
	learn, _ := m.Target.(Learnable)

	out := &Trained{Model: model, EMA: ema.Model()}
	start := 0
	var winLoss float64
	var winN int
	if cfg.CheckpointPath != "" {
		ck, err := nn.ReadCheckpoint(cfg.CheckpointPath)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("diffusion: resume: %w", err)
		default:
			ex, err := restore(ck, model, ema, tr, src, learn)
			if err != nil {
				return nil, fmt.Errorf("diffusion: resume from %s: %w", cfg.CheckpointPath, err)
			}
			start = ck.Step
			out.Resumed = start
			out.FinalLoss, winLoss, winN = ex.FinalLoss, ex.WinLoss, ex.WinN
		}
	}
	save := func(step int) error {
		if cfg.CheckpointPath == "" {
			return nil
		}
		ex := checkpointExtra{FinalLoss: out.FinalLoss, WinLoss: winLoss, WinN: winN}
		return writeCheckpoint(cfg.CheckpointPath, step, model, ema, tr, src, learn, ex)
	}

	b := cfg.Batch
	y := mat.NewDense(b, dim, nil)
	x := mat.NewDense(b, dim, nil)
	sig := make([]float64, b)
	in := make([]float32, b*dim)
	cond := make([]float32, b)
	target := make([]float32, b*dim)
	weight := make([]float32, b)
	extra := map[string]float64{}

	for step := start; step < cfg.Steps; step++ {
		if err := ctx.Err(); err != nil {
			if serr := save(step); serr != nil {
				return out, errors.Join(err, serr)
			}
			return out, err
		}
		for i := 0; i < b; i++ {
			copy(y.RawRowView(i), data.RawRowView(rng.IntN(nData)))
			s := m.Sigma.SampleSigma(rng)
			sig[i] = s
			m.Kernel.Perturb(x.RawRowView(i), y.RawRowView(i), s, rng)
			sc := m.Target.Scalings(s)
			cond[i] = float32(sc.CNoise)
			weight[i] = float32(m.Target.Weight(s) * sc.COut * sc.COut)
			yr, xr := y.RawRowView(i), x.RawRowView(i)
			for j := 0; j < dim; j++ {
				in[i*dim+j] = float32(sc.CIn * xr[j])
				target[i*dim+j] = float32((yr[j] - sc.CSkip*xr[j]) / sc.COut)
			}
		}
		loss, f, err := tr.Step(in, cond, target, weight)
		if err == nil && (math.IsNaN(loss) || math.IsInf(loss, 0)) {
			err = ErrNonFinite
		}
		if err != nil {
			if errors.Is(err, nn.ErrNonFinite) || errors.Is(err, ErrNonFinite) {
				return out, fmt.Errorf("diffusion: step %d (σ %.3g…%.3g): %w", step, minOf(sig), maxOf(sig), ErrNonFinite)
			}
			return out, fmt.Errorf("diffusion: step %d: %w", step, err)
		}
		if learn != nil {
			for k, v := range learn.Learn(y, x, sig, f) {
				extra[k] = v
			}
		}
		ema.Update(model, emaBeta(cfg, step+1))
		winLoss += loss
		winN++
		if (step+1)%cfg.LogEvery == 0 || step+1 == cfg.Steps {
			out.FinalLoss = winLoss / float64(winN)
			if cfg.Record != nil {
				vals := map[string]float64{"loss": out.FinalLoss, "lr": cfg.Adam.LRAt(step + 1)}
				for k, v := range extra {
					vals[k] = v
				}
				if err := cfg.Record(step+1, vals); err != nil {
					return out, fmt.Errorf("diffusion: record: %w", err)
				}
			}
			winLoss, winN = 0, 0
		}
		if cfg.CheckpointEvery > 0 && (step+1)%cfg.CheckpointEvery == 0 && step+1 < cfg.Steps {
			if err := save(step + 1); err != nil {
				return out, fmt.Errorf("diffusion: checkpoint: %w", err)
			}
		}
		if cfg.Progress != nil {
			cfg.Progress(step+1, loss)
		}
	}
	out.Steps = cfg.Steps
	if start < cfg.Steps || out.Resumed == 0 {
		if err := save(cfg.Steps); err != nil {
			return out, fmt.Errorf("diffusion: checkpoint: %w", err)
		}
	}
	return out, nil
}

// emaBeta is EDM's EMA decay after `step` steps: the half-life in samples is
// min(EMAHalfLife, EMARampup·samples seen) and β = 0.5^(batch/half-life).
func emaBeta(cfg TrainConfig, step int) float64 {
	h := cfg.EMAHalfLife
	if h > 0 && cfg.EMARampup > 0 {
		h = math.Max(math.Min(h, cfg.EMARampup*float64(step*cfg.Batch)), 1e-8)
	}
	return nn.EMABeta(h, float64(cfg.Batch))
}

// writeCheckpoint writes the training state at step, with ex's loss
// bookkeeping, to path.
func writeCheckpoint(path string, step int, model nn.Model, ema *nn.EMA, tr *nn.Trainer, src *rand.PCG, learn Learnable, ex checkpointExtra) error {
	st, err := src.MarshalBinary()
	if err != nil {
		return err
	}
	ex.RNG = st
	if learn != nil {
		ex.Learn = learn.LearnState()
	}
	blob, err := json.Marshal(ex)
	if err != nil {
		return err
	}
	am, av, as := tr.AdamState()
	return nn.WriteCheckpoint(path, &nn.Checkpoint{
		Step: step, Params: nn.GetParams(model), EMA: nn.GetParams(ema.Model()),
		AdamM: am, AdamV: av, AdamStep: as, Extra: blob,
	})
}

// restore sets the networks, Adam, the random stream and a learnable
// target from ck and returns its trainer state (with the loss bookkeeping).
func restore(ck *nn.Checkpoint, model nn.Model, ema *nn.EMA, tr *nn.Trainer, src *rand.PCG, learn Learnable) (checkpointExtra, error) {
	var ex checkpointExtra
	if err := nn.SetParams(model, ck.Params); err != nil {
		return ex, err
	}
	if err := nn.SetParams(ema.Model(), ck.EMA); err != nil {
		return ex, err
	}
	if err := tr.SetAdamState(ck.AdamM, ck.AdamV, ck.AdamStep); err != nil {
		return ex, err
	}
	if err := json.Unmarshal(ck.Extra, &ex); err != nil {
		return ex, fmt.Errorf("trainer state: %w", err)
	}
	if err := src.UnmarshalBinary(ex.RNG); err != nil {
		return ex, fmt.Errorf("trainer RNG: %w", err)
	}
	if learn != nil && ex.Learn != nil {
		return ex, learn.SetLearnState(ex.Learn)
	}
	return ex, nil
}

// CheckpointExists reports whether path holds a file (resumable state).
func CheckpointExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}
