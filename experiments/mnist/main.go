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
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/kdiff"
	"genlab/nn"
	"genlab/pfgm"
	"genlab/results"
)

const experiment = "mnist"

func main() { internal.Main(experiment, run) }

// preset returns the base configuration of a preset.
func preset(p internal.Preset) Config {
	c := Config{Net: "mlp", Res: 14, D: "inf", Target: "edm", SigmaData: 0.5, LR: 1e-3, Warmup: 500,
		Fourier: 64, Channels: 32, HeunSteps: []int{18}}
	switch p {
	case internal.Quick:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers = 4000, 500, 400, 64, 256, 3
		c.Warmup, c.EMAHalfLife, c.EvalEvery, c.EvalN = 100, 5000, 200, 250
		c.HeunSteps = []int{12}
		c.Quick = true
	case internal.Default:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers = 0, 10000, 6000, 128, 512, 4
		c.EMAHalfLife, c.EvalEvery, c.EvalN = 100000, 1500, 1000
		c.HeunSteps = []int{18, 6, 10}
	case internal.Full:
		c.Net, c.Res = "unet", 28
		c.NTrain, c.NEval, c.Steps, c.Batch = 0, 10000, 40000, 64
		c.EMAHalfLife, c.EvalEvery, c.EvalN, c.LR = 500000, 5000, 2000, 2e-4
		c.HeunSteps = []int{18, 6, 10, 32}
	}
	return c
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := internal.NewFlagSet(experiment)
	// Seeds 0, 1, 2 (the 95% CIs over seeds); the quick preset runs seed 0
	// alone unless -seeds says otherwise.
	var common internal.Common
	common.Register(fs)
	dataDir := fs.String("data-dir", "", "directory with the four MNIST idx(.gz) files (default: data/mnist of this checkout)")
	netName := fs.String("net", "", "denoiser network: mlp or unet (default: the preset's)")
	res := fs.Int("res", 0, "image side: 28, 14 (2×2 block means) or 7 (4×4) (0: the preset's)")
	targets := internal.Strings{Values: []string{"edm"}, Canon: diffusion.CanonicalTarget}
	fs.Var(&targets, "target", "prediction targets, comma list of edm, eps, v, x (diffusers names epsilon, v_prediction, sample accepted; see -k for the k-Diff family)")
	var ks kdiff.Ks
	fs.Var(&ks, "k", "k-Diff targets through the EDM bridge, comma list of numbers in [0,1] and/or learn (e.g. 0,0.5,1,learn); replaces -target")
	lossSpace := fs.String("loss", "v", "k-Diff loss space with -k: u, v or x")
	var ds pfgm.Ds
	fs.Var(&ds, "D", "PFGM++ augmented dimensions, comma list (inf = EDM; default inf)")
	noise := fs.String("noise", "edm", "noise kernel: edm (Gaussian) or pfgm (needs -D)")
	var train internal.DenoiserFlags
	train.Register(fs)
	channels := fs.Int("channels", 0, "U-Net base channels (0: the preset's)")
	nEval := fs.Int("n-eval", 0, "samples for the final metrics (0: the preset's; 10000 except quick)")
	warmup := fs.Int("warmup", 0, "Adam learning-rate warm-up steps (0: the preset's)")
	evalEvery := fs.Int("eval-every", 0, "steps between fid_lenet evaluations of the EMA model during training (0: the preset's)")
	evalN := fs.Int("eval-n", 0, "samples per evaluation during training (0: the preset's)")
	emaHalfLife := fs.Float64("ema-halflife", 0, "EMA half-life in training samples, reached after EDM's 5% ramp (0: the preset's)")
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	base := preset(common.Preset)
	if common.Preset == internal.Quick && !internal.IsSet(fs, "seeds") {
		common.Seeds = internal.Seeds{0}
	}
	if *netName != "" {
		if *netName != "mlp" && *netName != "unet" {
			return internal.Usagef("-net %q: want mlp or unet", *netName)
		}
		base.Net = *netName
	}
	if *res != 0 {
		if *res != 28 && *res != 14 && *res != 7 {
			return internal.Usagef("-res %d: want 28, 14 or 7", *res)
		}
		base.Res = *res
	}
	if _, err := kdiff.ParseLossSpace(*lossSpace); err != nil {
		return internal.Usagef("-loss %q: want u, v or x", *lossSpace)
	}
	kVals := []string{""}
	if len(ks) > 0 {
		if internal.IsSet(fs, "target") {
			return internal.Usagef("-k %s: give either -k or -target, not both", ks.String())
		}
		targets.Values, base.Loss = []string{"k"}, *lossSpace
		kVals = kVals[:0]
		for _, k := range ks {
			kVals = append(kVals, k.String())
		}
	}
	switch *noise {
	case "edm":
		if len(ds) > 0 && !(len(ds) == 1 && pfgm.FormatD(ds[0]) == "inf") {
			return internal.Usagef("-D %s needs -noise pfgm", ds.String())
		}
	case "pfgm":
		if len(ds) == 0 {
			return internal.Usagef("-noise pfgm: give -D (e.g. -D 64,inf)")
		}
		if len(ks) > 0 {
			return internal.Usagef("-k %s: the k-Diff bridge assumes the Gaussian kernel; not with -noise pfgm", ks.String())
		}
	default:
		return internal.Usagef("-noise %q: want edm or pfgm", *noise)
	}
	if err := train.Apply(internal.DenoiserFields{Steps: &base.Steps, Batch: &base.Batch, Hidden: &base.Hidden,
		Layers: &base.Layers, LR: &base.LR, HeunSteps: &base.HeunSteps},
		internal.IntOverride{Flag: "channels", Value: *channels, Dst: &base.Channels},
		internal.IntOverride{Flag: "n-eval", Value: *nEval, Dst: &base.NEval},
		internal.IntOverride{Flag: "warmup", Value: *warmup, Dst: &base.Warmup},
		internal.IntOverride{Flag: "eval-every", Value: *evalEvery, Dst: &base.EvalEvery},
		internal.IntOverride{Flag: "eval-n", Value: *evalN, Dst: &base.EvalN},
	); err != nil {
		return err
	}
	if *emaHalfLife < 0 || math.IsNaN(*emaHalfLife) || math.IsInf(*emaHalfLife, 0) {
		return internal.Usagef("-ema-halflife %g: must be a finite number ≥ 0", *emaHalfLife)
	}
	if *emaHalfLife > 0 {
		base.EMAHalfLife = *emaHalfLife
	}
	if base.NEval <= 3 {
		return internal.Usagef("-n-eval %d: must be > 3", base.NEval)
	}
	dir, digest, err := internal.MNISTData(*dataDir)
	if err != nil {
		return err
	}
	base.Data = digest
	Dvals := []string{"inf"}
	if len(ds) > 0 {
		Dvals = nil
		for _, d := range ds {
			Dvals = append(Dvals, pfgm.FormatD(d))
		}
	}
	tasks, err := internal.Expand(base,
		internal.Values("target", targets.Values, func(c *Config, v string) { c.Target = v }),
		internal.Values("D", Dvals, func(c *Config, v string) { c.D = v }),
		internal.Values("k", kVals, func(c *Config, v string) { c.K = v }),
		internal.Values("seed", []uint64(common.Seeds), func(c *Config, v uint64) { c.Seed = v }),
	)
	if err != nil {
		return err
	}
	if common.Plan {
		return internal.RunTasks(ctx, common.Runner(experiment, stdout, stderr), tasks, nil)
	}
	sets, err := loadSets(dir)
	if err != nil {
		return internal.Usagef("-data-dir %s: %v", dir, err)
	}
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"fid_vs_nfe.png", "fid_vs_k.png", "fid_vs_D.png", "samples_by_setting.png"}
	r.BLAS = nn.BLAS()
	err = internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[Config], d *results.Dir) (map[string]float64, error) {
		bar := internal.NewProgress(stderr, t.Config.Steps, experiment+" "+t.Label)
		defer bar.Finish()
		return runTask(ctx, t.Config, sets, d, stderr, bar)
	})
	if err != nil {
		return err
	}
	return internal.Finish(r, func(t *results.Table) error {
		return summaryFigures(filepath.Join(r.Out, experiment), t)
	})
}

