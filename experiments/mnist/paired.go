package main

import (
	"fmt"
	"sort"

	"genlab/experiments/internal"
	"genlab/results"
)

// pairedColumns are the fid columns compared seed by seed: one per NFE
// sampled (nfe<n>_fid_lenet, the headline's among them) in increasing NFE,
// or the headline fid_lenet alone when the table has no per-NFE columns.
func pairedColumns(t *results.Table) []string {
	byNFE := internal.NFEColumns(t, "_fid_lenet")
	if len(byNFE) == 0 {
		return []string{"fid_lenet"}
	}
	nfes := make([]float64, 0, len(byNFE))
	for n := range byNFE {
		nfes = append(nfes, n)
	}
	sort.Float64s(nfes)
	cols := make([]string, len(nfes))
	for i, n := range nfes {
		cols[i] = byNFE[n]
	}
	return cols
}

// contextOf names what a row shares with its reference: everything of its
// setting but D and the target (network, resolution, training length and
// the sizes that vary across the table).
func contextOf(t *results.Table, i int) string {
	s := fmt.Sprintf("%s %d² %s steps", t.Get(i, "net"), atoi(t.Get(i, "res")), t.Get(i, "steps"))
	for _, c := range []string{"hidden", "layers", "channels", "batch", "lr", "n_eval", "n_train", "warmup", "ema_halflife"} {
		if len(distinct(t, c)) > 1 {
			s += " " + c + "=" + t.Get(i, c)
		}
	}
	return s
}

// armOf names a row's arm within its context: its D and its target.
func armOf(t *results.Table, i int) string {
	return "D=" + t.Get(i, "D") + targetLabel(t, i)
}

// pairedTable compares every arm with the EDM run (D = ∞, target edm) of
// the same context seed by seed, for each fid column, as
// internal.PairedRow: mean difference fid(arm) − fid(EDM) over the seeds
// both finished ± its 95% t-interval, and mde80, the smallest difference
// the design detects with 80% power. Rows come sorted by context and arm;
// an arm without a reference in its context is left out.
func pairedTable(t *results.Table) *results.Table {
	return internal.PairedTable(t, func(i int) string { return contextOf(t, i) }, func(i int) string { return armOf(t, i) },
		"D=inf", pairedColumns(t), nil)
}

// writePaired writes pairedTable as paired.csv beside summary.csv.
func writePaired(dir string, t *results.Table) error {
	if err := internal.WritePaired(dir, pairedTable(t)); err != nil {
		return fmt.Errorf("paired differences: %w", err)
	}
	return nil
}
