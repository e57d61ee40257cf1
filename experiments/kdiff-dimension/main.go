// Command kdiff-dimension sweeps the ambient dimension N of n-dimensional data
// embedded by a fixed random column-orthogonal map (or a curved embedding,
// rendered blob images, MNIST) against the k-Diff target k ∈ {0 (ε), ½ (v),
// 1 (x), learned}, with one fixed MLP, and reports intrinsic sliced
// Wasserstein, off-manifold RMS, teacher-forced denoising MSE by s and the
// learned k beside k* = N/(N+n).
//
//	go run ./experiments/kdiff-dimension -preset quick
//	go run ./experiments/kdiff-dimension -preset default
//	go run ./experiments/kdiff-dimension -N 2,64,512 -k 0,0.5,1,learn -loss v -tdist logitnormal
//	go run ./experiments/kdiff-dimension -data blobs -N 64,256,1024
package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"

	"genlab/experiments/internal"
	"genlab/experiments/internal/kdiffrun"
	"genlab/kdiff"
	"genlab/nn"
	"genlab/results"
)

const experiment = "kdiff-dimension"

func main() { internal.Main(experiment, run) }

// preset returns the base configuration, the N list and the k list of a
// preset.
func preset(p internal.Preset) (kdiffrun.Config, []int, kdiff.Ks) {
	c := kdiffrun.Config{Preset: string(p), Sweep: "dimension", Data: "ring8", Embed: "linear", NIntr: 2,
		KInit: 0.5, KLR: kdiff.DefaultKLR, Loss: "u", TDist: "uniform", Fourier: 16, FScale: 1,
		LR: 1e-3, Sampler: "heun", SampleStep: 50, Clamp: kdiff.DefaultClamp, CkptEvery: 500}
	ks := kdiff.Ks{{Value: 0}, {Value: 0.5}, {Value: 1}, {Learned: true}}
	var ns []int
	switch p {
	case internal.Quick:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup = 2000, 500, 300, 64, 64, 2, 30
		c.SampleStep = 20
		ns = []int{2, 32}
	case internal.Default:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup = 10000, 2000, 1000, 128, 128, 3, 100
		ns = []int{2, 8, 16, 64, 256, 512}
	case internal.Full:
		// The fixed MLP (5 layers × 256) and the spec's intermediate k.
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup = 50000, 5000, 4000, 256, 256, 5, 200
		ns = []int{2, 8, 16, 64, 256, 512}
		ks = kdiff.Ks{{Value: 0}, {Value: 0.5}, {Value: 0.75}, {Value: 0.9}, {Value: 1}, {Learned: true}}
	}
	c.EMAHalf = float64(c.Steps*c.Batch) / 20
	return c, ns, ks
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := internal.NewFlagSet(experiment)
	var common internal.Common
	common.Register(fs)
	var ns internal.Ints
	var ks kdiff.Ks
	fs.Var(&ns, "N", "ambient dimensions (comma list; blobs: R², mnist: 49,196,784)")
	fs.Var(&ks, "k", "targets: numbers in [0,1] and/or learn, e.g. 0,0.5,1,learn")
	dataName := fs.String("data", "ring8", "intrinsic data: a 2-D toy (ring8, moons, checkerboard, swissroll, rings), mixture, blobs or mnist")
	nIntr := fs.Int("n", 0, "intrinsic dimension for -data mixture (default 2)")
	embed := fs.String("embed", "linear", "embedding of toys and mixtures: linear or curved")
	var loss kdiff.LossSpace
	fs.Var(&loss, "loss", "loss space: u, v or x")
	tdist := fs.String("tdist", "uniform", "training time distribution: uniform or logitnormal")
	kInit := fs.Float64("k-init", 0.5, "initial learned k, in (0,1)")
	kLR := fs.Float64("k-lr", kdiff.DefaultKLR, "Adam learning rate of w = logit k (> 0)")
	steps := fs.Int("steps", 0, "training steps (0: the preset's)")
	batch := fs.Int("batch", 0, "batch size (0: the preset's)")
	hidden := fs.Int("hidden", 0, "hidden width (0: the preset's)")
	layers := fs.Int("layers", 0, "hidden layers (0: the preset's)")
	sampler := fs.String("sampler", "heun", "sampler: heun or euler (native, in s) or edm (Heun on the EDM grid via the bridge)")
	sampleSteps := fs.Int("sample-steps", 0, "sampler steps (0: the preset's)")
	clamp := fs.Float64("clamp", kdiff.DefaultClamp, "lower bound on g in the sampler and loss weight")
	dataDir := fs.String("data-dir", "", "MNIST directory (default: data.DefaultMNISTDir)")
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	base, defN, defK := preset(common.Preset)
	if !internal.IsSet(fs, "seeds") && common.Preset == internal.Quick {
		common.Seeds = internal.Seeds{0}
	}
	if err := applyFlags(&base, *dataName, *nIntr, *embed, loss, *tdist, *kInit, *kLR, *sampler, *clamp, *dataDir,
		[]intFlag{{"steps", *steps, &base.Steps}, {"batch", *batch, &base.Batch}, {"hidden", *hidden, &base.Hidden},
			{"layers", *layers, &base.Layers}, {"sample-steps", *sampleSteps, &base.SampleStep}}); err != nil {
		return err
	}
	base.EMAHalf = float64(base.Steps*base.Batch) / 20
	if len(ns) == 0 {
		ns = defN
		switch base.Data {
		case "blobs":
			ns = []int{64, 256, 1024}
		case "mnist":
			ns = []int{49, 196, 784}
		}
	}
	for _, n := range ns {
		if err := checkN(base, n); err != nil {
			return err
		}
	}
	if len(ks) == 0 {
		ks = defK
	}
	tasks, err := internal.Expand(base,
		internal.Values("N", []int(ns), func(c *kdiffrun.Config, v int) { c.N = v }),
		internal.Values("k", []kdiff.K(ks), func(c *kdiffrun.Config, v kdiff.K) { c.K = v.String() }),
		internal.Values("seed", []uint64(common.Seeds), func(c *kdiffrun.Config, v uint64) { c.Seed = v }),
	)
	if err != nil {
		return err
	}
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"sw1_vs_N.png", "heatmap_*.png"}
	r.BLAS = nn.BLAS()
	err = internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[kdiffrun.Config], d *results.Dir) (map[string]float64, error) {
		return runOne(ctx, t.Config, t.Label, d, stderr)
	})
	if err != nil || common.Plan {
		return err
	}
	order := make([]string, len(ks))
	for i, k := range ks {
		order[i] = k.String()
	}
	return internal.Finish(r, func(t *results.Table) error {
		return summaryFigures(filepath.Join(r.Out, experiment), t, base, order)
	})
}

