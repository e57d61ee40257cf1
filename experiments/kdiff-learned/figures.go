package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	"genlab/experiments/internal/kdiffrun"
	"genlab/metrics"
	"genlab/results"
)

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
			s, ks, stars := learnedByRatio(t, rows, rel, ratios)
			if len(s.X) > 0 {
				series = append(series, s)
				var absErr float64
				for i, k := range ks {
					absErr += math.Abs(k - stars[i])
				}
				stats = append(stats, stat{Recipe: rc[0] + "/" + rc[1], Bottleneck: rel, Tasks: len(ks),
					Spearman: metrics.Spearman(ks, stars), MeanAbsErr: absErr / float64(len(ks)), MeanK: kdiffrun.Mean(ks)})
			}
		}
		star := results.Series{Name: "k* = N/(N+n)"}
		for _, x := range slices.Sorted(maps.Keys(ratios)) {
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

// learnedByRatio returns the learned k (k_tail) of the rows with
// bottleneck rel against N/n, one point per task, with each task's k and
// k* = N/(N+n); it records k* of every ratio in ratios.
func learnedByRatio(t *results.Table, rows []int, rel string, ratios map[float64]float64) (s results.Series, ks, stars []float64) {
	s = results.Series{Name: "learned k, b = " + rel}
	byRatio := map[float64][]float64{}
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
	}
	for _, x := range slices.Sorted(maps.Keys(byRatio)) {
		s.X = append(s.X, x)
		s.Y = append(s.Y, byRatio[x])
	}
	return s, ks, stars
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
