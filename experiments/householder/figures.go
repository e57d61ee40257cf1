package main

import (
	"fmt"
	"path/filepath"
	"sort"

	"genlab/results"
)

// summaryFigures draws one bar chart per score: per arm (and setting), the
// mean over seeds with a 95% CI.
func summaryFigures(dir string, t *results.Table) error {
	groups := map[string][]int{}
	for i := range t.Rows {
		g := fmt.Sprintf("k=%s ft=%s %s", t.Get(i, "k"), t.Get(i, "finetune_frac"), t.Get(i, "init"))
		groups[g] = append(groups[g], i)
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	share, pos := results.UnitRange, results.NonNegative
	for _, m := range []struct {
		key, label string
		b          results.Bounds
	}{
		{"purity", "intervention purity D", share}, {"coverage", "factors covered", pos}, {"live", "live share", share},
		{"mig", "MIG", share}, {"dci_d", "DCI disentanglement", share}, {"fvae", "FactorVAE score", share},
		{"fd", "Fréchet distance (factors)", pos}, {"fd_cnn", "Fréchet distance (CNN features)", pos}, {"pipl", "PIPL (pixel L2)", pos},
	} {
		var labels []string
		var vals [][]float64
		for _, g := range names {
			for _, arm := range allArms {
				col := arm + "_" + m.key
				if t.Col(col) < 0 {
					continue
				}
				var v []float64
				for _, i := range groups[g] {
					if x, err := t.Float(i, col); err == nil {
						v = append(v, x)
					}
				}
				if len(v) == 0 {
					continue
				}
				l := arm
				if len(names) > 1 {
					l = g + " " + arm
				}
				labels = append(labels, l)
				vals = append(vals, v)
			}
		}
		if len(labels) == 0 {
			continue
		}
		if err := results.BarsCI(filepath.Join(dir, "bars_"+m.key+".png"), "householder: "+m.label+" per arm",
			m.label+" (mean ± 95% CI over seeds)", m.b, labels, vals); err != nil {
			return err
		}
	}
	return nil
}