func runOne(ctx context.Context, cfg kdiffrun.Config, label string, d *results.Dir, stderr io.Writer) (map[string]float64, error) {
	bar := internal.NewProgress(stderr, cfg.Steps, experiment+" "+label)
	defer bar.Finish()
	return kdiffrun.Run(ctx, cfg, d, bar)
}

type intFlag struct {
	name string
	v    int
	dst  *int
}

// applyFlags validates the shared flags into base (usage errors name the
// flag and value).
func applyFlags(base *kdiffrun.Config, dataName string, nIntr int, embed string, loss kdiff.LossSpace, tdist string,
	kInit, kLR float64, sampler string, clamp float64, dataDir string, ints []intFlag) error {
	for _, f := range ints {
		if f.v < 0 {
			return internal.Usagef("-%s %d: must be ≥ 0", f.name, f.v)
		}
		if f.v > 0 {
			*f.dst = f.v
		}
	}
	switch dataName {
	case "mixture":
		base.NIntr = 2
		if nIntr > 0 {
			base.NIntr = nIntr
		}
	case "blobs":
		base.NIntr = 4
	case "mnist":
		base.NIntr = 0
		base.DataDir = dataDir
		_, sum, err := internal.MNISTData(dataDir)
		if err != nil {
			return err
		}
		base.DataSHA = sum
	case "ring8", "moons", "checkerboard", "swissroll", "rings":
		base.NIntr = 2
	default:
		return internal.Usagef("-data %q: want a 2-D toy, mixture, blobs or mnist", dataName)
	}
	if nIntr < 0 || (nIntr > 0 && dataName != "mixture") {
		return internal.Usagef("-n %d: only -data mixture takes an intrinsic dimension (≥ 1)", nIntr)
	}
	base.Data = dataName
	if embed != "linear" && embed != "curved" {
		return internal.Usagef("-embed %q: want linear or curved", embed)
	}
	base.Embed = embed
	base.Loss = loss.String()
	if _, err := kdiff.ParseSDist(tdist); err != nil {
		return internal.Usagef("-tdist %q: want uniform or logitnormal", tdist)
	}
	base.TDist = tdist
	if !(kInit > 0 && kInit < 1) {
		return internal.Usagef("-k-init %g: must be in (0,1)", kInit)
	}
	base.KInit = kInit
	if !(kLR > 0) || math.IsInf(kLR, 0) {
		return internal.Usagef("-k-lr %g: must be > 0", kLR)
	}
	base.KLR = kLR
	if sampler != "heun" && sampler != "euler" && sampler != "edm" {
		return internal.Usagef("-sampler %q: want heun, euler or edm", sampler)
	}
	base.Sampler = sampler
	if !(clamp >= 0 && clamp < 0.5) {
		return internal.Usagef("-clamp %g: must be in [0, 0.5)", clamp)
	}
	base.Clamp = clamp
	return nil
}

