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
// first saves the training. Outputs: pfgm-robustness/<task>/result.json,
// summary.csv and the figures robust_<perturbation>_<data>_<metric>.png (a
// line per D). Exit status: 0 on success, 2 on bad flags, 1 on a runtime
// failure.
package main

import (
	"context"
	"fmt"
	"io"
	"math"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/experiments/pfgm-sweep/pfgmexp"
	"genlab/nn"
	"genlab/results"
)

const experiment = "pfgm-robustness"

// Config is the resolved configuration of one task (one trained model and
// all its perturbations).
type Config struct {
	Train    pfgmexp.TrainConfig `json:"train"`
	Data     string              `json:"data"`
	D        float64             `json:"D"`
	Seed     uint64              `json:"seed"`
	NEval    int                 `json:"n_eval"`
	NRef     int                 `json:"n_ref"`
	NMMD     int                 `json:"n_mmd"`
	Heun     int                 `json:"heun_steps"` // the clean sampler
	SigmaMin float64             `json:"sigma_min"`
	SigmaMax float64             `json:"sigma_max"`
	Alphas   []float64           `json:"alphas"`
	Bits     []int               `json:"bits"`
	Steps    []int               `json:"steps"` // Heun step counts of the fewer-steps perturbation
	Euler    bool                `json:"euler"`
}

func main() { internal.Main(experiment, robustness) }

// run is the testable body of main: robustness with internal's exit codes
// (0 ok, 2 bad flags or input with one line on stderr, 1 failure).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return internal.Run(ctx, experiment, args, stdout, stderr, robustness)
}

func robustness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var common internal.Common
	var fl pfgmexp.Flags
	var alphas internal.Floats
	var bits internal.Ints
	fs := internal.NewFlagSet(experiment)
	common.Register(fs)
	fl.Register(fs, "Heun step counts n of the fewer-steps perturbation, comma list (each sampled in every task)")
	fs.Var(&alphas, "alpha", "state-noise levels α, comma list")
	fs.Var(&bits, "bits", "quantisation bit widths, comma list")
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
	base := Config{NRef: p.NRef, NMMD: p.NMMD, Heun: p.Heun, SigmaMin: diffusion.SigmaMin, SigmaMax: diffusion.SigmaMax,
		Alphas: alphas, Bits: bits, Steps: fl.Heun, Euler: true}
	tasks, err := internal.Expand(base,
		internal.Values("data", []string(fl.Data), func(c *Config, v string) {
			c.Data, c.Train, c.NEval = v, fl.Train(common.Preset, v, c.D, c.Seed), p.nEval(pfgmexp.DimOf(v))
		}),
		internal.Values("D", []float64(fl.Ds), func(c *Config, v float64) { c.D, c.Train.D = v, v }),
		internal.Values("seed", []uint64(common.Seeds), func(c *Config, v uint64) { c.Seed, c.Train.Seed = v, v }),
	)
	if err != nil {
		return err
	}
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"robust_alpha_*_sw1.png", "robust_*.png"}
	r.BLAS = nn.BLAS()
	cache := pfgmexp.NewModelCache(r.Out)
	err = internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[Config], d *results.Dir) (map[string]float64, error) {
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
