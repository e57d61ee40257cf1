package main

import (
	"fmt"
	"math"
	"path/filepath"

	"genlab/experiments/internal/pfgmrun"
	"genlab/pfgm"
	"genlab/results"
)

// plotMetrics get one figure per perturbation.
// A data set's figures are those of the metrics it has: sw1 and mmd2 for
// the toys and MNIST through the MLP, fid_lenet for mnist-unet.
var plotMetrics = []struct{ key, label string }{{"sw1", "Δ sliced W1"}, {"mmd2", "Δ MMD²"}, {"fid_lenet", "Δ fid_lenet"}}

// perturbation is one family of perturbed samplers, drawn against its
// strength x (α, bits or steps) from the columns d_<col(x)><metric>.
type perturbation struct {
	name, xlabel string
	xs           []float64
	col          func(x float64) string
	logX         bool
}

// summaryFigures draws, per data set and metric, one figure per
// perturbation (x = α, bits or steps; a line per D) plus the clean metric
// against D, and writes paired.csv (each D against EDM, seed by seed).
func summaryFigures(root string, t *results.Table, datas []string, alphas []float64, bits, nsteps []int) error {
	perts := []perturbation{
		{"alpha", "state-noise level α (x ← x + α·σ_i·ε before each step)", alphas, func(x float64) string { return "a" + fkey(x) + "_" }, false},
		{"bits", "weight bits b (per-tensor min–max)", ints(bits), func(x float64) string { return "b" + fkey(x) + "_" }, false},
		{"steps", "Heun steps n (NFE 2n−1)", ints(nsteps), func(x float64) string { return "n" + fkey(x) + "_" }, true},
	}
	for _, name := range datas {
		for _, m := range plotMetrics {
			for _, p := range perts {
				ser := seriesByD(t, name, p, m.key)
				if !pfgmrun.Plottable(ser) {
					continue
				}
				path := filepath.Join(root, experiment, fmt.Sprintf("robust_%s_%s_%s.png", p.name, name, m.key))
				if err := results.MetricVsParam(path, results.SweepPlot{
					Title:  fmt.Sprintf("%s: %s = M(perturbed) − M(clean), mean ± 95%% CI", name, m.label),
					XLabel: p.xlabel, YLabel: m.label, LogX: p.logX, Series: ser,
				}); err != nil {
					return err
				}
			}
			ser, err := pfgmrun.SeriesFor(t, "data", name, "data", "", "D", "clean_"+m.key)
			if err == nil && pfgmrun.Plottable(ser) {
				ser[0].Name = "clean"
				path := filepath.Join(root, experiment, fmt.Sprintf("robust_clean_%s_%s.png", name, m.key))
				if err := results.MetricVsParam(path, results.SweepPlot{
					Title: fmt.Sprintf("%s: clean %s vs D", name, m.key), XLabel: "D", YLabel: m.key, LogX: true, Series: ser,
				}); err != nil {
					return err
				}
			}
		}
	}
	return writePaired(filepath.Join(root, experiment), t)
}

// seriesByD returns, for the rows of data set name, one series per D of
// the degradation d_<p.col(x)><metric> against the perturbation strength x,
// in increasing D.
func seriesByD(t *results.Table, name string, p perturbation, metric string) []results.Series {
	byD := map[string]*results.Series{}
	var order []string
	for i := range t.Rows {
		if t.Get(i, "data") != name {
			continue
		}
		dcell := t.Get(i, "D")
		s, ok := byD[dcell]
		if !ok {
			s = &results.Series{Name: "D=" + dcell}
			byD[dcell] = s
			order = append(order, dcell)
		}
		for _, x := range p.xs {
			v, err := t.Float(i, "d_"+p.col(x)+metric)
			if err != nil {
				continue
			}
			j := indexOf(s.X, x)
			if j < 0 {
				s.X = append(s.X, x)
				s.Y = append(s.Y, nil)
				j = len(s.X) - 1
			}
			s.Y[j] = append(s.Y[j], v)
		}
	}
	sortD(order)
	var ser []results.Series
	for _, d := range order {
		if len(byD[d].X) > 0 {
			ser = append(ser, *byD[d])
		}
	}
	return ser
}

func ints(v []int) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func indexOf(xs []float64, x float64) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func sortD(cells []string) {
	val := func(s string) float64 {
		d, err := pfgm.ParseD(s)
		if err != nil {
			return math.NaN()
		}
		return d
	}
	for i := 1; i < len(cells); i++ {
		for j := i; j > 0 && val(cells[j]) < val(cells[j-1]); j-- {
			cells[j], cells[j-1] = cells[j-1], cells[j]
		}
	}
}
