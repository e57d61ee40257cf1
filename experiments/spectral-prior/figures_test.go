package main

import (
	"math"
	"testing"

	"genlab/results"
)

// TestSignRowsPooled checks the per-regime sign tests pooled across sets
// against a hand computation on a synthetic table of six pairs (four held-out
// blobs, two category-shift pairs), with a tie and a missing value:
//
//	distilled − lap:     −2, −3, 0, +2, −4, −3 → 4 wins, 1 loss, n = 6,
//	                     p = 2·P(Bin(5, ½) ≤ 1) = 12/32, mean −10/6,
//	                     half-width t_{0.975,5}·s/√6 = 2.570582·2.250926/√6;
//	distilled − meanmap: row 1 missing → −1, −1, +1, −1, +1: 3/2, n = 5,
//	                     p = 2·P(Bin(5, ½) ≤ 2) = 1, mean −0.2, half-width
//	                     t_{0.975,4}·√1.2/√5 = 2.776445·√1.2/√5.
func TestSignRowsPooled(t *testing.T) {
	tab := &results.Table{
		Columns: []string{"set", "k", "pair", "clean_lap_zo_err", "clean_meanmap_zo_err", "clean_distilled_exact_zo_err"},
		Rows: [][]string{
			{"blob", "12", "0", "12", "11", "10"},
			{"blob", "12", "1", "15", "", "12"},
			{"blob", "12", "2", "8", "9", "8"},
			{"blob", "12", "3", "18", "19", "20"},
			{"shift3", "12", "0", "9", "6", "5"},
			{"shift3", "12", "1", "10", "6", "7"},
		},
	}
	base := Config{Regimes: []string{"clean"}, Methods: []string{"lap", "meanmap", "distilled"}, Priors: []string{"exact"}}
	gs := summaryGroups(tab)
	all, ok := gs.m["all k=12"]
	if !ok || len(all.rows) != 6 {
		t.Fatalf("pooled group: %v, want the 6 rows (groups %v)", all, gs.order)
	}
	got := map[string]signRow{}
	for _, r := range signRows(tab, all.rows, base, "clean") {
		got[r.Label+" vs "+r.Ref] = r
	}
	if len(got) != 3 { // distilled vs lap and meanmap, meanmap vs lap
		t.Errorf("sign rows %v: want 3", got)
	}
	const t5, t4 = 2.570582, 2.776445 // t_{0.975, 5}, t_{0.975, 4}
	for _, c := range []struct {
		name                string
		wins, losses, n     int
		p, mean, half, htol float64
	}{
		{"distilled (exact) vs lap", 4, 1, 6, 12.0 / 32, -10.0 / 6, t5 * 2.250926 / math.Sqrt(6), 1e-5},
		{"distilled (exact) vs meanmap", 3, 2, 5, 1, -0.2, t4 * math.Sqrt(1.2) / math.Sqrt(5), 1e-5},
	} {
		r, ok := got[c.name]
		if !ok {
			t.Errorf("%s: missing", c.name)
			continue
		}
		if r.Wins != c.wins || r.Losses != c.losses || r.N != c.n {
			t.Errorf("%s: %d/%d of %d, want %d/%d of %d", c.name, r.Wins, r.Losses, r.N, c.wins, c.losses, c.n)
		}
		if math.Abs(r.P-c.p) > 1e-9 || math.Abs(r.Mean-c.mean) > 1e-12 || math.Abs(r.Half-c.half) > c.htol {
			t.Errorf("%s: p %v mean %v half %v, want %v %v %v", c.name, r.P, r.Mean, r.Half, c.p, c.mean, c.half)
		}
	}
	// The held-out blobs alone: −2, −3, 0, +2 → 2/1, p = 2·P(Bin(3, ½) ≤ 1) = 1.
	for _, r := range signRows(tab, gs.m["blob k=12"].rows, base, "clean") {
		if r.Label == "distilled (exact)" && r.Ref == "lap" && (r.Wins != 2 || r.Losses != 1 || r.N != 4 || r.P != 1) {
			t.Errorf("blob group: %+v, want 2/1 of 4, p 1", r)
		}
	}
	// One set: no pooled "all" group (it would repeat the set's rows).
	one := &results.Table{Columns: tab.Columns, Rows: tab.Rows[:4]}
	if _, ok := summaryGroups(one).m["all k=12"]; ok {
		t.Error("a single set has an \"all\" group")
	}
}
