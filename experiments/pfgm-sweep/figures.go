package main

import (
	"fmt"
	"path/filepath"

	"genlab/experiments/pfgm-sweep/pfgmexp"
	"genlab/results"
)

// sweepMetrics are drawn against D for every data set.
var sweepMetrics = []struct{ key, label string }{
	{"sw1", "sliced W1"},
	{"mmd2", "MMD²"},
	{"q99_err", "|log q99 ratio| of ‖x‖"},
	{"q999_err", "|log q99.9 ratio| of ‖x‖"},
	{"far_share", "share ‖x‖ > ref q99.9 (ref 0.001)"},
}

// summaryFigures draws, for each data set, every sweep metric against D
// (mean, 95% CI over seeds) with the held-out floor as a second series.
func summaryFigures(root string, t *results.Table, datas []string) error {
	for _, name := range datas {
		for _, m := range sweepMetrics {
			ser, err := pfgmexp.SeriesFor(t, "data", name, "data", "", "D", m.key)
			if err != nil || !pfgmexp.Plottable(ser) {
				continue
			}
			ser[0].Name = "model"
			if fl, err := pfgmexp.SeriesFor(t, "data", name, "data", "", "D", "floor_"+m.key); err == nil && len(fl) > 0 {
				fl[0].Name = "floor (held-out data)"
				ser = append(ser, fl[0])
			}
			path := filepath.Join(root, experiment, fmt.Sprintf("sweep_%s_%s.png", name, m.key))
			if err := results.MetricVsParam(path, results.SweepPlot{
				Title: fmt.Sprintf("%s: %s vs D (mean, 95%% CI over seeds)", name, m.label), XLabel: "D (augmented dimensions)", YLabel: m.label,
				LogX: true, Series: ser, YBounds: results.NonNegative,
			}); err != nil {
				return err
			}
		}
	}
	return nil
}
