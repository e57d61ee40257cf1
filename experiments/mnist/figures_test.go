package main

import (
	"fmt"
	"os"
	"path/filepath"
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
