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
	"flag"
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

// options are kdiff-learned's flags besides the common ones.
type options struct {
	sweeps               internal.Strings
	ps                   pairs
	bs                   bottlenecks
	rs                   recipes
	ws                   internal.Ints
	ks                   kdiff.Ks
	widthN               int
	kInit, kLR           float64
	steps, batch, hidden int
}

func (o *options) register(fs *flag.FlagSet) {
	o.sweeps = internal.Strings{Allowed: []string{"pairs", "width"}}
	fs.Var(&o.sweeps, "sweeps", "grids to run: pairs, width (default both)")
	fs.Var(&o.ps, "pairs", "pairs grid: comma list of N:n (default 4:4,8:4,16:4,16:1,64:2)")
	fs.Var(&o.bs, "b", "pairs grid: bottleneck widths n, 2n, 4n, … or N")
	fs.Var(&o.rs, "recipes", "pairs grid: loss/tdist list, e.g. u/uniform,v/logitnormal")
	fs.Var(&o.ws, "widths", "width grid: hidden widths H")
	fs.Var(&o.ks, "k", "width grid: targets (numbers in [0,1] and/or learn)")
	fs.IntVar(&o.widthN, "width-N", 128, "width grid: ambient dimension N (ring8, n = 2)")
	fs.Float64Var(&o.kInit, "k-init", 0.5, "initial learned k, in (0,1)")
	fs.Float64Var(&o.kLR, "k-lr", kdiff.DefaultKLR, "Adam learning rate of w = logit k (> 0)")
	fs.IntVar(&o.steps, "steps", 0, "training steps (0: the preset's)")
	fs.IntVar(&o.batch, "batch", 0, "batch size (0: the preset's)")
	fs.IntVar(&o.hidden, "hidden", 0, "pairs grid: hidden width (0: the preset's)")
}

// resolve fills the grids not given on the command line from the preset,
// checks the values and returns the base configuration with the flags
// applied.
func (o *options) resolve(fs *flag.FlagSet, common *internal.Common) (kdiffrun.Config, error) {
	base, defP, defB, defR, defW, defK := presetConfig(common.Preset)
	if !internal.IsSet(fs, "seeds") && common.Preset == internal.Quick {
		common.Seeds = internal.Seeds{0}
	}
	if len(o.ps) == 0 {
		o.ps = defP
	}
	if len(o.bs) == 0 {
		o.bs = defB
	}
	if len(o.rs) == 0 {
		o.rs = defR
	}
	if len(o.ws) == 0 {
		o.ws = defW
	}
	if len(o.ks) == 0 {
		o.ks = defK
	}
	if err := kdiffrun.CheckKs(o.ks); err != nil {
		return base, err
	}
	if len(o.sweeps.Values) == 0 {
		o.sweeps.Values = []string{"pairs", "width"}
	}
	if err := o.check(); err != nil {
		return base, err
	}
	for _, f := range []struct {
		name string
		v    int
		dst  *int
	}{{"steps", o.steps, &base.Steps}, {"batch", o.batch, &base.Batch}, {"hidden", o.hidden, &base.Hidden}} {
		if f.v < 0 {
			return base, internal.Usagef("-%s %d: must be ≥ 0", f.name, f.v)
		}
		if f.v > 0 {
			*f.dst = f.v
		}
	}
	base.KInit, base.KLR = o.kInit, o.kLR
	base.EMAHalf = float64(base.Steps*base.Batch) / 20
	return base, nil
}

// check validates the widths, -width-N and the learned k's settings.
func (o *options) check() error {
	for _, w := range o.ws {
		if w < 1 {
			return internal.Usagef("-widths %d: must be ≥ 1", w)
		}
	}
	if o.widthN < 2 {
		return internal.Usagef("-width-N %d: must be ≥ 2", o.widthN)
	}
	if !(o.kInit > 0 && o.kInit < 1) {
		return internal.Usagef("-k-init %g: must be in (0,1)", o.kInit)
	}
	if !(o.kLR > 0) || math.IsInf(o.kLR, 0) {
		return internal.Usagef("-k-lr %g: must be > 0", o.kLR)
	}
	return nil
}

// pairBottleneck is one (N, n) with one relative bottleneck width.
type pairBottleneck struct {
	p   pair
	rel string
}

