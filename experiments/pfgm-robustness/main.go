// Command pfgm-robustness measures how PFGM++ samplers degrade under the
// official robustness protocols, per augmented dimension D (D = inf is
// EDM): state noise x ← x + α·σ_i·ε before every Heun step, post-training
// b-bit min–max quantisation of the weight matrices, and fewer Heun steps
// (plus Euler). Every D uses the same data, network, σ grid, EMA, training
// length and seeds, and the same prior directions and state-noise draws.
// It reports ΔM = M(perturbed) − M(clean) for each metric M.
//
//	go run ./experiments/pfgm-robustness -preset quick
//	go run ./experiments/pfgm-robustness -preset default -alpha 0,0.1,0.2 -bits 4,8 -heun-steps 4,8,18
//
// It takes the common flags of every experiment (-preset, -out, -seeds,
// -threads, -jobs, -task, -force, -plan). Trained models come from (or go
// to) the pfgm-models cache shared with pfgm-sweep, so running the sweep
// first saves the training.
//
// On images, -data mnist-unet measures the U-Net models of the mnist
// experiment (the EMA weights of its finished run for each D and seed,
// found under <out>/mnist; -steps picks among runs of several lengths) by
// fid_lenet on -n-eval samples against as many test digits, and trains
// nothing: a missing run is a usage error naming the mnist command that
// trains it.
//
//	go run ./experiments/mnist -preset default -steps 1500 -heun-steps 18 -eval-every 1500 -eval-n 1000 -n-eval 5000 -noise pfgm -D 4,64,inf
//	go run ./experiments/pfgm-robustness -preset default -data mnist-unet -D 4,64,inf -steps 1500
//
// Outputs: pfgm-robustness/<task>/result.json, summary.csv, paired.csv
// (each D against EDM seed by seed) and the figures
// robust_<perturbation>_<data>_<metric>.png (a line per D). Exit status: 0 on success, 2 on bad flags, 1 on a runtime
// failure.
package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/experiments/internal/pfgmrun"
	"genlab/results"
)

const experiment = "pfgm-robustness"

func main() { internal.Main(experiment, run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var common internal.Common
	var fl pfgmrun.Flags
	var alphas internal.Floats
	var bits internal.Ints
	fs := internal.NewFlagSet(experiment)
	common.Register(fs)
	fl.Register(fs, "Heun step counts n of the fewer-steps perturbation, comma list (each sampled in every task)")
	fs.Var(&alphas, "alpha", "state-noise levels α, comma list")
	fs.Var(&bits, "bits", "quantisation bit widths, comma list")
	nEval := fs.Int("n-eval", 0, "samples per sampler (0: the preset's; for mnist-unet also the test digits fid_lenet compares with)")
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	p := presets[common.Preset]
	if err := fl.Resolve(fs, &common, p.Ds, p.Seeds, p.Data, p.Steps); err != nil {
		return err
	}
	if !internal.IsSet(fs, "alpha") {
		alphas = p.Alphas
	}
	if !internal.IsSet(fs, "bits") {
		bits = p.Bits
	}
	if err := checkPerturbations(alphas, bits); err != nil {
		return err
	}
	if *nEval != 0 && *nEval < 4 {
		return internal.Usagef("-n-eval %d: must be ≥ 4 (0: the preset's)", *nEval)
	}
	base := Config{TaskConfig: pfgmrun.TaskConfig{NRef: p.NRef, NMMD: p.NMMD, Heun: p.Heun, SigmaMin: diffusion.SigmaMin, SigmaMax: diffusion.SigmaMax},
		Alphas: alphas, Bits: bits, Steps: fl.Heun, Euler: true}
	runs, err := mnistRunsFor(fl.Data, common.Out)
	if err != nil {
		return err
	}
	var pickErr error
	tasks, err := internal.Expand(base,
		internal.Values("data", []string(fl.Data), func(c *Config, v string) {
			c.Data, c.Train, c.NEval = v, fl.Train(common.Preset, v, c.D, c.Seed), cmp.Or(*nEval, p.nEval(v))
		}),
		internal.Values("D", []float64(fl.Ds), func(c *Config, v float64) { c.D, c.Train.D = v, v }),
		internal.Values("seed", []uint64(common.Seeds), func(c *Config, v uint64) {
			c.Seed, c.Train.Seed = v, v
			if c.Data != pfgmrun.MNISTUNetName {
				return
			}
			// The image sweep measures the mnist experiment's models: no
			// training here, no Euler (mnist samples with Heun), and the run
			// found for (D, seed) is part of the task's identity.
			r, err := pickMNISTRun(runs, c.D, v, fl.Steps, c.Train.DataSHA, common.Out)
			if err != nil {
				pickErr = cmp.Or(pickErr, err)
				return
			}
			c.Train, c.Euler, c.MNISTKey, c.MNIST = pfgmrun.TrainConfig{}, false, r.Key, &r.Cfg
		}),
	)
	if err != nil {
		return err
	}
	if pickErr != nil && !common.Plan {
		return pickErr
	}
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"robust_alpha_*_sw1.png", "robust_*.png"}
	cache := pfgmrun.NewModelCache(r.Out)
	var images mnistSets
	err = internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[Config], d *results.Dir) (map[string]float64, error) {
		if t.Config.Data == pfgmrun.MNISTUNetName {
			bar := internal.NewProgress(stderr, 0, experiment+" "+t.Label)
			defer bar.Finish()
			res, err := runMNISTTask(ctx, t.Config, r.Out, &images, d, bar)
			if err == nil {
				fmt.Fprintf(stderr, "%s: %s: clean fid_lenet %.4g\n", experiment, t.Label, res["clean_fid_lenet"])
			}
			return res, err
		}
		res, err := runTask(ctx, t, d, cache, stderr)
		if err == nil {
			fmt.Fprintf(stderr, "%s: %s: clean sw1 %.4g\n", experiment, t.Label, res["clean_sw1"])
		}
		return res, err
	})
	if err != nil || common.Plan {
		return err
	}
	return internal.Finish(r, func(t *results.Table) error {
		return summaryFigures(r.Out, t, fl.Data, alphas, bits, fl.Heun)
	})
}

// mnistRunsFor lists the finished mnist runs under out when the image
// sweep (data mnist-unet) is among datas, else nothing.
func mnistRunsFor(datas []string, out string) ([]mnistRun, error) {
	for _, d := range datas {
		if d == pfgmrun.MNISTUNetName {
			runs, err := findMNISTRuns(out)
			if err != nil {
				return nil, fmt.Errorf("-data %s: %w", d, err)
			}
			return runs, nil
		}
	}
	return nil, nil
}

// checkPerturbations refuses negative or infinite α and bit widths outside
// 1…16.
func checkPerturbations(alphas []float64, bits []int) error {
	for _, a := range alphas {
		if a < 0 || math.IsInf(a, 0) {
			return internal.Usagef("invalid value %v in -alpha: must be finite and ≥ 0", a)
		}
	}
	for _, b := range bits {
		if b < 1 || b > 16 {
			return internal.Usagef("invalid value %d in -bits: must be in 1…16", b)
		}
	}
	return nil
}
