package main

import (
	"fmt"
	"sort"
	"strings"

	"genlab/experiments/internal"
	"genlab/pfgm"
	"genlab/results"
)

// pairedMetrics are the columns compared between D and EDM seed by seed:
// every degradation d_<perturbation><metric> of a plotted metric and the
// clean metric itself.
func pairedMetrics(t *results.Table) []string {
	var cols []string
	for _, c := range t.Columns {
		for _, m := range plotMetrics {
			if c == "clean_"+m.key || (strings.HasPrefix(c, "d_") && strings.HasSuffix(c, "_"+m.key)) {
				cols = append(cols, c)
			}
		}
	}
	sort.Strings(cols)
	return cols
}

// pairedTable compares, per data set, every finite D with D = ∞ (EDM)
// seed by seed on each pairedMetrics column, as internal.PairedRow: the mean
// of ΔM(D) − ΔM(∞) over the seeds both have ± its 95% t-interval and mde80,
// the smallest difference the design detects with 80% power. The paper's
// claim, that smaller D degrades less, reads as a negative difference.
func pairedTable(t *results.Table) *results.Table {
	type cell struct{ data, d string }
	bySeed := map[cell]map[string]int{}
	for i := range t.Rows {
		c := cell{t.Get(i, "data"), t.Get(i, "D")}
		if bySeed[c] == nil {
			bySeed[c] = map[string]int{}
		}
		bySeed[c][t.Get(i, "seed")] = i
	}
	cells := make([]cell, 0, len(bySeed))
	for c := range bySeed {
		cells = append(cells, c)
	}
	dval := func(s string) float64 { v, _ := pfgm.ParseD(s); return v }
	sort.Slice(cells, func(a, b int) bool {
		if cells[a].data != cells[b].data {
			return cells[a].data < cells[b].data
		}
		return dval(cells[a].d) < dval(cells[b].d)
	})
	values := func(rows map[string]int, col string) map[string]float64 {
		v := map[string]float64{}
		for s, i := range rows {
			if x, err := t.Float(i, col); err == nil {
				v[s] = x
			}
		}
		return v
	}
	out := &results.Table{Columns: internal.PairedColumns}
	cols := pairedMetrics(t)
	for _, c := range cells {
		ref, ok := bySeed[cell{c.data, "inf"}]
		if !ok || c.d == "inf" {
			continue
		}
		for _, col := range cols {
			if row, ok := internal.PairedRow(c.data, "D="+c.d, "D=inf", col, values(bySeed[c], col), values(ref, col)); ok {
				out.Rows = append(out.Rows, row)
			}
		}
	}
	return out
}

// writePaired writes pairedTable as paired.csv in dir.
func writePaired(dir string, t *results.Table) error {
	if err := internal.WritePaired(dir, pairedTable(t)); err != nil {
		return fmt.Errorf("paired differences: %w", err)
	}
	return nil
}
