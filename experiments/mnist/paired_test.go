package main

import (
	"math"
	"strconv"
	"testing"

	"genlab/results"
)

// TestPairedTable checks the paired differences against a hand computation:
// arm − reference per seed, mean and Student-t half-width with n−1 degrees
// of freedom, pairs only over the seeds both finished, nothing for an arm
// without a reference in its context or for the reference itself.
func TestPairedTable(t *testing.T) {
	tab := &results.Table{Columns: []string{"net", "res", "steps", "D", "target", "seed", "fid_lenet", "nfe35_fid_lenet", "nfe11_fid_lenet"}}
	add := func(steps, d, seed string, f35, f11 float64) {
		s35, s11 := strconv.FormatFloat(f35, 'g', -1, 64), strconv.FormatFloat(f11, 'g', -1, 64)
		tab.Rows = append(tab.Rows, []string{"unet", "14", steps, d, "edm", seed, s35, s35, s11})
	}
	// Reference D=inf: seeds 0, 1, 2; arm D=4 on seeds 0, 1, 2 and 3 (no
	// reference for seed 3); a context (2000 steps) with no reference.
	add("8000", "inf", "0", 10, 30)
	add("8000", "inf", "1", 12, 31)
	add("8000", "inf", "2", 11, 29)
	add("8000", "4", "0", 13, 40)
	add("8000", "4", "1", 14, 36)
	add("8000", "4", "2", 15, 38)
	add("8000", "4", "3", 99, 99)
	add("2000", "4", "0", 50, 60)
	p := pairedTable(tab)
	if len(p.Rows) != 2 {
		t.Fatalf("want 2 rows (D=4 at NFE 11 and 35), got %d: %v", len(p.Rows), p.Rows)
	}
	want := map[string][]float64{
		"nfe11_fid_lenet": {10, 5, 9},
		"nfe35_fid_lenet": {3, 2, 4},
	}
	const t2 = 4.302652729911275 // t_{0.975, 2}
	for i := range p.Rows {
		if p.Get(i, "arm") != "D=4" || p.Get(i, "reference") != "D=inf" || p.Get(i, "n_pairs") != "3" {
			t.Fatalf("row %d: %v", i, p.Rows[i])
		}
		d := want[p.Get(i, "metric")]
		if d == nil {
			t.Fatalf("row %d: unexpected metric %q", i, p.Get(i, "metric"))
		}
		m := (d[0] + d[1] + d[2]) / 3
		var ss float64
		for _, v := range d {
			ss += (v - m) * (v - m)
		}
		half := t2 * math.Sqrt(ss/2) / math.Sqrt(3)
		gm, _ := p.Float(i, "mean_diff")
		gh, _ := p.Float(i, "ci95_half")
		if math.Abs(gm-m) > 1e-4 || math.Abs(gh-half) > 1e-4 {
			t.Errorf("%s: mean %g ± %g, want %g ± %g", p.Get(i, "metric"), gm, gh, m, half)
		}
	}
	if p.Get(0, "metric") != "nfe11_fid_lenet" {
		t.Errorf("metrics not in increasing NFE: %v", p.Rows)
	}
}
