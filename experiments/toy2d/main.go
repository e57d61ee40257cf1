// Command toy2d trains an EDM denoiser (an MLP) on a 2-D toy, samples it with
// Heun on the EDM ρ-grid, and reports sliced Wasserstein and MMD to held-out
// data beside two references: the floor between two independent held-out
// draws of the same size, and the exact denoiser of the training set.
//
//	go run ./experiments/toy2d -preset default
//	go run ./experiments/toy2d -toy ring8,moons -seeds 0-4 -steps 8000
package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"

	"genlab/data"
	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/results"
)

const experiment = "toy2d"

func main() { internal.Main(experiment, run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := internal.NewFlagSet(experiment)
	var common internal.Common
	common.Register(fs)
	toyNames := make([]string, 0, len(data.Toys()))
	for _, t := range data.Toys() {
		toyNames = append(toyNames, string(t))
	}
	toys := internal.Strings{Allowed: toyNames}
	fs.Var(&toys, "toy", "comma list of toys: "+strings.Join(toyNames, ", "))
	targets := internal.Strings{Values: []string{"edm"}, Canon: diffusion.CanonicalTarget}
	fs.Var(&targets, "target", "prediction targets, comma list of edm, eps, v, x (diffusers names epsilon, v_prediction, sample accepted)")
	var train internal.DenoiserFlags
	train.Register(fs)
	sigmaData := fs.Float64("sigma-data", 0, "σ_data of the EDM preconditioning (0: the training set's std)")
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	base, defToys := preset(common.Preset)
	if len(toys.Values) == 0 {
		toys.Values = defToys
	}
	if err := train.Apply(internal.DenoiserFields{Steps: &base.Steps, Batch: &base.Batch, Hidden: &base.Hidden,
		Layers: &base.Layers, LR: &base.LR, HeunSteps: &base.HeunSteps}); err != nil {
		return err
	}
	if *sigmaData < 0 {
		return internal.Usagef("-sigma-data %g: must be ≥ 0", *sigmaData)
	}
	base.SigmaData = *sigmaData

	tasks, err := internal.Expand(base,
		internal.Values("target", targets.Values, func(c *Config, v string) { c.Target = v }),
		internal.Values("toy", toys.Values, func(c *Config, v string) { c.Toy = v }),
		internal.Values("seed", []uint64(common.Seeds), func(c *Config, v uint64) { c.Seed = v }),
	)
	if err != nil {
		return err
	}
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"sw1_vs_nfe.png"}
	err = internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[Config], d *results.Dir) (map[string]float64, error) {
		bar := internal.NewProgress(stderr, t.Config.Steps, experiment+" "+t.Label)
		defer bar.Finish()
		return runTask(ctx, t.Config, d, bar)
	})
	if err != nil || common.Plan {
		return err
	}
	return internal.Finish(r, func(t *results.Table) error {
		return summaryFigures(filepath.Join(r.Out, experiment), t)
	})
}
