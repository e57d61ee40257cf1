package internal

import (
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"genlab/metrics"
	"genlab/results"
)

// PairedColumns is the header of a paired-differences table (paired.csv).
var PairedColumns = []string{"context", "arm", "reference", "metric", "n_pairs", "mean_diff", "ci95_half", "mde80",
	"reference_mean", "arm_mean", "diffs"}

// PairedRow compares an arm with its reference on one metric, pairing their
// values by key (the seed): dᵢ = arm(i) − reference(i) over the keys both
// have (finite values only, in sorted key order), reported as the mean
// difference ± the half-width of its 95% Student-t interval
// (t_{0.975,n−1}·s_d/√n, metrics.MeanCI95), mde80 — the smallest mean
// difference the same design (n pairs, the observed s_d) detects with 80%
// power at α = 0.05 (metrics.PairedMDE), so a null with a large mde80 is
// read as "could not tell", not "no effect" — both means over the pairs,
// and the differences. Pairing removes the variation both arms share per
// seed (data order, initial weights, sampling noise). ok is false when no
// key is in both.
func PairedRow(context, arm, reference, metric string, armVals, refVals map[string]float64) (row []string, ok bool) {
	keys := make([]string, 0, len(armVals))
	for k := range armVals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var d, ra, aa []float64
	for _, k := range keys {
		a, r := armVals[k], refVals[k]
		if _, in := refVals[k]; !in || math.IsNaN(a) || math.IsNaN(r) || math.IsInf(a, 0) || math.IsInf(r, 0) {
			continue
		}
		d, ra, aa = append(d, a-r), append(ra, r), append(aa, a)
	}
	if len(d) == 0 {
		return nil, false
	}
	m, h := metrics.MeanCI95(d)
	rm, _ := metrics.MeanCI95(ra)
	am, _ := metrics.MeanCI95(aa)
	ds := make([]string, len(d))
	for i, v := range d {
		ds[i] = fmtG(v)
	}
	return []string{context, arm, reference, metric, strconv.Itoa(len(d)), fmtG(m), fmtG(h),
		fmtG(metrics.PairedMDE(d, 0.8)), fmtG(rm), fmtG(am), strings.Join(ds, " ")}, true
}

func fmtG(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// WritePaired writes a paired-differences table as dir/paired.csv
// (nothing when it has no rows).
func WritePaired(dir string, t *results.Table) error {
	if len(t.Rows) == 0 {
		return nil
	}
	b, err := t.CSV()
	if err != nil {
		return err
	}
	return results.WriteFileAtomic(filepath.Join(dir, "paired.csv"), b)
}

// PairedTable compares, within each context, every arm with the reference
// arm ref seed by seed on each of cols, as PairedRow: row i of t belongs to
// context ctxOf(i) and arm armOf(i), and is paired by its "seed" cell.
// Rows come sorted by context, then arm by armLess (nil: string order); an
// arm whose context has no reference is left out.
func PairedTable(t *results.Table, ctxOf, armOf func(i int) string, ref string, cols []string, armLess func(a, b string) bool) *results.Table {
	type cell struct{ ctx, arm string }
	bySeed := map[cell]map[string]int{} // (context, arm) → seed → row
	for i := range t.Rows {
		c := cell{ctxOf(i), armOf(i)}
		if bySeed[c] == nil {
			bySeed[c] = map[string]int{}
		}
		bySeed[c][t.Get(i, "seed")] = i
	}
	if armLess == nil {
		armLess = func(a, b string) bool { return a < b }
	}
	cells := make([]cell, 0, len(bySeed))
	for c := range bySeed {
		cells = append(cells, c)
	}
	sort.Slice(cells, func(a, b int) bool {
		if cells[a].ctx != cells[b].ctx {
			return cells[a].ctx < cells[b].ctx
		}
		return armLess(cells[a].arm, cells[b].arm)
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
	out := &results.Table{Columns: PairedColumns}
	for _, c := range cells {
		refRows, ok := bySeed[cell{c.ctx, ref}]
		if !ok || c.arm == ref {
			continue
		}
		for _, col := range cols {
			if row, ok := PairedRow(c.ctx, c.arm, ref, col, values(bySeed[c], col), values(refRows, col)); ok {
				out.Rows = append(out.Rows, row)
			}
		}
	}
	return out
}
