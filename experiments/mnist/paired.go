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
	type cell struct{ ctx, arm string }
	bySeed := map[cell]map[string]int{} // (context, arm) → seed → row
	for i := range t.Rows {
		c := cell{contextOf(t, i), armOf(t, i)}
		if bySeed[c] == nil {
			bySeed[c] = map[string]int{}
		}
		bySeed[c][t.Get(i, "seed")] = i
	}
	cells := make([]cell, 0, len(bySeed))
	for c := range bySeed {
		cells = append(cells, c)
	}
	sort.Slice(cells, func(a, b int) bool {
		if cells[a].ctx != cells[b].ctx {
			return cells[a].ctx < cells[b].ctx
		}
		return cells[a].arm < cells[b].arm
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
	const refArm = "D=inf"
	for _, c := range cells {
		ref, ok := bySeed[cell{c.ctx, refArm}]
		if !ok || c.arm == refArm {
			continue
		}
		for _, col := range pairedColumns(t) {
			if row, ok := internal.PairedRow(c.ctx, c.arm, refArm, col, values(bySeed[c], col), values(ref, col)); ok {
				out.Rows = append(out.Rows, row)
			}
		}
	}
	return out
}

// writePaired writes pairedTable as paired.csv beside summary.csv.
func writePaired(dir string, t *results.Table) error {
	if err := internal.WritePaired(dir, pairedTable(t)); err != nil {
		return fmt.Errorf("paired differences: %w", err)
	}
	return nil
}