// summaryFigures draws the sample grids of every setting side by side,
// fid_lenet against NFE (mean ± 95% CI over seeds) for the settings sampled
// at several NFEs, with the floor as its own series, fid_lenet against D
// when several D were run, and against k when several k were run.
func summaryFigures(dir string, t *results.Table) error {
	groups := map[string][]int{}
	for i := range t.Rows {
		// Tasks that differ only in their seed form one group.
		g := fmt.Sprintf("%s %d² D=%s %s steps", t.Get(i, "net"), atoi(t.Get(i, "res")), t.Get(i, "D"), t.Get(i, "steps"))
		g += targetLabel(t, i)
		for _, c := range []string{"hidden", "layers", "channels", "batch", "lr", "n_eval", "n_train"} {
			if len(distinct(t, c)) > 1 {
				g += " " + c + "=" + t.Get(i, c)
			}
		}
		groups[g] = append(groups[g], i)
	}
	names := make([]string, 0, len(groups))
	for k := range groups {
		names = append(names, k)
	}
	sort.Strings(names)
	if err := samplesBySetting(dir, t, names, groups); err != nil {
		return err
	}
	nfeCols := map[float64]string{}
	for _, c := range t.Columns {
		if strings.HasPrefix(c, "nfe") && strings.HasSuffix(c, "_fid_lenet") {
			if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(c, "nfe"), "_fid_lenet")); err == nil {
				nfeCols[float64(n)] = c
			}
		}
	}
	// One line per setting sampled at two NFEs or more, and the floor
	// (train vs test digits, which does not depend on the setting) once.
	var series []results.Series
	var floorSeries *results.Series
	for _, g := range names {
		s := results.Series{Name: g}
		floor := results.Series{Name: "floor (train vs test digits)"}
		xs := make([]float64, 0, len(nfeCols))
		for x := range nfeCols {
			xs = append(xs, x)
		}
		sort.Float64s(xs)
		for _, x := range xs {
			var ys, fl []float64
			for _, i := range groups[g] {
				if v, err := t.Float(i, nfeCols[x]); err == nil {
					ys = append(ys, v)
				}
				if v, err := t.Float(i, "floor_fid_lenet"); err == nil {
					fl = append(fl, v)
				}
			}
			if len(ys) > 0 {
				s.X, s.Y = append(s.X, x), append(s.Y, ys)
				floor.X, floor.Y = append(floor.X, x), append(floor.Y, fl)
			}
		}
		if len(s.X) > 1 {
			series = append(series, s)
			if floorSeries == nil {
				floorSeries = &floor
			}
		}
	}
	if floorSeries != nil {
		series = append(series, *floorSeries)
		if err := results.MetricVsParam(filepath.Join(dir, "fid_vs_nfe.png"), results.SweepPlot{
			Title: "MNIST: fid_lenet vs NFE (Heun)", XLabel: "NFE", YLabel: "fid_lenet",
			LogX: true, LogY: true, Series: series, YBounds: results.NonNegative,
		}); err != nil {
			return err
		}
	}
	// fid_lenet against D (∞ = EDM), one line per network, resolution,
	// training length and target that was run at two D or more.
	var byD results.Groups
	for i := range t.Rows {
		d, err := pfgm.ParseD(t.Get(i, "D"))
		if err != nil {
			continue
		}
		if v, err := t.Float(i, "fid_lenet"); err == nil {
			byD.Add(fmt.Sprintf("%s %d² %s steps%s", t.Get(i, "net"), atoi(t.Get(i, "res")), t.Get(i, "steps"), targetLabel(t, i)), d, v)
		}
	}
	var dSeries []results.Series
	for _, s := range byD.Series() {
		if len(s.X) > 1 {
			dSeries = append(dSeries, s)
		}
	}
	if len(dSeries) > 0 {
		if err := results.MetricVsParam(filepath.Join(dir, "fid_vs_D.png"), results.SweepPlot{
			Title: "MNIST: fid_lenet vs D (PFGM++)", XLabel: "D", YLabel: "fid_lenet", LogX: true, Series: dSeries,
			YBounds: results.NonNegative, Refs: floorRef(t),
		}); err != nil {
			return err
		}
	}
	return fidVsK(filepath.Join(dir, "fid_vs_k.png"), t)
}

