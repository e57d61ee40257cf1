package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"

	"genlab/experiments/internal/kdiffrun"
	"genlab/results"
)

// summaryFigures draws, over the tasks sharing base's fixed settings: each
// metric against N per target (mean ± 95% CI over seeds), heatmaps N × k,
// the learned k against N beside k* = N/(N+n), and the teacher-forced MSE
// against s at the largest N.
func summaryFigures(dir string, t *results.Table, base kdiffrun.Config, order []string) error {
	rows := kdiffrun.Filter(t, kdiffrun.BaseFilter(base))
	if len(rows) == 0 {
		return nil
	}
	tag := base.Data
	if base.Embed == "curved" && base.Data != "blobs" && base.Data != "mnist" {
		tag += " (curved)"
	}
	tag += fmt.Sprintf(", %s-loss, %s s", base.Loss, base.TDist)
	// Settings other than the default get their own figure names, so sweeps
	// of different data or recipes in one run directory do not overwrite
	// each other's figures.
	prefix := ""
	if base.Data != "ring8" || base.Embed != "linear" || base.Loss != "u" || base.TDist != "uniform" || base.Sampler != "heun" {
		prefix = fmt.Sprintf("%s-%s-%s-%s-%s_", base.Data, base.Embed, base.Loss, base.TDist, base.Sampler)
	}
	name := func(f string) string { return filepath.Join(dir, prefix+f) }
	if err := metricFigures(t, rows, order, tag, name); err != nil {
		return err
	}
	Ns := kdiffrun.Distinct(t, rows, "N")
	if err := heatmaps(t, rows, order, Ns, tag, name); err != nil {
		return err
	}
	if err := learnedKFigure(t, rows, base, Ns, tag, name); err != nil {
		return err
	}
	return tfMSEFigure(t, rows, order, Ns, tag, name)
}

// metricFigures draws each metric against N, one series per target k.
func metricFigures(t *results.Table, rows []int, order []string, tag string, name func(string) string) error {
	plots := []struct{ col, file, ylabel string }{
		{"sw1", "sw1_vs_N.png", "intrinsic sliced W1 to held-out"},
		{"off_rms", "offman_vs_N.png", "off-manifold RMS ‖(I−PPᵀ)x‖/√N"},
		{"tf_mse_mean", "tfmse_vs_N.png", "teacher-forced E‖x̂−x‖², mean over s=0.1…0.9"},
		{"mmd2", "mmd2_vs_N.png", "intrinsic RBF MMD²"},
		{"fd_pixels", "fd_vs_N.png", "Fréchet distance (pixels)"},
	}
	for _, p := range plots {
		if t.Col(p.col) < 0 {
			continue
		}
		series := kdiffrun.SeriesBy(t, rows, "k", order, kdiffrun.KLabel, "N", p.col)
		if !kdiffrun.Plottable(series) {
			continue
		}
		if err := results.MetricVsParam(name(p.file), results.SweepPlot{
			Title: fmt.Sprintf("k-Diff: %s vs N (%s)", p.col, tag), XLabel: "ambient dimension N", YLabel: p.ylabel,
			LogX: true, LogY: true, Series: series, YBounds: results.NonNegative,
		}); err != nil {
			return err
		}
	}
	return nil
}

// heatmaps draws log10 of the mean of sw1, off_rms and tf_mse_mean over
// the grid N × k.
func heatmaps(t *results.Table, rows []int, order []string, Ns []float64, tag string, name func(string) string) error {
	xs := make([]string, len(Ns))
	for i, n := range Ns {
		xs[i] = strconv.Itoa(int(n))
	}
	for _, col := range []string{"sw1", "off_rms", "tf_mse_mean"} {
		if t.Col(col) < 0 {
			continue
		}
		var ys []string
		var z [][]float64
		for _, k := range order {
			row := make([]float64, len(Ns))
			for j, n := range Ns {
				row[j] = math.Log10(kdiffrun.Mean(kdiffrun.Finite(t, kdiffrun.Filter2(t, rows, map[string]string{"k": k, "N": strconv.Itoa(int(n))}), col)))
			}
			ys = append(ys, kdiffrun.KLabel(k))
			z = append(z, row)
		}
		if err := results.Heatmap(name("heatmap_"+col+".png"), xs, ys, z,
			fmt.Sprintf("log10 %s, N × k (%s)", col, tag)); err != nil {
			return err
		}
	}
	return nil
}

// learnedKFigure draws the learned k against N, with k* = N/(N+n).
func learnedKFigure(t *results.Table, rows []int, base kdiffrun.Config, Ns []float64, tag string, name func(string) string) error {
	learned := kdiffrun.SeriesBy(t, rows, "k", []string{"learn"}, func(string) string { return "learned k (mean of last 20%)" }, "N", "k_tail")
	if kdiffrun.Plottable(learned) && base.NIntr > 0 {
		star := results.Series{Name: "k* = N/(N+n)"}
		for _, n := range Ns {
			star.X = append(star.X, n)
			star.Y = append(star.Y, []float64{kdiffrun.KStar(int(n), base.NIntr)})
		}
		return results.MetricVsParam(name("learned_k_vs_N.png"), results.SweepPlot{
			Title: "learned k vs N (" + tag + ")", XLabel: "ambient dimension N", YLabel: "k",
			LogX: true, Series: append(learned, star), YBounds: results.UnitRange,
		})
	}
	return nil
}

// tfMSEFigure draws the teacher-forced MSE against s at the largest N.
func tfMSEFigure(t *results.Table, rows []int, order []string, Ns []float64, tag string, name func(string) string) error {
	if len(Ns) > 0 && t.Col("tf_mse_s0.5") >= 0 {
		nMax := strconv.Itoa(int(Ns[len(Ns)-1]))
		var series []results.Series
		for _, k := range order {
			sub := kdiffrun.Filter2(t, rows, map[string]string{"k": k, "N": nMax})
			s := results.Series{Name: kdiffrun.KLabel(k)}
			for _, lv := range kdiffrun.TFLevels {
				if ys := kdiffrun.Finite(t, sub, "tf_mse_s"+strconv.FormatFloat(lv, 'f', 1, 64)); len(ys) > 0 {
					s.X = append(s.X, lv)
					s.Y = append(s.Y, ys)
				}
			}
			if len(s.X) > 0 {
				series = append(series, s)
			}
		}
		if kdiffrun.Plottable(series) {
			if err := results.MetricVsParam(name("tfmse_vs_s.png"), results.SweepPlot{
				Title: fmt.Sprintf("teacher-forced E‖x̂−x‖² vs s at N=%s (%s)", nMax, tag), XLabel: "s (1 = clean)",
				YLabel: "E‖x̂−x‖²", LogY: true, Series: series,
			}); err != nil {
				return err
			}
		}
	}
	return nil
}
