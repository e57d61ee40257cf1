package main

import (
	"fmt"
	"path/filepath"
	"sort"

	"gonum.org/v1/gonum/mat"

	"genlab/experiments/internal"
	"genlab/results"
)

// summaryFigures draws, from summary.csv: SW₁ against NFE per toy (mean ±
// 95% CI over seeds) with the held-out floor as its own series, and a bar
// chart of the network sampler, the exact-denoiser sampler and the floor.
func summaryFigures(dir string, t *results.Table) error {
	names, groups := settings(t)
	nfeCols := internal.NFEColumns(t, "_sw1")
	var series []results.Series
	var labels []string
	var bars [][]float64
	for _, g := range names {
		rows := groups[g]
		if v, err := t.Float(rows[0], "nfe"); err == nil {
			nfeCols[v] = "sw1" // the headline sampler
		}
		series = append(series, swVsNFE(t, g, rows, nfeCols)...)
		for _, col := range []string{"sw1", "ideal_sw1", "sw_floor"} {
			labels = append(labels, g+" "+col)
			bars = append(bars, column(t, rows, col))
		}
	}
	if err := results.MetricVsParam(filepath.Join(dir, "sw1_vs_nfe.png"), results.SweepPlot{
		Title: "toy2d: sliced W1 to held-out data vs sampler NFE", XLabel: "NFE (Heun)", YLabel: "SW1",
		LogX: true, LogY: true, Series: series, YBounds: results.NonNegative,
	}); err != nil {
		return err
	}
	return results.BarsCI(filepath.Join(dir, "sw1_bars.png"), "toy2d: network vs exact denoiser vs floor",
		"SW1 to held-out (mean ± 95% CI)", results.NonNegative, labels, bars)
}

// settings groups the rows that differ only in their seed, each group
// named by its toy and the settings that vary across the table; the names
// come sorted.
func settings(t *results.Table) ([]string, map[string][]int) {
	var varying []string
	for _, c := range []string{"target", "steps", "hidden", "layers", "batch", "lr", "n_train"} {
		for i := range t.Rows {
			if t.Get(i, c) != t.Get(0, c) {
				varying = append(varying, c)
				break
			}
		}
	}
	groups := map[string][]int{}
	for i := range t.Rows {
		g := t.Get(i, "toy")
		for _, c := range varying {
			g += " " + c + "=" + t.Get(i, c)
		}
		groups[g] = append(groups[g], i)
	}
	names := make([]string, 0, len(groups))
	for k := range groups {
		names = append(names, k)
	}
	sort.Strings(names)
	return names, groups
}

// swVsNFE returns the SW₁-against-NFE series of one setting (rows) and its
// held-out floor at the same NFEs; cols maps each NFE to its column.
func swVsNFE(t *results.Table, name string, rows []int, cols map[float64]string) []results.Series {
	s := results.Series{Name: name}
	floor := results.Series{Name: name + " floor"}
	nfes := make([]float64, 0, len(cols))
	for n := range cols {
		nfes = append(nfes, n)
	}
	sort.Float64s(nfes)
	for _, n := range nfes {
		if ys := column(t, rows, cols[n]); len(ys) > 0 {
			s.X, s.Y = append(s.X, n), append(s.Y, ys)
			floor.X, floor.Y = append(floor.X, n), append(floor.Y, column(t, rows, "sw_floor"))
		}
	}
	return []results.Series{s, floor}
}

// column returns the numeric values of column col in rows (cells that do
// not parse are left out).
func column(t *results.Table, rows []int, col string) []float64 {
	var v []float64
	for _, i := range rows {
		if x, err := t.Float(i, col); err == nil {
			v = append(v, x)
		}
	}
	return v
}

// taskFigures writes the task's pictures and samples: the network's and
// the exact denoiser's samples over held-out data, and the loss curve.
func taskFigures(cfg Config, dir *results.Dir, res map[string]float64, headline, xi, held *mat.Dense) error {
	title := fmt.Sprintf("%s, seed %d: SW1 %.3f (floor %.3f)", cfg.Toy, cfg.Seed, res["sw1"], res["sw_floor"])
	if err := results.Scatter2D(dir.Path("samples.png"), title, headline, held); err != nil {
		return err
	}
	if err := dir.WriteNPY(results.SamplesFile, headline); err != nil {
		return err
	}
	if err := results.Scatter2D(dir.Path("ideal_samples.png"), cfg.Toy+": exact-denoiser sampler", xi, held); err != nil {
		return err
	}
	steps, err := results.ReadMetrics(dir.Path("metrics.jsonl"))
	if err != nil {
		return err
	}
	return results.LossCurve(dir.Path("loss.png"), steps, "loss", true)
}