// pairsGrid is the pairs sweep: (N, n) × bottleneck × recipe × seed on
// n-dimensional mixtures, learned k.
func pairsGrid(base kdiffrun.Config, o *options, seeds internal.Seeds) ([]internal.Task[kdiffrun.Config], error) {
	base.Sweep, base.Data, base.K = "pairs", "mixture", "learn"
	var grid []pairBottleneck
	for _, p := range o.ps {
		for _, rel := range o.bs {
			grid = append(grid, pairBottleneck{p, rel})
		}
	}
	return internal.Expand(base,
		internal.Values("pair×b", grid, func(c *kdiffrun.Config, v pairBottleneck) {
			// Widths that coincide (b = n = N, or 2n = N) are one task.
			c.N, c.NIntr = v.p.N, v.p.n
			c.Bottleneck, _ = bWidth(v.rel, v.p.N, v.p.n)
			c.BRel = canonicalRel(v.rel, c.Bottleneck, v.p.N, v.p.n)
		}).Labelled(func(i int) string {
			return fmt.Sprintf("N=%d-n=%d-b=%s", grid[i].p.N, grid[i].p.n, grid[i].rel)
		}),
		internal.Values("recipe", []([2]string)(o.rs), func(c *kdiffrun.Config, v [2]string) { c.Loss, c.TDist = v[0], v[1] }).
			Labelled(func(i int) string { return o.rs[i][0] + "-" + o.rs[i][1] }),
		internal.Values("seed", []uint64(seeds), func(c *kdiffrun.Config, v uint64) { c.Seed = v }),
	)
}

// widthGrid is the width sweep: hidden width × target k × seed on ring8 in
// -width-N dimensions.
func widthGrid(base kdiffrun.Config, o *options, seeds internal.Seeds) ([]internal.Task[kdiffrun.Config], error) {
	base.Sweep, base.Data, base.N, base.NIntr = "width", "ring8", o.widthN, 2
	return internal.Expand(base,
		internal.Values("H", []int(o.ws), func(c *kdiffrun.Config, v int) { c.Hidden = v }),
		internal.Values("k", []kdiff.K(o.ks), func(c *kdiffrun.Config, v kdiff.K) { c.K = v.String() }),
		internal.Values("seed", []uint64(seeds), func(c *kdiffrun.Config, v uint64) { c.Seed = v }),
	)
}

// tasks returns the tasks of the chosen sweeps in one list ordered by key,
// each label prefixed by its sweep.
func tasks(base kdiffrun.Config, o *options, seeds internal.Seeds) ([]internal.Task[kdiffrun.Config], error) {
	var all []internal.Task[kdiffrun.Config]
	for _, sw := range o.sweeps.Values {
		grid := pairsGrid
		if sw == "width" {
			grid = widthGrid
		}
		ts, err := grid(base, o, seeds)
		if err != nil {
			return nil, err
		}
		for i := range ts { // two sweeps share one list: their labels say which
			ts[i].Label = ts[i].Config.Sweep + "-" + ts[i].Label
		}
		all = append(all, ts...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Key < all[j].Key })
	for i := range all {
		all[i].Index = i
	}
	return all, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := internal.NewFlagSet(experiment)
	var common internal.Common
	common.Register(fs)
	var o options
	o.register(fs)
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	base, err := o.resolve(fs, &common)
	if err != nil {
		return err
	}
	ts, err := tasks(base, &o, common.Seeds)
	if err != nil {
		return err
	}
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"learned_k_vs_N.png", "learned_k_vs_ratio_*.png", "width_learned_k.png"}
	err = internal.RunTasks(ctx, r, ts, func(ctx context.Context, t internal.Task[kdiffrun.Config], d *results.Dir) (map[string]float64, error) {
		return runTask(ctx, t, d, stderr)
	})
	if err != nil || common.Plan {
		return err
	}
	order := make([]string, len(o.ks))
	for i, k := range o.ks {
		order[i] = k.String()
	}
	return internal.Finish(r, func(t *results.Table) error {
		dir := filepath.Join(r.Out, experiment)
		if err := pairsFigures(dir, t, base, o.bs, o.rs); err != nil {
			return err
		}
		return widthFigures(dir, t, base, order)
	})
}
