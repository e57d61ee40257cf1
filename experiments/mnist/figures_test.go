package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genlab/results"
)

// fid_vs_k.png is drawn from a table with two fixed k and a learned k, and
// not at all from a table without k-Diff rows.
func TestFidVsK(t *testing.T) {
	dir := t.TempDir()
	tab := &results.Table{Columns: []string{"net", "res", "D", "target", "k", "loss", "fid_lenet", "k_final"}}
	for seed := 0; seed < 3; seed++ {
		for _, k := range []string{"0", "1", "learn"} {
			tab.Rows = append(tab.Rows, []string{"mlp", "14", "inf", "k", k, "v", fmt.Sprint(100 + seed), "0.8"})
		}
	}
	p := filepath.Join(dir, "fid_vs_k.png")
	if err := fidVsK(p, tab); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(p); err != nil || st.Size() == 0 {
		t.Fatalf("fid_vs_k.png: %v", err)
	}
	q := filepath.Join(dir, "none.png")
	tab.Rows = [][]string{{"mlp", "14", "inf", "edm", "", "", "100", ""}}
	if err := fidVsK(q, tab); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(q); err == nil {
		t.Error("fid_vs_k drawn without k-Diff rows")
	}
}

// fid_vs_k's reference lines: the EDM runs of the k runs' setting (their
// mean) and that setting's floor, not those of other settings.
func TestKRefs(t *testing.T) {
	cols := []string{"net", "res", "steps", "n_eval", "D", "target", "fid_lenet", "floor_fid_lenet"}
	tab := &results.Table{Columns: cols, Rows: [][]string{
		{"unet", "14", "1500", "5000", "inf", "k", "47", "13"},
		{"unet", "14", "1500", "5000", "inf", "edm", "48", "13.2"},
		{"unet", "14", "1500", "5000", "inf", "edm", "50", "13.4"},
		{"unet", "14", "1500", "5000", "64", "edm", "40", "13"},    // not D = ∞
		{"unet", "14", "12000", "10000", "inf", "edm", "7", "1.8"}, // another setting
	}}
	refs := kRefs(tab)
	if len(refs) != 2 || refs[0].Y != 49 || !strings.Contains(refs[0].Label, "EDM") || math.Abs(refs[1].Y-13.15) > 1e-12 {
		t.Errorf("refs %+v, want EDM 49 and the floor 13.15 of the 1,500-step setting", refs)
	}
}

// The floor line is drawn per sample count: floors at N = 5,000 and
// 10,000 are not averaged together.
func TestFloorRefPerN(t *testing.T) {
	tab := &results.Table{Columns: []string{"n_eval", "floor_fid_lenet"}, Rows: [][]string{
		{"10000", "1.8"}, {"5000", "13"}, {"10000", "2.0"}, {"5000", "14"},
	}}
	refs := floorRef(tab)
	if len(refs) != 2 || math.Abs(refs[0].Y-13.5) > 1e-12 || math.Abs(refs[1].Y-1.9) > 1e-12 || !strings.Contains(refs[0].Label, "5000") {
		t.Errorf("floor lines %+v, want 13.5 (N = 5000) and 1.9 (N = 10000)", refs)
	}
	tab.Rows = tab.Rows[:1]
	if refs := floorRef(tab); len(refs) != 1 || refs[0].Y != 1.8 {
		t.Errorf("one N: %+v", refs)
	}
}
