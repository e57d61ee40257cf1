// Command kdiff-learned asks whether the learned k of k-Diff tracks the
// reported optimum k* = N/(N+n). Two grids:
//
//   - pairs: (N, n) ∈ {(4,4), (8,4), (16,4), (16,1), (64,2)} (k* = .5 … .97),
//     n-dimensional Gaussian mixtures embedded linearly, a linear input
//     bottleneck of width b ∈ {n, 2n, N} in front of the MLP (JiT-style), for
//     each loss/time-distribution recipe (the [I] default u-loss + uniform s
//     and JiT's v-loss + logit-normal s);
//
//   - width: N = 128, n = 2, hidden width H ∈ {16, 64, 256}, targets
//     k ∈ {½, 1, learned}: the gap between fixed targets and the learned k as
//     capacity grows.
//
//     go run ./experiments/kdiff-learned -preset quick
//     go run ./experiments/kdiff-learned -preset default
//     go run ./experiments/kdiff-learned -sweeps pairs -pairs 8:4,64:2 -b n,N -recipes u/uniform
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"genlab/experiments/internal"
	"genlab/experiments/internal/kdiffrun"
	"genlab/kdiff"
	"genlab/metrics"
	"genlab/nn"
	"genlab/results"
)

const experiment = "kdiff-learned"

func main() { internal.Main(experiment, run) }

// pair is one (N, n).
type pair struct{ N, n int }

// pairs is a comma list of N:n.
type pairs []pair

// Sweepable marks pairs as a comma-list flag that -h lists as sweepable.
func (*pairs) Sweepable() {}

func (p *pairs) Set(s string) error {
	var out pairs
	for _, it := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(it), ":")
		N, err1 := strconv.Atoi(a)
		n, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || n < 1 || N < n {
			return fmt.Errorf("%q is not N:n with N ≥ n ≥ 1", it)
		}
		out = append(out, pair{N, n})
	}
	*p = out
	return nil
}

func (p *pairs) String() string {
	var s []string
	for _, q := range *p {
		s = append(s, fmt.Sprintf("%d:%d", q.N, q.n))
	}
	return strings.Join(s, ",")
}

// bottlenecks is a comma list of widths relative to n or N: n, 2n, 4n, N.
type bottlenecks []string

// Sweepable marks bottlenecks as a comma-list flag that -h lists as sweepable.
func (*bottlenecks) Sweepable() {}

func (b *bottlenecks) Set(s string) error {
	var out bottlenecks
	for _, it := range strings.Split(s, ",") {
		it = strings.TrimSpace(it)
		if _, err := bWidth(it, 4, 1); err != nil {
			return err
		}
		out = append(out, it)
	}
	*b = out
	return nil
}

func (b *bottlenecks) String() string { return strings.Join(*b, ",") }

// bWidth resolves a relative bottleneck width.
func bWidth(rel string, N, n int) (int, error) {
	switch rel {
	case "N":
		return N, nil
	case "n":
		return n, nil
	}
	if m, ok := strings.CutSuffix(rel, "n"); ok {
		if f, err := strconv.Atoi(m); err == nil && f >= 1 {
			return min(f*n, N), nil
		}
	}
	return 0, fmt.Errorf("%q is not n, 2n, 4n, … or N", rel)
}

// canonicalRel names a resolved bottleneck width: N if b = N, n if b = n,
// else the relative name given.
func canonicalRel(rel string, b, N, n int) string {
	switch b {
	case N:
		return "N"
	case n:
		return "n"
	}
	return rel
}

// recipes is a comma list of loss/tdist.
type recipes [][2]string

// Sweepable marks recipes as a comma-list flag that -h lists as sweepable.
func (*recipes) Sweepable() {}

func (r *recipes) Set(s string) error {
	var out recipes
	for _, it := range strings.Split(s, ",") {
		l, d, ok := strings.Cut(strings.TrimSpace(it), "/")
		if _, err := kdiff.ParseLossSpace(l); !ok || err != nil {
			return fmt.Errorf("%q is not loss/tdist with loss u, v or x", it)
		}
		if _, err := kdiff.ParseSDist(d); err != nil {
			return fmt.Errorf("%q: tdist must be uniform or logitnormal", it)
		}
		out = append(out, [2]string{l, d})
	}
	*r = out
	return nil
}

func (r *recipes) String() string {
	var s []string
	for _, q := range *r {
		s = append(s, q[0]+"/"+q[1])
	}
	return strings.Join(s, ",")
}

