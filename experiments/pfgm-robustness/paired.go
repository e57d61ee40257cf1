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
	dval := func(arm string) float64 { v, _ := pfgm.ParseD(strings.TrimPrefix(arm, "D=")); return v }
	return internal.PairedTable(t, func(i int) string { return t.Get(i, "data") }, func(i int) string { return "D=" + t.Get(i, "D") },
		"D=inf", pairedMetrics(t), func(a, b string) bool { return dval(a) < dval(b) })
}

// writePaired writes pairedTable as paired.csv in dir.
func writePaired(dir string, t *results.Table) error {
	if err := internal.WritePaired(dir, pairedTable(t)); err != nil {
		return fmt.Errorf("paired differences: %w", err)
	}
	return nil
}
