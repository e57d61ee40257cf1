// Command spectral-prior runs DiffuMatch's spectral diffusion prior at small
// scale: it builds a training set of ground-truth functional maps |C| of
// limbed blobs (and deformed CGAL meshes), fits priors over them (the exact
// empirical denoiser, a Gaussian, an MLP trained with diffusion.Train),
// tunes λ per mask on validation pairs, and on held-out pairs (different
// tessellation, permuted vertices) and category-shift pairs compares the
// map methods M0–M5 across descriptor regimes R1–R5, each before and after
// ZoomOut: mean geodesic error ×100 with 95% CIs, the paired sign test of
// the prior methods against the Laplacian mask, symmetric-flip rates, and
// pictures of sampled |C| beside real ones and of correspondences.
//
//	go run ./experiments/spectral-prior -preset quick
//	go run ./experiments/spectral-prior -preset default
//	go run ./experiments/spectral-prior -prior exact -regime clean,noisy -method lap,distilled -k 20
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"genlab/experiments/internal"
	"genlab/matching/prior"
	"genlab/results"
)

const experiment = "spectral-prior"

func main() { internal.Main(experiment, run) }

// options are spectral-prior's flags besides the common ones.
type options struct {
	priors, regimes, methods, sets internal.Strings
	ks                             internal.Ints
	netCurve                       stepCounts
	npairs, netSteps, netHidden    int
	netClip                        float64
	defects                        internal.MeshDefects
}

func (o *options) register(fs *flag.FlagSet) {
	o.priors = internal.Strings{Allowed: allPriors}
	fs.Var(&o.priors, "prior", "comma list of priors for the distilled methods: exact, gaussian, net")
	o.regimes = internal.Strings{Allowed: names(prior.Regimes)}
	fs.Var(&o.regimes, "regime", "comma list of descriptor regimes: "+strings.Join(names(prior.Regimes), ", "))
	o.methods = internal.Strings{Allowed: names(prior.Methods)}
	fs.Var(&o.methods, "method", "comma list of methods: "+strings.Join(names(prior.Methods), ", "))
	o.sets = internal.Strings{Allowed: allSets}
	fs.Var(&o.sets, "sets", "comma list of test sets: blob (held out), shift3, shift6 (category shift), CGAL meshes")
	fs.Var(&o.ks, "k", "comma list of map sizes k (prior and solve; default: the preset's, 20)")
	fs.IntVar(&o.npairs, "npairs", 0, "test pairs per set (0: the preset's, e.g. default 8 blob, 2 per other set)")
	fs.IntVar(&o.netSteps, "net-steps", 0, "training steps of the network prior (0: the preset's, or -net-curve's largest count)")
	fs.IntVar(&o.netHidden, "net-hidden", 0, "hidden width of the network prior's MLP (0: the preset's, default 256; the spec's range is 256–512)")
	fs.Float64Var(&o.netClip, "net-clip", 0, "global gradient-norm clip of the network prior's Adam (0: none, the default)")
	fs.Var(&o.netCurve, "net-curve", "ascending comma list of step counts, e.g. 2500,5000,10000,20000,30000,50000: train one network prior per "+
		"(seed, k) to the largest, resumably, and write net_curve.csv and error_vs_net_steps.png (held-out loss and validation error at each count)")
	o.defects.Register(fs)
}

// stepCounts is -net-curve's comma list of step counts: a list, but not a
// sweep axis (one network prior is trained through all of them).
type stepCounts []int

// Set implements flag.Value.
func (s *stepCounts) Set(v string) error { return (*internal.Ints)(s).Set(v) }

// String implements flag.Value.
func (s *stepCounts) String() string { return (*internal.Ints)(s).String() }

// resolve applies the flags to the preset's base configuration and returns
// it with the number of test pairs of each set.
func (o *options) resolve(p internal.Preset) (Config, map[string]int, error) {
	base, defSets, defPairs := preset(p)
	if len(o.priors.Values) > 0 {
		base.Priors = o.priors.Values
	}
	if len(o.regimes.Values) > 0 {
		base.Regimes = o.regimes.Values
	}
	if len(o.methods.Values) > 0 {
		base.Methods = o.methods.Values
	}
	perSet := map[string]int{}
	for i, s := range defSets {
		perSet[s] = defPairs[i]
	}
	if len(o.sets.Values) == 0 {
		o.sets.Values = defSets
	}
	if o.npairs < 0 || o.npairs > 1000 {
		return base, nil, internal.Usagef("-npairs %d: want 0..1000", o.npairs)
	}
	for _, s := range o.sets.Values {
		if o.npairs > 0 || perSet[s] == 0 {
			perSet[s] = max(o.npairs, 1)
		}
	}
	if o.netSteps < 0 {
		return base, nil, internal.Usagef("-net-steps %d: want ≥ 0", o.netSteps)
	}
	if o.netHidden > 0 {
		base.Net.Hidden = o.netHidden
	}
	base.Net.GradClip = o.netClip
	for i, s := range o.netCurve {
		if s < 1 || i > 0 && s <= o.netCurve[i-1] {
			return base, nil, internal.Usagef("-net-curve %s: want ascending step counts ≥ 1", o.netCurve.String())
		}
	}
	switch {
	case o.netSteps > 0:
		base.Net.Steps = o.netSteps
	case len(o.netCurve) > 0:
		base.Net.Steps = o.netCurve[len(o.netCurve)-1]
	}
	if len(o.ks) == 0 {
		o.ks = internal.Ints{base.K}
	}
	for _, k := range o.ks {
		if k < 2 || k > 40 {
			return base, nil, internal.Usagef("-k %d: want 2..40", k)
		}
	}
	return base, perSet, nil
}