// presetConfig returns the base config and the default grids of a preset.
func presetConfig(p internal.Preset) (kdiffrun.Config, pairs, bottlenecks, recipes, []int, kdiff.Ks) {
	c := kdiffrun.Config{Preset: string(p), Embed: "linear", KInit: 0.5, KLR: kdiff.DefaultKLR, Loss: "u", TDist: "uniform",
		Fourier: 16, FScale: 1, LR: 1e-3, Sampler: "heun", SampleStep: 50, Clamp: kdiff.DefaultClamp, CkptEvery: 500}
	ps := pairs{{4, 4}, {8, 4}, {16, 4}, {16, 1}, {64, 2}}
	bs := bottlenecks{"n", "2n", "N"}
	rs := recipes{{"u", "uniform"}, {"v", "logitnormal"}}
	ws := []int{16, 64, 256}
	ks := kdiff.Ks{{Value: 0.5}, {Value: 1}, {Learned: true}}
	switch p {
	case internal.Quick:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup, c.SampleStep = 2000, 400, 300, 64, 64, 2, 30, 20
		ps, bs, rs, ws = pairs{{4, 4}, {64, 2}}, bottlenecks{"n", "N"}, recipes{{"u", "uniform"}}, []int{16}
		ks = kdiff.Ks{{Learned: true}}
	case internal.Default:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup = 10000, 1000, 600, 128, 128, 3, 60
	case internal.Full:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup = 50000, 5000, 4000, 256, 256, 3, 200
		rs = recipes{{"u", "uniform"}, {"u", "logitnormal"}, {"v", "uniform"}, {"v", "logitnormal"}}
		ws = []int{16, 64, 256, 1024}
		ks = kdiff.Ks{{Value: 0}, {Value: 0.5}, {Value: 1}, {Learned: true}}
	}
	return c, ps, bs, rs, ws, ks
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := internal.NewFlagSet(experiment)
	var common internal.Common
	common.Register(fs)
	var ps pairs
	var bs bottlenecks
	var rs recipes
	var ws internal.Ints
	var ks kdiff.Ks
	sweeps := internal.Strings{Allowed: []string{"pairs", "width"}}
	fs.Var(&sweeps, "sweeps", "grids to run: pairs, width (default both)")
	fs.Var(&ps, "pairs", "pairs grid: comma list of N:n (default 4:4,8:4,16:4,16:1,64:2)")
	fs.Var(&bs, "b", "pairs grid: bottleneck widths n, 2n, 4n, … or N")
	fs.Var(&rs, "recipes", "pairs grid: loss/tdist list, e.g. u/uniform,v/logitnormal")
	fs.Var(&ws, "widths", "width grid: hidden widths H")
	fs.Var(&ks, "k", "width grid: targets (numbers in [0,1] and/or learn)")
	widthN := fs.Int("width-N", 128, "width grid: ambient dimension N (ring8, n = 2)")
	kInit := fs.Float64("k-init", 0.5, "initial learned k, in (0,1)")
	kLR := fs.Float64("k-lr", kdiff.DefaultKLR, "Adam learning rate of w = logit k (> 0)")
	steps := fs.Int("steps", 0, "training steps (0: the preset's)")
	batch := fs.Int("batch", 0, "batch size (0: the preset's)")
	hidden := fs.Int("hidden", 0, "pairs grid: hidden width (0: the preset's)")
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	base, defP, defB, defR, defW, defK := presetConfig(common.Preset)
	if !internal.IsSet(fs, "seeds") && common.Preset == internal.Quick {
		common.Seeds = internal.Seeds{0}
	}
	if len(ps) == 0 {
		ps = defP
	}
	if len(bs) == 0 {
		bs = defB
	}
	if len(rs) == 0 {
		rs = defR
	}
	if len(ws) == 0 {
		ws = defW
	}
	if len(ks) == 0 {
		ks = defK
	}
	if len(sweeps.Values) == 0 {
		sweeps.Values = []string{"pairs", "width"}
	}
	for _, w := range ws {
		if w < 1 {
			return internal.Usagef("-widths %d: must be ≥ 1", w)
		}
	}
	if *widthN < 2 {
		return internal.Usagef("-width-N %d: must be ≥ 2", *widthN)
	}
	if !(*kInit > 0 && *kInit < 1) {
		return internal.Usagef("-k-init %g: must be in (0,1)", *kInit)
	}
	if !(*kLR > 0) || math.IsInf(*kLR, 0) {
		return internal.Usagef("-k-lr %g: must be > 0", *kLR)
	}
	for _, f := range []struct {
		name string
		v    int
		dst  *int
	}{{"steps", *steps, &base.Steps}, {"batch", *batch, &base.Batch}, {"hidden", *hidden, &base.Hidden}} {
		if f.v < 0 {
			return internal.Usagef("-%s %d: must be ≥ 0", f.name, f.v)
		}
		if f.v > 0 {
			*f.dst = f.v
		}
	}
	base.KInit, base.KLR = *kInit, *kLR
	base.EMAHalf = float64(base.Steps*base.Batch) / 20

	var tasks []internal.Task[kdiffrun.Config]
	add := func(ts []internal.Task[kdiffrun.Config], err error) error {
		if err != nil {
			return err
		}
		for i := range ts { // two sweeps share one list: their labels say which
			ts[i].Label = ts[i].Config.Sweep + "-" + ts[i].Label
		}
		tasks = append(tasks, ts...)
		return nil
	}
	for _, sw := range sweeps.Values {
		switch sw {
		case "pairs":
			pb := base
			pb.Sweep, pb.Data, pb.K = "pairs", "mixture", "learn"
			type pbn struct {
				p   pair
				rel string
			}
			var grid []pbn
			for _, p := range ps {
				for _, rel := range bs {
					grid = append(grid, pbn{p, rel})
				}
			}
			if err := add(internal.Expand(pb,
				internal.Values("pair×b", grid, func(c *kdiffrun.Config, v pbn) {
					// Widths that coincide (b = n = N, or 2n = N) are one task.
					c.N, c.NIntr = v.p.N, v.p.n
					c.Bottleneck, _ = bWidth(v.rel, v.p.N, v.p.n)
					c.BRel = canonicalRel(v.rel, c.Bottleneck, v.p.N, v.p.n)
				}).Labelled(func(i int) string {
					return fmt.Sprintf("N=%d-n=%d-b=%s", grid[i].p.N, grid[i].p.n, grid[i].rel)
				}),
				internal.Values("recipe", []([2]string)(rs), func(c *kdiffrun.Config, v [2]string) { c.Loss, c.TDist = v[0], v[1] }).
					Labelled(func(i int) string { return rs[i][0] + "-" + rs[i][1] }),
				internal.Values("seed", []uint64(common.Seeds), func(c *kdiffrun.Config, v uint64) { c.Seed = v }),
			)); err != nil {
				return err
			}
		case "width":
			wb := base
			wb.Sweep, wb.Data, wb.N, wb.NIntr = "width", "ring8", *widthN, 2
			if err := add(internal.Expand(wb,
				internal.Values("H", []int(ws), func(c *kdiffrun.Config, v int) { c.Hidden = v }),
				internal.Values("k", []kdiff.K(ks), func(c *kdiffrun.Config, v kdiff.K) { c.K = v.String() }),
				internal.Values("seed", []uint64(common.Seeds), func(c *kdiffrun.Config, v uint64) { c.Seed = v }),
			)); err != nil {
				return err
			}
		}
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Key < tasks[j].Key })
	for i := range tasks {
		tasks[i].Index = i
	}
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"learned_k_vs_N.png", "learned_k_vs_ratio_*.png", "width_learned_k.png"}
	r.BLAS = nn.BLAS()
	err := internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[kdiffrun.Config], d *results.Dir) (map[string]float64, error) {
		bar := internal.NewProgress(stderr, t.Config.Steps, experiment+" "+t.Label)
		defer bar.Finish()
		return kdiffrun.Run(ctx, t.Config, d, bar)
	})
	if err != nil || common.Plan {
		return err
	}
	order := make([]string, len(ks))
	for i, k := range ks {
		order[i] = k.String()
	}
	return internal.Finish(r, func(t *results.Table) error {
		dir := filepath.Join(r.Out, experiment)
		if err := pairsFigures(dir, t, base, bs, rs); err != nil {
			return err
		}
		return widthFigures(dir, t, base, order)
	})
}

