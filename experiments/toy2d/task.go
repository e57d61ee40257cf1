package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/metrics"
	"genlab/nn"
	"genlab/results"
)

// Config is the resolved configuration of one toy2d task; its canonical
// JSON is hashed into the task key.
type Config struct {
	Toy          string  `json:"toy"`
	Seed         uint64  `json:"seed"`
	Target       string  `json:"target"`
	NTrain       int     `json:"n_train"`
	NEval        int     `json:"n_eval"`
	Steps        int     `json:"steps"`
	Batch        int     `json:"batch"`
	Hidden       int     `json:"hidden"`
	Layers       int     `json:"layers"`
	Fourier      int     `json:"fourier"`
	LR           float64 `json:"lr"`
	Warmup       int     `json:"warmup"`
	EMAHalfLife  float64 `json:"ema_halflife"`
	SigmaData    float64 `json:"sigma_data"` // 0: the training set's per-coordinate std
	HeunSteps    []int   `json:"heun_steps"` // the first is the headline (samples.png)
	IdealPoints  int     `json:"ideal_points"`
	CheckpointEv int     `json:"checkpoint_every"`
}

// The random streams of a task, so that every draw has its own source.
const (
	streamTrainSet = iota + 1
	streamHeldA
	streamHeldB
	streamInit
	streamMMD
	streamLinear
)

// sharedDirs are the sliced-Wasserstein directions, identical for every task
// so numbers are comparable across toys, seeds and settings.
func sharedDirs() *mat.Dense {
	return metrics.RandomDirections(2, 256, rand.New(rand.NewPCG(0, 0x5357)))
}

