// Command matching runs the classical functional-map baseline on shape pairs
// with known correspondence: procedural limbed blobs (a re-posed copy on a
// different tessellation, vertices permuted) and CGAL meshes (a smoothly
// bent and articulated, permuted copy). For each pair it solves the map
// with each method, optionally refines it with ZoomOut, and reports the mean
// geodesic error ×100 (normalised by √area of the source), the cumulative
// error curve, the symmetric-flip rate (blobs), and correspondence pictures.
//
//	go run ./experiments/matching -preset default
//	go run ./experiments/matching -pairs blob,pig -method commutativity,resolvent -noise 0,0.005
//
// CGAL meshes are read from data/cgal/meshes (scripts/cgal-meshes.sh).
package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"genlab/data"
	"genlab/experiments/internal"
	"genlab/results"
)

const experiment = "matching"

func main() { internal.Main(experiment, run) }

// Methods that solve the initial map; each is also reported after ZoomOut:
// lsq (plain least squares), commutativity (Laplacian mask, μ = 1e-3),
// resolvent (ULRSSM mask, μ = 100, γ = 0.5), axiomatic (the commutativity
// maps of both directions refined by L-BFGS with orthogonality and
// bijectivity terms, weights WAxiom) and oracle (the ground-truth map
// projected on the k-dimensional bases: the floor of the representation).
var allMethods = []string{"lsq", "commutativity", "resolvent", "axiomatic", "oracle"}

// allPairs are the pair sources: blob (re-posed blob, icosphere → permuted
// cube-sphere), blob-same (same tessellation, permuted) and CGAL meshes.
var allPairs = []string{"blob", "blob-same", "pig", "hand", "elephant", "cow", "knot1", "homer", "bunny00"}

