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
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"genlab/experiments/internal"
	"genlab/matching/prior"
	"genlab/metrics"
	"genlab/results"
)

const experiment = "spectral-prior"

func main() { internal.Main(experiment, run) }

var (
	allPriors = []string{"exact", "gaussian", "net"}
	allSets   = []string{"blob", "shift3", "shift6", "pig", "hand", "elephant", "cow"}
)

func names[T ~string](v []T) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = string(x)
	}
	return out
}

// preset returns the base configuration, the test sets and the pairs per
// set.
func preset(p internal.Preset) (Config, []string, []int) {
	refine := prior.RefineConfig{Steps: 100, LR: 1e-3, Beta1: 0.9, Beta2: 0.99, WDescr: 1, WProper: 1, WSDS: 1,
		SDSSamples: 16, SDSSigmaMin: 0.01, SDSSigmaSpan: 1, TargetEvery: 25, ZoomExtra: 10}
	axiom := refine
	axiom.WSDS, axiom.WLap, axiom.WOrtho, axiom.WBij = 0, 1, 1, 1
	c := Config{K: 20, KEig: 60, ZoomEnd: 60, ZoomStep: 2,
		Priors: []string{"exact", "net"}, Regimes: names(prior.Regimes), Methods: names(prior.Methods),
		Map: MapCfg{K: 20, Bodies: 40, Poses: 4, Level: 3, MaxAngle: 0.6, MaxBend: 0.15,
			CGAL: []string{"pig"}, CGALPoses: 6, DefBend: 0.6, DefAngle: 0.6},
		Net: NetCfg{Hidden: 256, Layers: 3, Fourier: 16, Steps: 3000, Batch: 64, LR: 1e-3, Warmup: 200, EMAHalfLife: 20000},
		Tune: TuneCfg{Pairs: 3, MuLap: []float64{1e-4, 1e-3, 1e-2, 1e-1, 1}, MuRes: []float64{10, 100, 1e3, 1e4},
			MuMean: []float64{1e-4, 1e-3, 1e-2, 1e-1, 1}, MuDist: []float64{0.01, 0.1, 1, 10, 100}},
		Sigma: 1, S: 100, MeanEps: 0.05, Gamma: 0.5, Refine: refine, Axiom: axiom,
		Noise: 0.01, WKSNum: 100, WKSNEv: 50, WKSStep: 5, FewStep: 25, PartialFrac: 0.3,
		SrcLevel: 3, TgtCube: 10, MaxAngle: 0.6, MaxBend: 0.15, DefBend: 0.6, DefAngle: 0.6,
		MaxEval: 300, SymTol: 0.01, CGALDir: "data/cgal/meshes", Pictures: 1}
	sets := []string{"blob", "shift3", "shift6", "hand"}
	npairs := []int{8, 2, 2, 2}
	switch p {
	case internal.Quick:
		c.K, c.KEig, c.ZoomEnd, c.ZoomStep = 12, 30, 30, 2
		c.Map = MapCfg{K: 12, Bodies: 6, Poses: 3, Level: 2, MaxAngle: 0.6, MaxBend: 0.15}
		c.Net = NetCfg{Hidden: 64, Layers: 2, Fourier: 8, Steps: 300, Batch: 32, LR: 2e-3, Warmup: 50, EMAHalfLife: 2000}
		c.Tune.Pairs = 1
		c.Refine.Steps, c.Axiom.Steps = 20, 20
		c.Refine.SDSSamples, c.Refine.TargetEvery, c.Axiom.TargetEvery = 8, 10, 10
		c.Refine.ZoomExtra, c.Axiom.ZoomExtra = 6, 6
		c.WKSNEv = 30
		c.SrcLevel, c.TgtCube, c.MaxEval, c.S = 2, 5, 150, 50
		c.Priors = allPriors
		sets, npairs = []string{"blob", "shift3"}, []int{1, 1}
	case internal.Full:
		c.Map.Bodies, c.Net.Steps, c.Tune.Pairs = 100, 10000, 6
		c.Refine.Steps, c.Axiom.Steps, c.Refine.TargetEvery, c.Axiom.TargetEvery = 300, 300, 10, 10
		c.ZoomStep, c.S = 1, 200
		c.Priors, c.Refine.SDSSamples = allPriors, 32
		sets, npairs = []string{"blob", "shift3", "shift6", "hand", "elephant"}, []int{30, 10, 10, 5, 5}
	}
	return c, sets, npairs
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := internal.NewFlagSet(experiment)
	common := internal.Common{Seeds: internal.Seeds{0}}
	common.Register(fs)
	priors := internal.Strings{Allowed: allPriors}
	fs.Var(&priors, "prior", "comma list of priors for the distilled methods: exact, gaussian, net")
	regimes := internal.Strings{Allowed: names(prior.Regimes)}
	fs.Var(&regimes, "regime", "comma list of descriptor regimes: "+strings.Join(names(prior.Regimes), ", "))
	methods := internal.Strings{Allowed: names(prior.Methods)}
	fs.Var(&methods, "method", "comma list of methods: "+strings.Join(names(prior.Methods), ", "))
	sets := internal.Strings{Allowed: allSets}
	fs.Var(&sets, "sets", "comma list of test sets: blob (held out), shift3, shift6 (category shift), CGAL meshes")
	var ks internal.Ints
	fs.Var(&ks, "k", "comma list of map sizes k (prior and solve; default: the preset's, 20)")
	npairs := fs.Int("npairs", 0, "test pairs per set (0: the preset's, e.g. default 8 blob, 2 per other set)")
	netSteps := fs.Int("net-steps", 0, "training steps of the network prior (0: the preset's)")
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	base, defSets, defPairs := preset(common.Preset)
	if len(priors.Values) > 0 {
		base.Priors = priors.Values
	}
	if len(regimes.Values) > 0 {
		base.Regimes = regimes.Values
	}
	if len(methods.Values) > 0 {
		base.Methods = methods.Values
	}
	perSet := map[string]int{}
	for i, s := range defSets {
		perSet[s] = defPairs[i]
	}
	if len(sets.Values) == 0 {
		sets.Values = defSets
	}
	if *npairs < 0 || *npairs > 1000 {
		return internal.Usagef("-npairs %d: want 0..1000", *npairs)
	}
	maxPairs := 0
	for _, s := range sets.Values {
		if *npairs > 0 || perSet[s] == 0 {
			perSet[s] = max(*npairs, 1)
		}
		maxPairs = max(maxPairs, perSet[s])
	}
	if *netSteps < 0 {
		return internal.Usagef("-net-steps %d: want ≥ 0", *netSteps)
	}
	if *netSteps > 0 {
		base.Net.Steps = *netSteps
	}
	if len(ks) == 0 {
		ks = internal.Ints{base.K}
	}
	for _, k := range ks {
		if k < 2 || k > 40 {
			return internal.Usagef("-k %d: want 2..40", k)
		}
	}
	digest := map[string]string{} // CGAL meshes by name: keyed by content, not by path
	for _, s := range append(append([]string{}, sets.Values...), base.Map.CGAL...) {
		if !strings.HasPrefix(s, "blob") && !strings.HasPrefix(s, "shift") {
			sum, err := internal.CGALMesh(base.CGALDir, s, "-sets", stderr, experiment)
			if err != nil {
				return err
			}
			digest[s] = sum
		}
	}
	for _, s := range base.Map.CGAL {
		base.Map.CGALSHA = append(base.Map.CGALSHA, digest[s])
	}
	idx := make([]int, maxPairs)
	for i := range idx {
		idx[i] = i
	}
	tasks, err := internal.Expand(base,
		internal.Values("set", sets.Values, func(c *Config, v string) { c.Set, c.SetSHA = v, digest[v] }),
		internal.Values("pair", idx, func(c *Config, v int) { c.Pair = v }),
		internal.Values("k", []int(ks), func(c *Config, v int) {
			c.K = v
			c.Map.K = max(v, c.Map.K)
			c.KEig = max(c.KEig, v+c.Refine.ZoomExtra, c.ZoomEnd)
		}),
		internal.Values("seed", []uint64(common.Seeds), func(c *Config, v uint64) { c.Seed = v }),
	)
	if err != nil {
		return err
	}
	// ragged grid: keep pair indices below the set's count, re-index
	kept := tasks[:0]
	for _, t := range tasks {
		if t.Config.Pair < perSet[t.Config.Set] {
			t.Index = len(kept)
			kept = append(kept, t)
		}
	}
	tasks = kept
	// every k shares the training maps at the largest k
	kmax := 0
	for _, t := range tasks {
		kmax = max(kmax, t.Config.Map.K)
	}
	for i := range tasks {
		tasks[i].Config.Map.K = kmax
	}
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"error_*.png"}
	bs := &bundles{root: r.Out, expDir: filepath.Join(r.Out, experiment), stderr: stderr}
	defer bs.closeAll()
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	err = internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[Config], d *results.Dir) (map[string]float64, error) {
		bar := internal.NewProgress(stderr, solves(t.Config), experiment+" "+t.Label+" solves")
		defer bar.Finish()
		return runTask(ctx, t.Config, d, bs, logf, bar)
	})
	if err != nil || common.Plan {
		return err
	}
	return internal.Finish(r, func(t *results.Table) error {
		return summary(filepath.Join(r.Out, experiment), t, base)
	})
}