// pairsFigures draws, per recipe, the learned k against N/n per bottleneck
// beside k* = N/(N+n), and writes learned_vs_kstar.json with the Spearman
// correlation of the learned k with k* and the mean |k − k*| per
// (recipe, bottleneck).
func pairsFigures(dir string, t *results.Table, base kdiffrun.Config, bs bottlenecks, rs recipes) error {
	type stat struct {
		Recipe     string  `json:"recipe"`
		Bottleneck string  `json:"bottleneck"`
		Tasks      int     `json:"tasks"`
		Spearman   float64 `json:"spearman"`
		MeanAbsErr float64 `json:"mean_abs_k_minus_kstar"`
		MeanK      float64 `json:"mean_k"`
	}
	var stats []stat
	for _, rc := range rs {
		rows := kdiffrun.Filter(t, map[string]string{"preset": base.Preset, "sweep": "pairs", "loss": rc[0], "tdist": rc[1],
			"steps": strconv.Itoa(base.Steps)})
		if len(rows) == 0 {
			continue
		}
		var series []results.Series
		ratios := map[float64]float64{}
		for _, rel := range bs {
			s := results.Series{Name: "learned k, b = " + rel}
			byRatio := map[float64][]float64{}
			var ks, stars []float64
			var absErr float64
			for _, i := range rows {
				N, _ := t.Float(i, "N")
				n, _ := t.Float(i, "n")
				if w, _ := bWidth(rel, int(N), int(n)); t.Get(i, "bottleneck") != strconv.Itoa(w) {
					continue
				}
				k, err := t.Float(i, "k_tail")
				if err != nil || math.IsNaN(k) {
					continue
				}
				ratio := N / n
				ratios[ratio] = N / (N + n)
				byRatio[ratio] = append(byRatio[ratio], k)
				ks = append(ks, k)
				stars = append(stars, N/(N+n))
				absErr += math.Abs(k - N/(N+n))
			}
			var xs []float64
			for x := range byRatio {
				xs = append(xs, x)
			}
			sort.Float64s(xs)
			for _, x := range xs {
				s.X = append(s.X, x)
				s.Y = append(s.Y, byRatio[x])
			}
			if len(s.X) > 0 {
				series = append(series, s)
				stats = append(stats, stat{Recipe: rc[0] + "/" + rc[1], Bottleneck: rel, Tasks: len(ks),
					Spearman: metrics.Spearman(ks, stars), MeanAbsErr: absErr / float64(len(ks)), MeanK: kdiffrun.Mean(ks)})
			}
		}
		star := results.Series{Name: "k* = N/(N+n)"}
		var xs []float64
		for x := range ratios {
			xs = append(xs, x)
		}
		sort.Float64s(xs)
		for _, x := range xs {
			star.X = append(star.X, x)
			star.Y = append(star.Y, []float64{ratios[x]})
		}
		series = append(series, star)
		if !kdiffrun.Plottable(series) {
			continue
		}
		if err := results.MetricVsParam(filepath.Join(dir, fmt.Sprintf("learned_k_vs_ratio_%s_%s.png", rc[0], rc[1])), results.SweepPlot{
			Title:  fmt.Sprintf("learned k vs N/n (%s-loss, %s s; mixtures, bottleneck b)", rc[0], rc[1]),
			XLabel: "N/n", YLabel: "k (mean of the last 20% of training)", LogX: true, Series: series, YBounds: results.UnitRange,
		}); err != nil {
			return err
		}
	}
	if len(stats) == 0 {
		return nil
	}
	b, err := json.MarshalIndent(stats, "", "  ")
	if err != nil {
		return err
	}
	return results.WriteFileAtomic(filepath.Join(dir, "learned_vs_kstar.json"), append(b, '\n'))
}

