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

// runTask trains, samples and evaluates one configuration in dir: data →
// MLP → diffusion.Train → Heun samples at each step count and from the
// exact denoiser → sliced Wasserstein and MMD to held-out data.
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
	meth := diffusion.Method{Kernel: diffusion.Gaussian{}, Target: target, Sigma: diffusion.DefaultLogNormal}
	t0 := time.Now()
	tr, err := trainNet(ctx, cfg, meth, train, dir, bar)
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
	sc := scorer{res: res, held: heldA, dirs: sharedDirs(), hs: bandwidths(heldA, rs(streamMMD))}
	sc.floor(heldB)
	headline, err := sampleNet(ctx, cfg, tr.EMA, target, sc, bar)
	if err != nil {
		return nil, err
	}
	if toy == data.Ring8 {
		modeStats(res, headline)
	}
	// The exact denoiser of (a subset of) the training set: what an
	// infinitely flexible network would reproduce — the training points.
	bar.Phase("sample: exact denoiser")
	ideal := diffusion.Ideal{Data: train.Slice(0, min(cfg.IdealPoints, cfg.NTrain), 0, 2).(*mat.Dense), Kernel: diffusion.Gaussian{}}
	xi := diffusion.PriorSamples(diffusion.Gaussian{}, cfg.NEval, 2, diffusion.SigmaMax, genSeed(cfg.Seed))
	if _, err := diffusion.Heun(ctx, ideal, xi, diffusion.KarrasSigmas(cfg.HeunSteps[0], diffusion.SigmaMin, diffusion.SigmaMax, diffusion.Rho), nil); err != nil {
		return nil, err
	}
	sc.score("ideal_", xi)
	bar.Phase("figures")
	return res, taskFigures(cfg, dir, res, headline, xi, heldA)
}

// genSeed is the generation seed of a task seed: sample i starts from the
// prior draw PCG(genSeed, i).
func genSeed(seed uint64) uint64 { return seed*1000003 + 17 }

// trainNet trains the task's MLP on train with the one training loop,
// resuming from the task's checkpoint.
func trainNet(ctx context.Context, cfg Config, meth diffusion.Method, train *mat.Dense, dir *results.Dir, bar internal.Progress) (*diffusion.Trained, error) {
	model, err := nn.NewMLP(nn.MLPConfig{In: 2, Out: 2, Hidden: cfg.Hidden, Layers: cfg.Layers, Fourier: cfg.Fourier},
		rand.New(rand.NewPCG(cfg.Seed, streamInit)))
	if err != nil {
		return nil, err
	}
	return diffusion.Train(ctx, model, train, meth, diffusion.TrainConfig{
		Steps: cfg.Steps, Batch: cfg.Batch, Seed: cfg.Seed,
		Adam:        nn.AdamConfig{LR: cfg.LR, WarmupSteps: cfg.Warmup},
		EMAHalfLife: cfg.EMAHalfLife, EMARampup: 0.05,
		CheckpointPath: dir.Path("checkpoint.bin"), CheckpointEvery: cfg.CheckpointEv,
		LogEvery: 50,
		Record:   dir.RecordValues,
		Progress: internal.TrainStep(bar),
	})
}

// scorer writes the metrics of samples against held-out data into res.
type scorer struct {
	res  map[string]float64
	held *mat.Dense
	dirs *mat.Dense // sliced-Wasserstein directions
	hs   []float64  // MMD bandwidths
}

// score records prefix+sw1, sw2 and mmd2 of x.
func (s scorer) score(prefix string, x *mat.Dense) {
	s.res[prefix+"sw1"] = metrics.SlicedWassersteinDirs(x, s.held, s.dirs, 1)
	s.res[prefix+"sw2"] = metrics.SlicedWassersteinDirs(x, s.held, s.dirs, 2)
	s.res[prefix+"mmd2"] = metrics.MMD2(x, s.held, s.hs)
}

// floor records the metrics of other, an independent held-out draw of the
// same size: the floor no sampler can beat.
func (s scorer) floor(other *mat.Dense) {
	s.res["sw_floor"] = metrics.SlicedWassersteinDirs(other, s.held, s.dirs, 1)
	s.res["sw2_floor"] = metrics.SlicedWassersteinDirs(other, s.held, s.dirs, 2)
	s.res["mmd2_floor"] = metrics.MMD2(other, s.held, s.hs)
}

// sampleNet samples the EMA network with Heun at each of cfg.HeunSteps and
// scores each draw (the first unprefixed, the others as nfe<n>_); it
// returns the first draw, the headline samples.
func sampleNet(ctx context.Context, cfg Config, ema nn.Model, target diffusion.Target, sc scorer, bar internal.Progress) (*mat.Dense, error) {
	den, err := diffusion.NewNetDenoiser(ema, target, 512)
	if err != nil {
		return nil, err
	}
	defer den.Close()
	var headline *mat.Dense
	for i, n := range cfg.HeunSteps {
		bar.Phase(fmt.Sprintf("sample NFE %d", 2*n-1))
		x := diffusion.PriorSamples(diffusion.Gaussian{}, cfg.NEval, 2, diffusion.SigmaMax, genSeed(cfg.Seed))
		t1 := time.Now()
		nfe, err := diffusion.Heun(ctx, den, x, diffusion.KarrasSigmas(n, diffusion.SigmaMin, diffusion.SigmaMax, diffusion.Rho), nil)
		if err != nil {
			return nil, err
		}
		p := fmt.Sprintf("nfe%d_", nfe)
		if i == 0 {
			headline = x
			p = ""
			sc.res["nfe"] = float64(nfe)
			sc.res["sample_seconds"] = time.Since(t1).Seconds()
		}
		sc.score(p, x)
	}
	return headline, nil
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