// summary writes table.md (method × regime per test set: error before and
// after ZoomOut with 95% CIs, flipped-map shares), signtest.md (each prior
// method vs the Laplacian mask after ZoomOut) and a bar figure per set.
func summary(dir string, t *results.Table, base Config) error {
	type group struct {
		set  string
		k    string
		rows []int
	}
	gm := map[string]*group{}
	var order []string
	for i := range t.Rows {
		key := t.Get(i, "set") + " k=" + t.Get(i, "k")
		g, ok := gm[key]
		if !ok {
			g = &group{set: t.Get(i, "set"), k: t.Get(i, "k")}
			gm[key] = g
			order = append(order, key)
		}
		g.rows = append(g.rows, i)
	}
	// held-out blobs split by body: even pair indices carry the
	// symmetry-breaking tail, odd ones are exactly mirror-symmetric (their
	// intrinsic descriptors cannot tell a map from its mirror image)
	for _, key := range append([]string{}, order...) {
		g := gm[key]
		if g.set != "blob" {
			continue
		}
		for _, i := range g.rows {
			sub := "blob-asym"
			if n, err := t.Float(i, "pair"); err == nil && int(n)%2 == 1 {
				sub = "blob-sym"
			}
			sk := sub + " k=" + g.k
			sg, ok := gm[sk]
			if !ok {
				sg = &group{set: sub, k: g.k}
				gm[sk] = sg
				order = append(order, sk)
			}
			sg.rows = append(sg.rows, i)
		}
	}
	// pooled category shift: every set but the held-out blobs
	for _, key := range append([]string{}, order...) {
		g := gm[key]
		if strings.HasPrefix(g.set, "blob") {
			continue
		}
		pk := "shift-pooled k=" + g.k
		pg, ok := gm[pk]
		if !ok {
			pg = &group{set: "shift-pooled", k: g.k}
			gm[pk] = pg
			order = append(order, pk)
		}
		pg.rows = append(pg.rows, g.rows...)
	}
	sort.Strings(order)
	col := func(rows []int, c string) []float64 {
		var v []float64
		for _, i := range rows {
			if x, err := t.Float(i, c); err == nil {
				v = append(v, x)
			}
		}
		return v
	}
	ci := func(v []float64) string {
		if len(v) == 0 {
			return "–"
		}
		m, h := metrics.MeanCI95(v)
		if len(v) < 2 || math.IsNaN(h) {
			return fmt.Sprintf("%.2f", m)
		}
		return fmt.Sprintf("%.2f ± %.2f", m, h)
	}
	share := func(v []float64) string {
		if len(v) == 0 {
			return "–"
		}
		s := 0.0
		for _, x := range v {
			s += x
		}
		return fmt.Sprintf("%.0f%%", 100*s/float64(len(v)))
	}
	var tb, sb strings.Builder
	tb.WriteString("| set | regime | method | n | error ×100 | after ZoomOut | flipped (raw → ZO) |\n|---|---|---|---|---|---|---|\n")
	sb.WriteString("| set | regime | method | vs | wins | losses | n | p (two-sided sign test) | mean Δ after ZO |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, key := range order {
		g := gm[key]
		tb.WriteString(fmt.Sprintf("| %s | – | oracle | %d | %s | %s | %s → %s |\n", key, len(g.rows),
			ci(col(g.rows, "oracle_err")), ci(col(g.rows, "oracle_zo_err")), share(col(g.rows, "oracle_flipped")), share(col(g.rows, "oracle_zo_flipped"))))
		var labels []string
		var vals [][]float64
		for _, r := range base.Regimes {
			for _, m := range base.Methods {
				pr := []string{""}
				if prior.Method(m).UsesPrior() {
					pr = base.Priors
				}
				for _, p := range pr {
					name := methodName(r, m, p)
					raw := col(g.rows, name+"_err")
					if len(raw) == 0 {
						continue
					}
					zo := col(g.rows, name+"_zo_err")
					label := m
					if p != "" {
						label += " (" + p + ")"
					}
					tb.WriteString(fmt.Sprintf("| %s | %s | %s | %d | %s | %s | %s → %s |\n", key, r, label, len(raw), ci(raw), ci(zo),
						share(col(g.rows, name+"_flipped")), share(col(g.rows, name+"_zo_flipped"))))
					labels = append(labels, r+" "+label)
					vals = append(vals, zo)
					if p == "" && m != string(prior.AxiomRefine) {
						continue
					}
					ref := col(g.rows, methodName(r, string(prior.LapMask), "")+"_zo_err")
					if len(ref) != len(zo) || len(zo) == 0 {
						continue
					}
					w, l, pv, md := metrics.SignTest(zo, ref)
					sb.WriteString(fmt.Sprintf("| %s | %s | %s | lap | %d | %d | %d | %.3g | %+.2f |\n", key, r, label, w, l, len(zo), pv, md))
				}
			}
		}
		if len(labels) > 0 {
			fn := fmt.Sprintf("error_%s_k%s.png", g.set, g.k)
			if err := results.BarsCI(filepath.Join(dir, fn), "spectral-prior: "+key+", error ×100 after ZoomOut",
				"error ×100 (mean ± 95% CI over pairs)", results.NonNegative, labels, vals); err != nil {
				return err
			}
		}
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, "table.md"), []byte(tb.String())); err != nil {
		return err
	}
	// matrix.md: method × regime per group, error after ZoomOut (raw in
	// brackets), flipped shares, and the sign test against the Laplacian mask
	var mb strings.Builder
	for _, key := range order {
		g := gm[key]
		hdr := "| " + key + " (n = " + fmt.Sprint(len(g.rows)) + ") |"
		sep := "|---|"
		for _, r := range base.Regimes {
			hdr += " " + r + " |"
			sep += "---|"
		}
		cell := func(r, m, p, suffix string) []float64 { return col(g.rows, methodName(r, m, p)+suffix) }
		mb.WriteString("### " + key + ": error ×100 after ZoomOut, mean ± 95% CI (before ZoomOut)\n\n" + hdr + "\n" + sep + "\n")
		fmt.Fprintf(&mb, "| oracle C_gt |")
		for range base.Regimes {
			fmt.Fprintf(&mb, " %s (%s) |", ci(col(g.rows, "oracle_zo_err")), ci(col(g.rows, "oracle_err")))
		}
		mb.WriteString("\n")
		var flips, signs strings.Builder
		flips.WriteString("\n" + key + ": share of left/right-flipped maps after ZoomOut\n\n" + hdr + "\n" + sep + "\n")
		signs.WriteString("\n" + key + ": paired sign test against the Laplacian mask after ZoomOut (wins/losses, two-sided p)\n\n" + hdr + "\n" + sep + "\n")
		for _, m := range base.Methods {
			pr := []string{""}
			if prior.Method(m).UsesPrior() {
				pr = base.Priors
			}
			for _, p := range pr {
				label := m
				if p != "" {
					label += " (" + p + ")"
				}
				fmt.Fprintf(&mb, "| %s |", label)
				fmt.Fprintf(&flips, "| %s |", label)
				fmt.Fprintf(&signs, "| %s |", label)
				for _, r := range base.Regimes {
					fmt.Fprintf(&mb, " %s (%s) |", ci(cell(r, m, p, "_zo_err")), ci(cell(r, m, p, "_err")))
					fmt.Fprintf(&flips, " %s |", share(cell(r, m, p, "_zo_flipped")))
					zo, ref := cell(r, m, p, "_zo_err"), cell(r, string(prior.LapMask), "", "_zo_err")
					if len(zo) == 0 || len(zo) != len(ref) {
						signs.WriteString(" – |")
						continue
					}
					w, l, pv, _ := metrics.SignTest(zo, ref)
					fmt.Fprintf(&signs, " %d/%d (p %.2g) |", w, l, pv)
				}
				mb.WriteString("\n")
				flips.WriteString("\n")
				signs.WriteString("\n")
			}
		}
		mb.WriteString(flips.String())
		mb.WriteString(signs.String())
		mb.WriteString("\n")
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, "matrix.md"), []byte(mb.String())); err != nil {
		return err
	}
	return results.WriteFileAtomic(filepath.Join(dir, "signtest.md"), []byte(sb.String()))
}