// widthFigures draws SW₁, off-manifold RMS, teacher-forced MSE and the
// learned k against the hidden width H.
func widthFigures(dir string, t *results.Table, base kdiffrun.Config, order []string) error {
	rows := kdiffrun.Filter(t, map[string]string{"preset": base.Preset, "sweep": "width", "steps": strconv.Itoa(base.Steps)})
	if len(rows) == 0 {
		return nil
	}
	N := t.Get(rows[0], "N")
	for _, p := range []struct{ col, file, ylabel string }{
		{"sw1", "width_sw1.png", "intrinsic sliced W1"},
		{"off_rms", "width_offman.png", "off-manifold RMS"},
		{"tf_mse_mean", "width_tfmse.png", "teacher-forced E‖x̂−x‖², mean over s"},
	} {
		series := kdiffrun.SeriesBy(t, rows, "k", order, kdiffrun.KLabel, "hidden", p.col)
		if !kdiffrun.Plottable(series) {
			continue
		}
		if err := results.MetricVsParam(filepath.Join(dir, p.file), results.SweepPlot{
			Title: fmt.Sprintf("k-Diff capacity sweep: %s vs hidden width (N=%s, n=2)", p.col, N), XLabel: "hidden width H",
			YLabel: p.ylabel, LogX: true, LogY: true, Series: series, YBounds: results.NonNegative,
		}); err != nil {
			return err
		}
	}
	learned := kdiffrun.SeriesBy(t, rows, "k", []string{"learn"}, func(string) string { return "learned k" }, "hidden", "k_tail")
	if !kdiffrun.Plottable(learned) {
		return nil
	}
	n, _ := strconv.Atoi(N)
	star := results.Series{Name: "k* = N/(N+n)"}
	half := results.Series{Name: "k = ½"}
	for _, h := range learned[0].X {
		star.X, half.X = append(star.X, h), append(half.X, h)
		star.Y = append(star.Y, []float64{kdiffrun.KStar(n, 2)})
		half.Y = append(half.Y, []float64{0.5})
	}
	return results.MetricVsParam(filepath.Join(dir, "width_learned_k.png"), results.SweepPlot{
		Title: fmt.Sprintf("learned k vs hidden width (N=%s, n=2)", N), XLabel: "hidden width H", YLabel: "k",
		LogX: true, Series: append(learned, star, half), YBounds: results.UnitRange,
	})
}
