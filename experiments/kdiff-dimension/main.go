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
	"io"
	"math"
	"path/filepath"

	"genlab/experiments/internal"
	"genlab/experiments/internal/kdiffrun"
	"genlab/kdiff"
	"genlab/results"
)

const experiment = "kdiff-dimension"

func main() { internal.Main(experiment, run) }

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
	if err := kdiffrun.CheckKs(ks); err != nil {
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
	err = internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[kdiffrun.Config], d *results.Dir) (map[string]float64, error) {
		return runTask(ctx, t.Config, t.Label, d, stderr)
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