func preset(p internal.Preset) (Config, []string) {
	c := Config{K: 20, KEig: 60, ZoomEnd: 60, ZoomStep: 1, DescrNum: 100, DescrNEv: 50, DescrStep: 5,
		MuLap: 1e-3, MuRes: 100, Gamma: 0.5, WAxiom: 0.1, SrcLevel: 3, TgtCube: 10, MaxAngle: 0.6, MaxBend: 0.15,
		DefBend: 0.6, DefAngle: 0.6, MaxEval: 1000, SymTol: 0.01, Methods: allMethods, CGALDir: "data/cgal/meshes"}
	pairs := []string{"blob", "blob-same", "pig", "hand", "elephant", "cow"}
	switch p {
	case internal.Quick:
		c.SrcLevel, c.TgtCube, c.KEig, c.ZoomEnd, c.MaxEval = 2, 6, 40, 40, 300
		pairs = []string{"blob", "pig"}
	case internal.Full:
		c.KEig, c.ZoomEnd = 100, 100
		pairs = []string{"blob", "blob-same", "pig", "hand", "elephant", "cow", "knot1", "homer"}
	}
	return c, pairs
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := internal.NewFlagSet(experiment)
	var common internal.Common
	common.Register(fs)
	pairs := internal.Strings{Allowed: allPairs}
	fs.Var(&pairs, "pairs", "comma list of pair sources: "+strings.Join(allPairs, ", ")+" (one pair per seed)")
	methods := internal.Strings{Allowed: append(append([]string{}, allMethods...), "zoomout")}
	fs.Var(&methods, "method", "comma list of methods: lsq, commutativity, resolvent, axiomatic, oracle (each also after ZoomOut); zoomout = commutativity")
	var noise internal.Floats
	fs.Var(&noise, "noise", "comma list of target vertex jitter levels, fraction of √area (default 0)")
	flip := fs.Float64("flip", 0, "CGAL pairs: fraction in [0,1] of nearly flat edges flipped in the target, for a different tessellation")
	k := fs.Int("k", 0, "functional map size k (0: the preset's, 20)")
	zoom := fs.Int("zoomout", -1, "ZoomOut end size (0: off; default: the preset's)")
	cgal := fs.String("cgal", "", "directory of CGAL meshes (default data/cgal/meshes)")
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	base, defPairs := preset(common.Preset)
	if len(pairs.Values) == 0 {
		pairs.Values = defPairs
	}
	if len(methods.Values) > 0 {
		seen := map[string]bool{}
		base.Methods = nil
		for _, m := range methods.Values {
			if m == "zoomout" {
				m = "commutativity"
			}
			if !seen[m] {
				seen[m] = true
				base.Methods = append(base.Methods, m)
			}
		}
	}
	if *k < 0 || *k > 200 {
		return internal.Usagef("-k %d: want 1..200", *k)
	}
	if *k > 0 {
		base.K = *k
	}
	if *flip < 0 || *flip > 1 {
		return internal.Usagef("-flip %g: want a fraction in [0, 1]", *flip)
	}
	base.Flip = *flip
	if *zoom >= 0 {
		if *zoom > 0 && *zoom < base.K {
			return internal.Usagef("-zoomout %d: must be 0 or ≥ k = %d", *zoom, base.K)
		}
		base.ZoomEnd = *zoom
	}
	base.KEig = max(base.KEig, base.ZoomEnd, base.K)
	if *cgal != "" {
		base.CGALDir, base.MeshDir = "", *cgal
	}
	if len(noise) == 0 {
		noise = internal.Floats{0}
	}
	for _, n := range noise {
		if n < 0 || math.IsInf(n, 0) || n > 0.1 {
			return internal.Usagef("-noise %g: want 0 ≤ noise ≤ 0.1", n)
		}
	}
	digest := map[string]string{} // -cgal meshes, by pair
	for _, p := range pairs.Values {
		if !strings.HasPrefix(p, "blob") {
			path := filepath.Join(base.meshDir(), p+".off")
			if _, err := os.Stat(path); err != nil {
				return internal.Usagef("-pairs %s: %s not found (run scripts/cgal-meshes.sh)", p, path)
			}
			if err := internal.CheckMesh(path, stderr, experiment); err != nil {
				return err
			}
			if base.MeshDir != "" {
				sum, err := data.FileDigest(path)
				if err != nil {
					return internal.Usagef("-cgal %s: %v", base.MeshDir, err)
				}
				digest[p] = sum
			}
		}
	}
	tasks, err := internal.Expand(base,
		internal.Values("pair", pairs.Values, func(c *Config, v string) { c.Pair, c.MeshSHA = v, digest[v] }),
		internal.Values("noise", []float64(noise), func(c *Config, v float64) { c.Noise = v }),
		internal.Values("seed", []uint64(common.Seeds), func(c *Config, v uint64) { c.Seed = v }),
	)
	if err != nil {
		return err
	}
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"cumulative_error.png"}
	err = internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[Config], d *results.Dir) (map[string]float64, error) {
		bar := internal.NewProgress(stderr, len(t.Config.Methods), experiment+" "+t.Label+" methods")
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

// summaryFigures draws the mean error per method (raw and after ZoomOut)
// with 95% CIs over pairs, one group per pair source and noise level, and
// the mean cumulative error curves per method.
func summaryFigures(dir string, t *results.Table) error {
	groups := map[string][]int{}
	for i := range t.Rows {
		g := t.Get(i, "pair")
		if v := t.Get(i, "noise"); v != "" && v != "0" {
			g += " noise=" + v
		}
		groups[g] = append(groups[g], i)
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	curves := map[string]*results.Series{}
	var curveOrder []string
	short := map[string]string{"lsq": "lsq", "commutativity": "comm", "resolvent": "resolv", "axiomatic": "axiom", "oracle": "oracle"}
	for _, g := range names {
		var labels []string
		var vals [][]float64
		for _, m := range allMethods {
			for _, suf := range []string{"", "_zo"} {
				col := m + suf + "_err"
				var v []float64
				for _, i := range groups[g] {
					if x, err := t.Float(i, col); err == nil {
						v = append(v, x)
					}
				}
				if len(v) == 0 {
					continue
				}
				labels = append(labels, short[m]+strings.ReplaceAll(suf, "_zo", "+ZO"))
				vals = append(vals, v)
				name := m + strings.ReplaceAll(suf, "_zo", "+ZO")
				s, ok := curves[name]
				if !ok {
					s = &results.Series{Name: name}
					curves[name] = s
					curveOrder = append(curveOrder, name)
				}
				for ti, th := range curveThresholds {
					if !plotThreshold(th) {
						continue
					}
					var ys []float64
					for _, i := range groups[g] {
						if x, err := t.Float(i, fmt.Sprintf("%s%s_cum%02d", m, suf, ti)); err == nil {
							ys = append(ys, x)
						}
					}
					addPoint(s, th, ys)
				}
			}
		}
		if len(labels) > 0 {
			file := "geodesic_error_" + strings.NewReplacer(" ", "_", "=", "").Replace(g) + ".png"
			if err := results.BarsCI(filepath.Join(dir, file), "matching: "+g+": mean geodesic error ×100",
				"error ×100 (mean ± 95% CI over pairs)", results.NonNegative, labels, vals); err != nil {
				return err
			}
		}
	}
	if err := writeTable(filepath.Join(dir, "table.md"), t, names, groups); err != nil {
		return err
	}
	var series []results.Series
	for _, n := range curveOrder {
		series = append(series, *curves[n])
	}
	if len(series) == 0 {
		return nil
	}
	return results.MetricVsParam(filepath.Join(dir, "cumulative_error.png"), results.SweepPlot{
		Title: "matching: cumulative geodesic error (all pairs)", XLabel: "geodesic error / √area", YLabel: "fraction of vertices",
		Series: series, YBounds: results.UnitRange,
	})
}

func addPoint(s *results.Series, x float64, ys []float64) {
	for i, xx := range s.X {
		if xx == x {
			s.Y[i] = append(s.Y[i], ys...)
			return
		}
	}
	if len(ys) > 0 {
		s.X = append(s.X, x)
		s.Y = append(s.Y, ys)
	}
}

// meanCI95 returns the mean of v and the half-width t_{0.975,n−1}·s/√n of its
// 95% Student-t interval (0 for one value).
func meanCI95(v []float64) (mean, half float64) {
	n := float64(len(v))
	for _, x := range v {
		mean += x
	}
	mean /= n
	if len(v) < 2 {
		return mean, 0
	}
	ss := 0.0
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
	return mean, q * math.Sqrt(ss/(n-1)/n)
}

// writeTable writes table.md: per pair group, the mean geodesic error ×100
// ± 95% CI over pairs of each method before and after ZoomOut, and for
// shapes with a known mirror symmetry the share of pairs whose map is
// left/right flipped (flip rate > ½).
func writeTable(path string, t *results.Table, names []string, groups map[string][]int) error {
	var b strings.Builder
	b.WriteString("| pairs | n | vertices (src/tgt) | method | error ×100 | after ZoomOut | flipped maps (raw → ZO) |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	get := func(rows []int, col string) []float64 {
		var v []float64
		for _, i := range rows {
			if x, err := t.Float(i, col); err == nil {
				v = append(v, x)
			}
		}
		return v
	}
	for _, g := range names {
		rows := groups[g]
		ns, _ := meanCI95(get(rows, "n_src"))
		nt, _ := meanCI95(get(rows, "n_tgt"))
		for _, m := range allMethods {
			raw := get(rows, m+"_err")
			if len(raw) == 0 {
				continue
			}
			mr, hr := meanCI95(raw)
			zo := "–"
			if v := get(rows, m+"_zo_err"); len(v) > 0 {
				mz, hz := meanCI95(v)
				zo = fmt.Sprintf("%.2f ± %.2f", mz, hz)
			}
			fl := "–"
			if v := get(rows, m+"_flipped"); len(v) > 0 {
				fr, _ := meanCI95(v)
				fz := "–"
				if w := get(rows, m+"_zo_flipped"); len(w) > 0 {
					x, _ := meanCI95(w)
					fz = fmt.Sprintf("%.0f%%", 100*x)
				}
				fl = fmt.Sprintf("%.0f%% → %s", 100*fr, fz)
			}
			fmt.Fprintf(&b, "| %s | %d | %.0f/%.0f | %s | %.2f ± %.2f | %s | %s |\n", g, len(raw), ns, nt, m, mr, hr, zo, fl)
		}
	}
	return results.WriteFileAtomic(path, []byte(b.String()))
}

// plotThreshold reports whether the cumulative figure shows threshold th:
// the 0.025-spaced ones, so that the tick labels do not collide.
func plotThreshold(th float64) bool {
	q := th / 0.025
	return math.Abs(q-math.Round(q)) < 1e-9
}
