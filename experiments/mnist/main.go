// Command mnist trains a denoiser on MNIST (EDM by default; PFGM++ with
// -D), samples it with Heun on the EDM ρ-grid with per-sample seeds, and
// evaluates the samples in the feature space of genlab's in-house LeNet
// (package fidlenet): fid_lenet, KID×10³, precision/recall (k = 3), the
// pixel-space Fréchet distance and the class histogram, beside the floor —
// the same metrics for real training digits against the same real test
// digits at the same sample count.
//
//	scripts/mnist-data.sh                         # once: copy the idx files
//	go run ./experiments/mnist -preset quick      # a minute, tiny, labelled quick
//	go run ./experiments/mnist -preset default    # the documented run
//	go run ./experiments/mnist -net unet -res 28 -steps 20000 -seeds 0
//
// Each task writes samples.png (8×8 grid), real.png, loss.png, fid_steps.png
// (fid_lenet over training checkpoints), fidlenet.json (the feature
// network's SHA-256 and accuracy) and result.json.
package main

import (
	"context"
	"flag"
	"io"
	"math"
	"path/filepath"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/experiments/internal/mnistrun"
	"genlab/kdiff"
	"genlab/pfgm"
	"genlab/results"
)

const experiment = "mnist"

func main() { internal.Main(experiment, run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := internal.NewFlagSet(experiment)
	// Seeds 0, 1, 2 (the 95% CIs over seeds); the quick preset runs seed 0
	// alone unless -seeds says otherwise.
	var common internal.Common
	common.Register(fs)
	var fl flags
	fl.register(fs)
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	base := mnistrun.Preset(common.Preset)
	if common.Preset == internal.Quick && !internal.IsSet(fs, "seeds") {
		common.Seeds = internal.Seeds{0}
	}
	if err := fl.apply(fs, &base); err != nil {
		return err
	}
	dir, digest, err := internal.MNISTData(fl.dataDir)
	if err != nil {
		return err
	}
	base.Data = digest
	tasks, err := internal.Expand(base,
		internal.Values("target", fl.targets.Values, func(c *mnistrun.Config, v string) { c.Target = v }),
		internal.Values("D", fl.dValues(), func(c *mnistrun.Config, v float64) { c.D = mnistrun.AugD(v) }),
		internal.Values("k", fl.kValues(), func(c *mnistrun.Config, v string) { c.K = v }),
		internal.Values("seed", []uint64(common.Seeds), func(c *mnistrun.Config, v uint64) { c.Seed = v }),
	)
	if err != nil {
		return err
	}
	if common.Plan {
		return internal.RunTasks(ctx, common.Runner(experiment, stdout, stderr), tasks, nil)
	}
	sets, err := mnistrun.LoadSets(dir)
	if err != nil {
		return internal.Usagef("-data-dir %s: %v", dir, err)
	}
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"fid_vs_nfe.png", "fid_vs_k.png", "k_vs_s.png", "fid_vs_D.png", "samples_by_setting.png"}
	err = internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[mnistrun.Config], d *results.Dir) (map[string]float64, error) {
		bar := internal.NewProgress(stderr, t.Config.Steps, experiment+" "+t.Label)
		defer bar.Finish()
		return mnistrun.RunTask(ctx, t.Config, sets, d, stderr, bar)
	})
	if err != nil {
		return err
	}
	return internal.Finish(r, func(t *results.Table) error {
		dir := filepath.Join(r.Out, experiment)
		points := intrinsicPoints
		if common.Preset == internal.Quick {
			points = quickIntrinsicPoints
		}
		dims, err := intrinsicDims(r.Out, digest, sets, kResolutions(t), points)
		if err != nil {
			return err
		}
		if err := writeIntrinsic(dir, dims); err != nil {
			return err
		}
		return summaryFigures(dir, t, dims)
	})
}

// flags are mnist's own flags: data, network, targets, noise kernel and
// the training and evaluation sizes that override the preset.
type flags struct {
	dataDir, net, loss, noise    string
	res, channels, nEval, warmup int
	evalEvery, evalN             int
	emaHalfLife                  float64
	targets                      internal.Strings
	ks                           kdiff.Ks
	ds                           pfgm.Ds
	train                        internal.DenoiserFlags
}

