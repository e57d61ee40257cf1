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
	"sort"
	"strconv"
	"strings"

	"genlab/data"
	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/nn"
	"genlab/results"
)

const experiment = "toy2d"

func main() { internal.Main(experiment, run) }

// preset returns the base configuration of a preset.
func preset(p internal.Preset) (Config, []string) {
	c := Config{Target: "edm", Fourier: 16, LR: 2e-3, Warmup: 200, IdealPoints: 2000,
		HeunSteps: []int{18, 4, 6, 9, 32}, CheckpointEv: 500}
	toys := []string{string(data.Ring8)}
	switch p {
	case internal.Quick:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers = 4000, 1000, 1500, 128, 64, 2
		c.Warmup = 100
		c.EMAHalfLife, c.IdealPoints, c.HeunSteps = 2000, 500, []int{18, 6}
	case internal.Default:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers = 20000, 4000, 4000, 256, 128, 3
		c.EMAHalfLife = 50000
	case internal.Full:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers = 50000, 10000, 20000, 256, 256, 4
		c.EMAHalfLife = 200000
		toys = nil
		for _, t := range data.Toys() {
			toys = append(toys, string(t))
		}
	}
	return c, toys
}

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
	r.BLAS = nn.BLAS()
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

// summaryFigures draws, from summary.csv: SW₁ against NFE per toy (mean ±
// 95% CI over seeds) with the held-out floor as its own series, and a bar
// chart of the network sampler, the exact-denoiser sampler and the floor.
func summaryFigures(dir string, t *results.Table) error {
	// Tasks that differ only in their seed form one group, labelled by the
	// settings that vary across groups.
	varying := []string{"toy"}
	for _, c := range []string{"target", "steps", "hidden", "layers", "batch", "lr", "n_train"} {
		for i := range t.Rows {
			if t.Get(i, c) != t.Get(0, c) {
				varying = append(varying, c)
				break
			}
		}
	}
	byToy := map[string][]int{}
	for i := range t.Rows {
		g := t.Get(i, "toy")
		for _, c := range varying[1:] {
			g += " " + c + "=" + t.Get(i, c)
		}
		byToy[g] = append(byToy[g], i)
	}
	names := make([]string, 0, len(byToy))
	for k := range byToy {
		names = append(names, k)
	}
	sort.Strings(names)

	nfeCols := map[float64]string{}
	for _, c := range t.Columns {
		if !strings.HasPrefix(c, "nfe") || !strings.HasSuffix(c, "_sw1") {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(c, "nfe"), "_sw1")); err == nil {
			nfeCols[float64(n)] = c
		}
	}
	var series []results.Series
	var labels []string
	var bars [][]float64
	for _, toy := range names {
		rows := byToy[toy]
		s := results.Series{Name: toy}
		floor := results.Series{Name: toy + " floor"}
		add := func(x float64, col string) {
			var ys, fs []float64
			for _, i := range rows {
				if v, err := t.Float(i, col); err == nil {
					ys = append(ys, v)
				}
				if v, err := t.Float(i, "sw_floor"); err == nil {
					fs = append(fs, v)
				}
			}
			if len(ys) > 0 {
				s.X = append(s.X, x)
				s.Y = append(s.Y, ys)
				floor.X = append(floor.X, x)
				floor.Y = append(floor.Y, fs)
			}
		}
		nfes := make([]float64, 0, len(nfeCols)+1)
		for n := range nfeCols {
			nfes = append(nfes, n)
		}
		if v, err := t.Float(rows[0], "nfe"); err == nil {
			nfeCols[v] = "sw1"
			nfes = append(nfes, v)
		}
		sort.Float64s(nfes)
		for _, n := range nfes {
			add(n, nfeCols[n])
		}
		series = append(series, s, floor)
		for _, col := range []string{"sw1", "ideal_sw1", "sw_floor"} {
			var v []float64
			for _, i := range rows {
				if x, err := t.Float(i, col); err == nil {
					v = append(v, x)
				}
			}
			labels = append(labels, toy+" "+col)
			bars = append(bars, v)
		}
	}
	if err := results.MetricVsParam(filepath.Join(dir, "sw1_vs_nfe.png"), results.SweepPlot{
		Title: "toy2d: sliced W1 to held-out data vs sampler NFE", XLabel: "NFE (Heun)", YLabel: "SW1",
		LogX: true, LogY: true, Series: series, YBounds: results.NonNegative,
	}); err != nil {
		return err
	}
	return results.BarsCI(filepath.Join(dir, "sw1_bars.png"), "toy2d: network vs exact denoiser vs floor",
		"SW1 to held-out (mean ± 95% CI)", results.NonNegative, labels, bars)
}