// targetLabel is the part of a setting's name that names its target: ""
// for EDM, " eps" etc. for the other EDM-core targets, " k=0.5 v-loss" for
// the k-Diff family.
func targetLabel(t *results.Table, i int) string {
	switch v := t.Get(i, "target"); v {
	case "edm":
		return ""
	case "k":
		return fmt.Sprintf(" k=%s %s-loss", t.Get(i, "k"), t.Get(i, "loss"))
	default:
		return " " + v
	}
}

// fidVsK draws fid_lenet against the k-Diff target parameter k (mean and
// 95% CI over seeds), one line per network, resolution, D and loss space
// with fixed k, and the learned-k runs as their own series placed at the
// mean of their final k. Nothing is drawn unless some line has two k.
func fidVsK(path string, t *results.Table) error {
	var lines results.Groups
	learned := map[string][2][]float64{} // name → (final k, fid_lenet) per seed
	for i := range t.Rows {
		if t.Get(i, "target") != "k" {
			continue
		}
		fid, err := t.Float(i, "fid_lenet")
		if err != nil {
			continue
		}
		name := fmt.Sprintf("%s %d² D=%s %s-loss", t.Get(i, "net"), atoi(t.Get(i, "res")), t.Get(i, "D"), t.Get(i, "loss"))
		if t.Get(i, "k") == "learn" {
			kf, err := t.Float(i, "k_final")
			if err != nil {
				continue
			}
			l := learned[name]
			l[0], l[1] = append(l[0], kf), append(l[1], fid)
			learned[name] = l
			continue
		}
		k, err := strconv.ParseFloat(t.Get(i, "k"), 64)
		if err != nil {
			continue
		}
		lines.Add(name, k, fid)
	}
	series, multi := lines.Series(), false
	for _, s := range series {
		multi = multi || len(s.X) > 1
	}
	for name, l := range learned {
		mean := 0.0
		for _, k := range l[0] {
			mean += k
		}
		series = append(series, results.Series{Name: name + ", learned k", X: []float64{mean / float64(len(l[0]))}, Y: [][]float64{l[1]}})
	}
	if !multi {
		return nil
	}
	sort.Slice(series, func(a, b int) bool { return series[a].Name < series[b].Name })
	return results.MetricVsParam(path, results.SweepPlot{
		Title: "MNIST: fid_lenet vs k-Diff target k (0 = ε, ½ = v, 1 = x)", XLabel: "k", YLabel: "fid_lenet", LogY: true, Series: series,
		YBounds: results.NonNegative, Refs: floorRef(t),
	})
}

// floorRef is the train-vs-test fid_lenet floor (mean over the table's
// rows) as a reference line, or none when no row has it.
func floorRef(t *results.Table) []results.RefLine {
	var s float64
	n := 0
	for i := range t.Rows {
		if v, err := t.Float(i, "floor_fid_lenet"); err == nil && !math.IsNaN(v) {
			s += v
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return []results.RefLine{{Y: s / float64(n), Label: "floor (train vs test digits)"}}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// distinct returns the distinct values of column c.
func distinct(t *results.Table, c string) map[string]bool {
	out := map[string]bool{}
	for i := range t.Rows {
		out[t.Get(i, c)] = true
	}
	return out
}