// checkN rejects ambient dimensions the data cannot have.
func checkN(base kdiffrun.Config, n int) error {
	switch base.Data {
	case "blobs":
		r := int(math.Round(math.Sqrt(float64(n))))
		if r*r != n || r < 2 {
			return internal.Usagef("-N %d: blobs need a square N = R² (e.g. 64,256,1024)", n)
		}
	case "mnist":
		if n != 49 && n != 196 && n != 784 {
			return internal.Usagef("-N %d: mnist needs 49, 196 or 784", n)
		}
	default:
		if n < base.NIntr {
			return internal.Usagef("-N %d: must be ≥ n = %d", n, base.NIntr)
		}
	}
	return nil
}

// summaryFigures draws, over the tasks sharing base's fixed settings: each
// metric against N per target (mean ± 95% CI over seeds), heatmaps N × k,
// the learned k against N beside k* = N/(N+n), and the teacher-forced MSE
// against s at the largest N.
func summaryFigures(dir string, t *results.Table, base kdiffrun.Config, order []string) error {
	rows := kdiffrun.Filter(t, kdiffrun.BaseFilter(base))
	if len(rows) == 0 {
		return nil
	}
	tag := base.Data
	if base.Embed == "curved" && base.Data != "blobs" && base.Data != "mnist" {
		tag += " (curved)"
	}
	tag += fmt.Sprintf(", %s-loss, %s s", base.Loss, base.TDist)
	// Settings other than the default get their own figure names, so sweeps
	// of different data or recipes in one run directory do not overwrite
	// each other's figures.
	prefix := ""
	if base.Data != "ring8" || base.Embed != "linear" || base.Loss != "u" || base.TDist != "uniform" || base.Sampler != "heun" {
		prefix = fmt.Sprintf("%s-%s-%s-%s-%s_", base.Data, base.Embed, base.Loss, base.TDist, base.Sampler)
	}
	name := func(f string) string { return filepath.Join(dir, prefix+f) }
	plots := []struct{ col, file, ylabel string }{
		{"sw1", "sw1_vs_N.png", "intrinsic sliced W1 to held-out"},
		{"off_rms", "offman_vs_N.png", "off-manifold RMS ‖(I−PPᵀ)x‖/√N"},
		{"tf_mse_mean", "tfmse_vs_N.png", "teacher-forced E‖x̂−x‖², mean over s=0.1…0.9"},
		{"mmd2", "mmd2_vs_N.png", "intrinsic RBF MMD²"},
		{"fd_pixels", "fd_vs_N.png", "Fréchet distance (pixels)"},
	}
	for _, p := range plots {
		if t.Col(p.col) < 0 {
			continue
		}
		series := kdiffrun.SeriesBy(t, rows, "k", order, kdiffrun.KLabel, "N", p.col)
		if !kdiffrun.Plottable(series) {
			continue
		}
		if err := results.MetricVsParam(name(p.file), results.SweepPlot{
			Title: fmt.Sprintf("k-Diff: %s vs N (%s)", p.col, tag), XLabel: "ambient dimension N", YLabel: p.ylabel,
			LogX: true, LogY: true, Series: series, YBounds: results.NonNegative,
		}); err != nil {
			return err
		}
	}
	Ns := kdiffrun.Distinct(t, rows, "N")
	xs := make([]string, len(Ns))
	for i, n := range Ns {
		xs[i] = strconv.Itoa(int(n))
	}
	for _, col := range []string{"sw1", "off_rms", "tf_mse_mean"} {
		if t.Col(col) < 0 {
			continue
		}
		var ys []string
		var z [][]float64
		for _, k := range order {
			row := make([]float64, len(Ns))
			for j, n := range Ns {
				row[j] = math.Log10(kdiffrun.Mean(kdiffrun.Finite(t, kdiffrun.Filter2(t, rows, map[string]string{"k": k, "N": strconv.Itoa(int(n))}), col)))
			}
			ys = append(ys, kdiffrun.KLabel(k))
			z = append(z, row)
		}
		if err := results.Heatmap(name("heatmap_"+col+".png"), xs, ys, z,
			fmt.Sprintf("log10 %s, N × k (%s)", col, tag)); err != nil {
			return err
		}
	}
	// Learned k against N, with k* = N/(N+n).
	learned := kdiffrun.SeriesBy(t, rows, "k", []string{"learn"}, func(string) string { return "learned k (mean of last 20%)" }, "N", "k_tail")
	if kdiffrun.Plottable(learned) && base.NIntr > 0 {
		star := results.Series{Name: "k* = N/(N+n)"}
		for _, n := range Ns {
			star.X = append(star.X, n)
			star.Y = append(star.Y, []float64{kdiffrun.KStar(int(n), base.NIntr)})
		}
		if err := results.MetricVsParam(name("learned_k_vs_N.png"), results.SweepPlot{
			Title: "learned k vs N (" + tag + ")", XLabel: "ambient dimension N", YLabel: "k",
			LogX: true, Series: append(learned, star), YBounds: results.UnitRange,
		}); err != nil {
			return err
		}
	}
	// Teacher-forced MSE against s at the largest N.
	if len(Ns) > 0 && t.Col("tf_mse_s0.5") >= 0 {
		nMax := strconv.Itoa(int(Ns[len(Ns)-1]))
		var series []results.Series
		for _, k := range order {
			sub := kdiffrun.Filter2(t, rows, map[string]string{"k": k, "N": nMax})
			s := results.Series{Name: kdiffrun.KLabel(k)}
			for _, lv := range kdiffrun.TFLevels {
				if ys := kdiffrun.Finite(t, sub, "tf_mse_s"+strconv.FormatFloat(lv, 'f', 1, 64)); len(ys) > 0 {
					s.X = append(s.X, lv)
					s.Y = append(s.Y, ys)
				}
			}
			if len(s.X) > 0 {
				series = append(series, s)
			}
		}
		if kdiffrun.Plottable(series) {
			if err := results.MetricVsParam(name("tfmse_vs_s.png"), results.SweepPlot{
				Title: fmt.Sprintf("teacher-forced E‖x̂−x‖² vs s at N=%s (%s)", nMax, tag), XLabel: "s (1 = clean)",
				YLabel: "E‖x̂−x‖²", LogY: true, Series: series,
			}); err != nil {
				return err
			}
		}
	}
	return nil
}
