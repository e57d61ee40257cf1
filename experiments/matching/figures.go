package main

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"genlab/metrics"
	"genlab/results"
)

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

// meanCI95 is metrics.MeanCI95 with a half-width of 0 for one value (the
// table shows ± 0.00 for a single pair).
func meanCI95(v []float64) (mean, half float64) {
	if len(v) == 0 {
		return math.NaN(), 0
	}
	mean, half = metrics.MeanCI95(v)
	if len(v) < 2 {
		half = 0
	}
	return mean, half
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
