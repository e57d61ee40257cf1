package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"

	"genlab/experiments/internal"
	"genlab/results"
)

// pairedScores are the scores of the headline comparisons against SeFa.
var pairedScores = []string{"purity", "mig", "dci_d", "fvae", "fd", "fd_cnn"}

// pairedTable compares every arm with SeFa on each headline score, seed by
// seed within each setting (internal.PairedRow: mean difference arm − SeFa
// ± 95% t-interval, and mde80, the smallest difference the design detects
// with 80% power at α = 0.05), so a null is reported with what it could
// have seen.
func pairedTable(t *results.Table, groups map[string][]int, names []string) *results.Table {
	out := &results.Table{Columns: internal.PairedColumns}
	values := func(rows []int, col string) map[string]float64 {
		v := map[string]float64{}
		for _, i := range rows {
			if x, err := t.Float(i, col); err == nil {
				v[t.Get(i, "seed")] = x
			}
		}
		return v
	}
	for _, g := range names {
		for _, arm := range allArms {
			if arm == "sefa" {
				continue
			}
			for _, m := range pairedScores {
				if t.Col(arm+"_"+m) < 0 || t.Col("sefa_"+m) < 0 {
					continue
				}
				if row, ok := internal.PairedRow(g, arm, "sefa", m, values(groups[g], arm+"_"+m), values(groups[g], "sefa_"+m)); ok {
					out.Rows = append(out.Rows, row)
				}
			}
		}
	}
	return out
}

// summaryFigures draws one bar chart per score: per arm (and setting), the
// mean over seeds with a 95% CI; and paired.csv, every arm against SeFa.
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
	// Settings in numeric order of k, then fine-tune length, then init.
	num := func(g, col string) float64 {
		v, _ := strconv.ParseFloat(t.Get(groups[g][0], col), 64)
		return v
	}
	sort.Slice(names, func(a, b int) bool {
		ga, gb := names[a], names[b]
		if ka, kb := num(ga, "k"), num(gb, "k"); ka != kb {
			return ka < kb
		}
		if fa, fb := num(ga, "finetune_frac"), num(gb, "finetune_frac"); fa != fb {
			return fa < fb
		}
		return ga < gb
	})
	if err := internal.WritePaired(dir, pairedTable(t, groups, names)); err != nil {
		return fmt.Errorf("householder: paired differences: %w", err)
	}
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