// register defines the flags on fs.
func (f *flags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dataDir, "data-dir", "", "directory with the four MNIST idx(.gz) files (default: data/mnist of this checkout)")
	fs.StringVar(&f.net, "net", "", "denoiser network: mlp or unet (default: the preset's)")
	fs.IntVar(&f.res, "res", 0, "image side: 28, 14 (2×2 block means) or 7 (4×4) (0: the preset's)")
	f.targets = internal.Strings{Values: []string{"edm"}, Canon: diffusion.CanonicalTarget}
	fs.Var(&f.targets, "target", "prediction targets, comma list of edm, eps, v, x (diffusers names epsilon, v_prediction, sample accepted; see -k for the k-Diff family)")
	fs.Var(&f.ks, "k", "k-Diff targets through the EDM bridge, comma list of numbers in [0,1], learn (one learned k) and/or learn-s (a learned per-σ k(s), 7 knots in s = 1/(1+σ)) (e.g. 0,0.5,1,learn); replaces -target")
	fs.StringVar(&f.loss, "loss", "v", "k-Diff loss space with -k: u, v or x")
	fs.Var(&f.ds, "D", "PFGM++ augmented dimensions, comma list (inf = EDM; default inf)")
	fs.StringVar(&f.noise, "noise", "edm", "noise kernel: edm (Gaussian) or pfgm (needs -D)")
	f.train.Register(fs)
	fs.IntVar(&f.channels, "channels", 0, "U-Net base channels (0: the preset's)")
	fs.IntVar(&f.nEval, "n-eval", 0, "samples for the final metrics (0: the preset's; 10000 except quick)")
	fs.IntVar(&f.warmup, "warmup", 0, "Adam learning-rate warm-up steps (0: the preset's)")
	fs.IntVar(&f.evalEvery, "eval-every", 0, "steps between fid_lenet evaluations of the EMA model during training (0: the preset's)")
	fs.IntVar(&f.evalN, "eval-n", 0, "samples per evaluation during training (0: the preset's)")
	fs.Float64Var(&f.emaHalfLife, "ema-halflife", 0, "EMA half-life in training samples, reached after EDM's 5% ramp (0: the preset's)")
}

// apply checks the flags and writes those given into base; bad input is a
// *internal.UsageError naming the flag.
func (f *flags) apply(fs *flag.FlagSet, base *mnistrun.Config) error {
	if f.net != "" {
		if f.net != "mlp" && f.net != "unet" {
			return internal.Usagef("-net %q: want mlp or unet", f.net)
		}
		base.Net = f.net
	}
	if f.res != 0 {
		if f.res != 28 && f.res != 14 && f.res != 7 {
			return internal.Usagef("-res %d: want 28, 14 or 7", f.res)
		}
		base.Res = f.res
	}
	if err := f.applyTarget(fs, base); err != nil {
		return err
	}
	if err := f.train.Apply(internal.DenoiserFields{Steps: &base.Steps, Batch: &base.Batch, Hidden: &base.Hidden,
		Layers: &base.Layers, LR: &base.LR, HeunSteps: &base.HeunSteps},
		internal.IntOverride{Flag: "channels", Value: f.channels, Dst: &base.Channels},
		internal.IntOverride{Flag: "n-eval", Value: f.nEval, Dst: &base.NEval},
		internal.IntOverride{Flag: "warmup", Value: f.warmup, Dst: &base.Warmup},
		internal.IntOverride{Flag: "eval-every", Value: f.evalEvery, Dst: &base.EvalEvery},
		internal.IntOverride{Flag: "eval-n", Value: f.evalN, Dst: &base.EvalN},
	); err != nil {
		return err
	}
	if f.emaHalfLife < 0 || math.IsNaN(f.emaHalfLife) || math.IsInf(f.emaHalfLife, 0) {
		return internal.Usagef("-ema-halflife %g: must be a finite number ≥ 0", f.emaHalfLife)
	}
	if f.emaHalfLife > 0 {
		base.EMAHalfLife = f.emaHalfLife
	}
	if base.NEval <= 3 {
		return internal.Usagef("-n-eval %d: must be > 3", base.NEval)
	}
	return nil
}

// applyTarget checks -loss, -k against -target, and -noise against -D and
// -k; with -k the target becomes the k-Diff bridge in loss space -loss.
func (f *flags) applyTarget(fs *flag.FlagSet, base *mnistrun.Config) error {
	if _, err := kdiff.ParseLossSpace(f.loss); err != nil {
		return internal.Usagef("-loss %q: want u, v or x", f.loss)
	}
	if len(f.ks) > 0 {
		if internal.IsSet(fs, "target") {
			return internal.Usagef("-k %s: give either -k or -target, not both", f.ks.String())
		}
		f.targets.Values, base.Loss = []string{"k"}, f.loss
	}
	switch f.noise {
	case "edm":
		if len(f.ds) > 0 && !(len(f.ds) == 1 && math.IsInf(f.ds[0], 1)) {
			return internal.Usagef("-D %s needs -noise pfgm", f.ds.String())
		}
	case "pfgm":
		if len(f.ds) == 0 {
			return internal.Usagef("-noise pfgm: give -D (e.g. -D 64,inf)")
		}
		if len(f.ks) > 0 {
			return internal.Usagef("-k %s: the k-Diff bridge assumes the Gaussian kernel; not with -noise pfgm", f.ks.String())
		}
	default:
		return internal.Usagef("-noise %q: want edm or pfgm", f.noise)
	}
	return nil
}

// dValues are the D of the sweep: -D, or EDM's +Inf alone.
func (f *flags) dValues() []float64 {
	if len(f.ds) == 0 {
		return []float64{math.Inf(1)}
	}
	return f.ds
}

// kValues are the k of the sweep: each -k as kdiff writes it, or "" (no
// k-Diff target) without -k.
func (f *flags) kValues() []string {
	if len(f.ks) == 0 {
		return []string{""}
	}
	out := make([]string, len(f.ks))
	for i, k := range f.ks {
		out[i] = k.String()
	}
	return out
}