// runTask trains, samples and evaluates one configuration in dir.
func runTask(ctx context.Context, cfg Config, dir *results.Dir, bar internal.Progress) (map[string]float64, error) {
	toy, err := data.ParseToy(cfg.Toy)
	if err != nil {
		return nil, err
	}
	rs := func(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(cfg.Seed, stream)) }
	train := toy.Sample(cfg.NTrain, rs(streamTrainSet))
	heldA := toy.Sample(cfg.NEval, rs(streamHeldA))
	heldB := toy.Sample(cfg.NEval, rs(streamHeldB))

	sd := cfg.SigmaData
	if sd == 0 {
		sd = data.PooledStd(train)
	}
	target, err := diffusion.ParseTarget(cfg.Target, sd)
	if err != nil {
		return nil, err
	}
	model, err := nn.NewMLP(nn.MLPConfig{In: 2, Out: 2, Hidden: cfg.Hidden, Layers: cfg.Layers, Fourier: cfg.Fourier}, rs(streamInit))
	if err != nil {
		return nil, err
	}
	meth := diffusion.Method{Kernel: diffusion.Gaussian{}, Target: target, Sigma: diffusion.DefaultLogNormal}
	t0 := time.Now()
	tr, err := diffusion.Train(ctx, model, train, meth, diffusion.TrainConfig{
		Steps: cfg.Steps, Batch: cfg.Batch, Seed: cfg.Seed,
		Adam:        nn.AdamConfig{LR: cfg.LR, WarmupSteps: cfg.Warmup},
		EMAHalfLife: cfg.EMAHalfLife, EMARampup: 0.05,
		CheckpointPath: dir.Path("checkpoint.bin"), CheckpointEvery: cfg.CheckpointEv,
		LogEvery: 50,
		Record:   dir.RecordValues,
		Progress: internal.TrainStep(bar),
	})
	if err != nil {
		return nil, err
	}
	trainSec := time.Since(t0).Seconds()

	// The loss the best linear denoiser would reach: a network pinned near
	// it has learned nothing beyond the data covariance.
	bar.Phase("evaluate: floors")
	lin := diffusion.LinearLevel(diffusion.CovEigen(train), target, meth.Sigma, 20000, rs(streamLinear))
	res := map[string]float64{
		"sigma_data": sd, "final_loss": tr.FinalLoss, "train_seconds": trainSec,
		"linear_level": lin, "loss_over_linear": tr.FinalLoss / lin,
		"resumed_from": float64(tr.Resumed), "n_eval": float64(cfg.NEval),
	}
	dirs := sharedDirs()
	hs := bandwidths(heldA, rs(streamMMD))
	score := func(prefix string, x *mat.Dense) {
		res[prefix+"sw1"] = metrics.SlicedWassersteinDirs(x, heldA, dirs, 1)
		res[prefix+"sw2"] = metrics.SlicedWassersteinDirs(x, heldA, dirs, 2)
		res[prefix+"mmd2"] = metrics.MMD2(x, heldA, hs)
	}
	// The floor: two independent held-out draws of the same size.
	res["sw_floor"] = metrics.SlicedWassersteinDirs(heldB, heldA, dirs, 1)
	res["sw2_floor"] = metrics.SlicedWassersteinDirs(heldB, heldA, dirs, 2)
	res["mmd2_floor"] = metrics.MMD2(heldB, heldA, hs)

	den, err := diffusion.NewNetDenoiser(tr.EMA, target, 512)
	if err != nil {
		return nil, err
	}
	defer den.Close()
	genSeed := cfg.Seed*1000003 + 17
	var headline *mat.Dense
	for i, n := range cfg.HeunSteps {
		bar.Phase(fmt.Sprintf("sample NFE %d", 2*n-1))
		x := diffusion.PriorSamples(diffusion.Gaussian{}, cfg.NEval, 2, diffusion.SigmaMax, genSeed)
		t1 := time.Now()
		nfe, err := diffusion.Heun(ctx, den, x, diffusion.KarrasSigmas(n, diffusion.SigmaMin, diffusion.SigmaMax, diffusion.Rho), nil)
		if err != nil {
			return nil, err
		}
		p := fmt.Sprintf("nfe%d_", nfe)
		if i == 0 {
			headline = x
			p = ""
			res["nfe"] = float64(nfe)
			res["sample_seconds"] = time.Since(t1).Seconds()
		}
		score(p, x)
	}
	if toy == data.Ring8 {
		modeStats(res, headline)
	}

	// The exact denoiser of (a subset of) the training set: what an
	// infinitely flexible network would reproduce — the training points.
	bar.Phase("sample: exact denoiser")
	ideal := diffusion.Ideal{Data: train.Slice(0, min(cfg.IdealPoints, cfg.NTrain), 0, 2).(*mat.Dense), Kernel: diffusion.Gaussian{}}
	xi := diffusion.PriorSamples(diffusion.Gaussian{}, cfg.NEval, 2, diffusion.SigmaMax, genSeed)
	if _, err := diffusion.Heun(ctx, ideal, xi, diffusion.KarrasSigmas(cfg.HeunSteps[0], diffusion.SigmaMin, diffusion.SigmaMax, diffusion.Rho), nil); err != nil {
		return nil, err
	}
	score("ideal_", xi)

	bar.Phase("figures")
	title := fmt.Sprintf("%s, seed %d: SW1 %.3f (floor %.3f)", cfg.Toy, cfg.Seed, res["sw1"], res["sw_floor"])
	if err := results.Scatter2D(dir.Path("samples.png"), title, headline, heldA); err != nil {
		return nil, err
	}
	if err := dir.WriteNPY(results.SamplesFile, headline); err != nil {
		return nil, err
	}
	if err := results.Scatter2D(dir.Path("ideal_samples.png"), cfg.Toy+": exact-denoiser sampler", xi, heldA); err != nil {
		return nil, err
	}
	steps, err := results.ReadMetrics(dir.Path("metrics.jsonl"))
	if err != nil {
		return nil, err
	}
	if err := results.LossCurve(dir.Path("loss.png"), steps, "loss", true); err != nil {
		return nil, err
	}
	return res, nil
}

// bandwidths are the RBF bandwidths of the MMD: the median pairwise distance
// of held-out data times {¼, ½, 1, 2, 4}, as in the PFGM++ toy notebook's
// five-kernel sum.
func bandwidths(x *mat.Dense, rng *rand.Rand) []float64 {
	h := metrics.MedianHeuristic(x, 20000, rng)
	return []float64{h / 4, h / 2, h, 2 * h, 4 * h}
}

// modeStats adds the 8-Gaussian ring's mode coverage: the share of samples
// within 4 standard deviations of a centre, and how many of the 8 modes hold
// at least a quarter of their expected share of those.
func modeStats(res map[string]float64, x *mat.Dense) {
	c := data.Ring8Centers()
	n, _ := x.Dims()
	var counts [8]float64
	var near float64
	for i := 0; i < n; i++ {
		for j := 0; j < 8; j++ {
			if math.Hypot(x.At(i, 0)-c.At(j, 0), x.At(i, 1)-c.At(j, 1)) < 4*data.Ring8Std {
				counts[j]++
				near++
				break
			}
		}
	}
	covered := 0.0
	for _, k := range counts {
		if k >= near/8/4 && k > 0 {
			covered++
		}
	}
	res["on_mode_share"] = near / float64(n)
	res["modes_covered"] = covered
}