// cgalDigests checks the CGAL meshes of the test sets and of the training
// maps and returns their content digests by name (the task key hashes
// them, not the path); base.Map.CGALSHA gets the training meshes'.
func cgalDigests(base *Config, sets []string, defects internal.MeshDefects, stderr io.Writer) (map[string]string, error) {
	digest := map[string]string{}
	for _, s := range append(append([]string{}, sets...), base.Map.CGAL...) {
		if !strings.HasPrefix(s, "blob") && !strings.HasPrefix(s, "shift") {
			sum, err := internal.CGALMesh(base.CGALDir, s, "-sets", defects.Policy, stderr, experiment)
			if err != nil {
				return nil, err
			}
			digest[s] = sum
		}
	}
	for _, s := range base.Map.CGAL {
		base.Map.CGALSHA = append(base.Map.CGALSHA, digest[s])
	}
	return digest, nil
}

// taskGrid expands set × pair × k × seed, keeps the pair indices below each
// set's count (a ragged grid, re-indexed) and gives every k the training
// maps at the largest k.
func taskGrid(base Config, o *options, perSet map[string]int, digest map[string]string, seeds internal.Seeds) ([]internal.Task[Config], error) {
	maxPairs := 0
	for _, s := range o.sets.Values {
		maxPairs = max(maxPairs, perSet[s])
	}
	idx := make([]int, maxPairs)
	for i := range idx {
		idx[i] = i
	}
	tasks, err := internal.Expand(base,
		internal.Values("set", o.sets.Values, func(c *Config, v string) { c.Set, c.SetSHA = v, digest[v] }),
		internal.Values("pair", idx, func(c *Config, v int) { c.Pair = v }),
		internal.Values("k", []int(o.ks), func(c *Config, v int) {
			c.K = v
			c.Map.K = max(v, c.Map.K)
			c.KEig = max(c.KEig, v+c.Refine.ZoomExtra, c.ZoomEnd)
		}),
		internal.Values("seed", []uint64(seeds), func(c *Config, v uint64) { c.Seed = v }),
	)
	if err != nil {
		return nil, err
	}
	kept := tasks[:0]
	for _, t := range tasks {
		if t.Config.Pair < perSet[t.Config.Set] {
			t.Index = len(kept)
			kept = append(kept, t)
		}
	}
	kmax := 0
	for _, t := range kept {
		kmax = max(kmax, t.Config.Map.K)
	}
	for i := range kept {
		kept[i].Config.Map.K = kmax
	}
	return kept, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := internal.NewFlagSet(experiment)
	common := internal.Common{Seeds: internal.Seeds{0}}
	common.Register(fs)
	var o options
	o.register(fs)
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	base, perSet, err := o.resolve(common.Preset)
	if err != nil {
		return err
	}
	digest, err := cgalDigests(&base, o.sets.Values, o.defects, stderr)
	if err != nil {
		return err
	}
	tasks, err := taskGrid(base, &o, perSet, digest, common.Seeds)
	if err != nil {
		return err
	}
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"error_*.png"}
	bs := &bundles{root: r.Out, expDir: filepath.Join(r.Out, experiment), stderr: stderr, curve: o.netCurve}
	defer bs.closeAll()
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	if len(o.netCurve) > 0 && !common.Plan && common.Cluster.Emit == "" && !common.Cluster.Collect {
		sel, err := curveTasks(tasks, common.Task)
		if err != nil {
			return err
		}
		if _, err := runCurves(ctx, bs, sel, o.netCurve, false, logf); err != nil {
			return err
		}
	}
	err = internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[Config], d *results.Dir) (map[string]float64, error) {
		bar := internal.NewProgress(stderr, solves(t.Config), experiment+" "+t.Label+" solves")
		defer bar.Finish()
		return runTask(ctx, t.Config, d, bs, logf, bar)
	})
	if err != nil || common.Plan {
		return err
	}
	return internal.Finish(r, func(t *results.Table) error {
		if err := summary(filepath.Join(r.Out, experiment), t, base); err != nil {
			return err
		}
		if len(o.netCurve) == 0 {
			return nil
		}
		curve, err := runCurves(ctx, bs, tasks, o.netCurve, true, logf)
		if err != nil {
			return err
		}
		return writeCurve(filepath.Join(r.Out, experiment), curve)
	})
}
