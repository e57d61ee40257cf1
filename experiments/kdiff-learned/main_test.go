package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genlab/experiments/internal"
	"genlab/experiments/internal/exptest"
)

func TestBadFlagsExit2(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"-k", "-0.1"}, {"-k", "1.5"}, {"-k", "abc"}, {"-k", "0,learn-s"}, {"-pairs", "4:8"}, {"-pairs", "x"},
		{"-b", "3m"}, {"-recipes", "u/gamma"}, {"-recipes", "w/uniform"}, {"-widths", "0"},
		{"-k-init", "0"}, {"-sweeps", "depth"},
	} {
		exptest.UsageError(t, experiment, run, append(args, "-out", out, "-preset", "quick"), strings.TrimPrefix(args[0], "-"), args[1])
	}
}

func TestBottleneckWidths(t *testing.T) {
	for _, c := range []struct {
		rel     string
		N, n, b int
	}{{"n", 16, 4, 4}, {"2n", 16, 4, 8}, {"N", 16, 4, 16}, {"2n", 4, 4, 4}, {"4n", 64, 2, 8}} {
		if b, err := bWidth(c.rel, c.N, c.n); err != nil || b != c.b {
			t.Errorf("bWidth(%s, %d, %d) = %d, %v; want %d", c.rel, c.N, c.n, b, err, c.b)
		}
	}
	if canonicalRel("2n", 4, 4, 4) != "N" || canonicalRel("2n", 8, 16, 4) != "2n" {
		t.Error("canonicalRel")
	}
}

// The quick preset: pairs (4,4) and (64,2) with b ∈ {n, N} (three distinct
// tasks: b = n = N at (4,4)) and one width task, all with a learned k. The
// learned k must rise with N/n: at (64,2) it ends above its value at (4,4).
func TestQuickEndToEnd(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := internal.Capture(experiment, []string{"-preset", "quick", "-out", out}, run)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d tasks, want 4:\n%s", len(lines), stdout)
	}
	k := map[string]float64{}
	for _, l := range lines {
		var ln struct {
			Config map[string]any     `json:"config"`
			Result map[string]float64 `json:"result"`
		}
		if err := json.Unmarshal([]byte(l), &ln); err != nil {
			t.Fatal(err)
		}
		if ln.Config["sweep"] == "pairs" {
			b, _ := json.Marshal([]any{ln.Config["N"], ln.Config["n"], ln.Config["bottleneck"]})
			k[string(b)] = ln.Result["k_tail"]
		}
	}
	if !(k["[64,2,2]"] > k["[4,4,4]"]+0.1) || !(k["[64,2,64]"] > k["[4,4,4]"]+0.1) {
		t.Errorf("learned k does not rise with N/n: %v", k)
	}
	for _, f := range []string{"summary.csv", "learned_k_vs_ratio_u_uniform.png", "learned_vs_kstar.json"} {
		if _, err := os.Stat(filepath.Join(out, experiment, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}
