package main

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"genlab/experiments/internal"
	"genlab/metrics"
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
// the same context seed by seed: for each fid column, dᵢ = fid(arm, seed i)
// − fid(EDM, seed i) over the seeds both finished, reported as the mean
// difference ± the half-width of its 95% Student-t interval (t_{0.975,n−1}
// s_d/√n) and the per-seed differences. Pairing removes the seed-to-seed
// variation both arms share (the same data order, initial weights and
// sampling noise per seed), so the interval is that of the difference, not
// of either mean. mde80 is the smallest mean difference the same design
// (n pairs, the observed spread of d) detects with 80% power at α = 0.05
// (metrics.PairedMDE): a null with a large mde80 says little. Rows come sorted by context and arm; an arm without a
// reference in its context is left out.
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
	out := &results.Table{Columns: []string{"context", "arm", "reference", "metric", "n_pairs", "mean_diff", "ci95_half", "mde80", "reference_mean", "arm_mean", "diffs"}}
	const refArm = "D=inf"
	for _, c := range cells {
		ref, ok := bySeed[cell{c.ctx, refArm}]
		if !ok || c.arm == refArm {
			continue
		}
		for _, col := range pairedColumns(t) {
			var d, ra, aa []float64
			seeds := make([]string, 0, len(bySeed[c]))
			for s := range bySeed[c] {
				seeds = append(seeds, s)
			}
			sort.Strings(seeds)
			for _, s := range seeds {
				j, ok := ref[s]
				if !ok {
					continue
				}
				a, err1 := t.Float(bySeed[c][s], col)
				r, err2 := t.Float(j, col)
				if err1 != nil || err2 != nil || math.IsNaN(a) || math.IsNaN(r) {
					continue
				}
				d, ra, aa = append(d, a-r), append(ra, r), append(aa, a)
			}
			if len(d) == 0 {
				continue
			}
			m, h := metrics.MeanCI95(d)
			rm, _ := metrics.MeanCI95(ra)
			am, _ := metrics.MeanCI95(aa)
			ds := make([]string, len(d))
			for k, v := range d {
				ds[k] = strconv.FormatFloat(v, 'g', 6, 64)
			}
			out.Rows = append(out.Rows, []string{c.ctx, c.arm, refArm, col, strconv.Itoa(len(d)),
				fmtG(m), fmtG(h), fmtG(metrics.PairedMDE(d, 0.8)), fmtG(rm), fmtG(am), strings.Join(ds, " ")})
		}
	}
	return out
}

func fmtG(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// writePaired writes pairedTable as paired.csv beside summary.csv (nothing
// when no arm has a reference).
func writePaired(dir string, t *results.Table) error {
	p := pairedTable(t)
	if len(p.Rows) == 0 {
		return nil
	}
	b, err := p.CSV()
	if err != nil {
		return fmt.Errorf("paired differences: %w", err)
	}
	return results.WriteFileAtomic(filepath.Join(dir, "paired.csv"), b)
}
