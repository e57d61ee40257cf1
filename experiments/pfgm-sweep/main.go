// Command pfgm-sweep trains PFGM++ models over a sweep of the augmented
// dimension D (D = inf is EDM) on 2-D toys, heavy-tailed 2-D/10-D sets and
// the official 10-D two-cluster toy mapped to 1000-D, and reports sample
// quality against D: sliced Wasserstein, MMD, the tail-quantile error of
// ‖x‖ (99th, 99.9th percentile) and the share of far outliers, with 95%
// intervals over seeds.
//
//	go run ./experiments/pfgm-sweep -preset quick
//	go run ./experiments/pfgm-sweep -preset default -D 1,4,32,inf -seeds 0,1,2 -jobs 2
//
// It takes the common flags of every experiment (-preset, -out, -seeds,
// -threads, -jobs, -task, -force, -plan). Runs write under -out (default
// runs/): pfgm-sweep/<task>/ with config.json, meta.json, result.json and
// samples.png; pfgm-sweep/summary.csv and sweep_<data>_<metric>.png;
// trained models are cached under pfgm-models/ and shared with
// pfgm-robustness. Exit status: 0 on success, 2 on bad flags, 1 on a
// runtime failure.
package main

import (
	"context"
	"fmt"
	"io"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/experiments/internal/pfgmrun"
	"genlab/results"
)

const experiment = "pfgm-sweep"

func main() { internal.Main(experiment, run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var common internal.Common
	var fl pfgmrun.Flags
	fs := internal.NewFlagSet(experiment)
	common.Register(fs)
	fl.Register(fs, "Heun step counts n (NFE 2n−1), comma list: one task each")
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	p := presets[common.Preset]
	if err := fl.Resolve(fs, &common, p.Ds, p.Seeds, p.Data, p.Heun); err != nil {
		return err
	}
	for _, d := range fl.Data {
		if d == pfgmrun.MNISTUNetName {
			return internal.Usagef("-data %s: the U-Net models come from experiments/mnist (-noise pfgm -D …); only pfgm-robustness reads them", d)
		}
	}
	base := Config{pfgmrun.TaskConfig{NEval: p.NEval, NRef: p.NRef, NMMD: p.NMMD, SigmaMin: diffusion.SigmaMin, SigmaMax: diffusion.SigmaMax}}
	tasks, err := internal.Expand(base,
		internal.Values("data", []string(fl.Data), func(c *Config, v string) {
			c.Data, c.Train = v, fl.Train(common.Preset, v, c.D, c.Seed)
		}),
		internal.Values("D", []float64(fl.Ds), func(c *Config, v float64) { c.D, c.Train.D = v, v }),
		internal.Values("seed", []uint64(common.Seeds), func(c *Config, v uint64) { c.Seed, c.Train.Seed = v, v }),
		internal.Values("heun", []int(fl.Heun), func(c *Config, v int) { c.Heun = v }),
	)
	if err != nil {
		return err
	}
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"sweep_*_sw1.png"}
	cache := pfgmrun.NewModelCache(r.Out)
	err = internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[Config], d *results.Dir) (map[string]float64, error) {
		res, err := runTask(ctx, t, d, cache, stderr)
		if err == nil {
			fmt.Fprintf(stderr, "%s: %s: sw1 %.4g (floor %.4g) mmd2 %.3g q99_err %.3g\n",
				experiment, t.Label, res["sw1"], res["floor_sw1"], res["mmd2"], res["q99_err"])
		}
		return res, err
	})
	if err != nil || common.Plan {
		return err
	}
	return internal.Finish(r, func(t *results.Table) error { return summaryFigures(r.Out, t, fl.Data) })
}
