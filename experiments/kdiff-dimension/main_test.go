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

// Bad -k values (and other bad flags) exit 2 with one line naming the flag
// and the value.
func TestBadFlagsExit2(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"-k", "-0.1"}, {"-k", "1.5"}, {"-k", "abc"}, {"-k", "0,learn,2"}, {"-k", "learn-s"},
		{"-k-init", "1"}, {"-loss", "w"}, {"-tdist", "gamma"}, {"-data", "cifar"},
		{"-embed", "twisted"}, {"-N", "x"}, {"-steps", "-1"}, {"-sampler", "rk4"},
	} {
		exptest.UsageError(t, experiment, run, append(args, "-out", out, "-preset", "quick"), strings.TrimPrefix(args[0], "-"), args[1])
	}
	// Blobs need a square N.
	if code, _, stderr := internal.Capture(experiment, []string{"-data", "blobs", "-N", "50", "-out", out}, run); code != 2 {
		t.Errorf("-data blobs -N 50: exit %d (%s)", code, stderr)
	}
}

// The quick preset runs end to end (8 tasks: N ∈ {2, 32} × k ∈ {0, ½, 1,
// learn}), writes the contract's files and summary figures, and shows the
// headline already: at N = 32 ε-prediction is far worse than x-prediction
// (intrinsic SW₁ and off-manifold RMS), while at N = 2 they are close.
func TestQuickEndToEnd(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := internal.Capture(experiment, []string{"-preset", "quick", "-out", out}, run)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	type line struct {
		Key    string             `json:"key"`
		Config map[string]any     `json:"config"`
		Result map[string]float64 `json:"result"`
	}
	res := map[string]map[string]float64{}
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var ln line
		if err := json.Unmarshal([]byte(l), &ln); err != nil {
			t.Fatalf("stdout line %q: %v", l, err)
		}
		res[ln.Config["k"].(string)+"@"+jsonNum(ln.Config["N"])] = ln.Result
		for _, f := range []string{"config.json", "meta.json", "metrics.jsonl", "result.json", "samples.png", "loss.png"} {
			if _, err := os.Stat(filepath.Join(out, experiment, ln.Key, f)); err != nil {
				t.Errorf("missing %s: %v", f, err)
			}
		}
	}
	if len(res) != 8 {
		t.Fatalf("%d tasks, want 8", len(res))
	}
	for _, f := range []string{"summary.csv", "sw1_vs_N.png", "heatmap_sw1.png", "learned_k_vs_N.png", "tfmse_vs_s.png"} {
		if _, err := os.Stat(filepath.Join(out, experiment, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	x, eps := res["1@32"], res["0@32"]
	if !(x["sw1"] < 0.4) || !(eps["sw1"] > 4*x["sw1"]) || !(eps["off_rms"] > 10*x["off_rms"]) {
		t.Errorf("N=32: x sw1 %.3g off %.3g; ε sw1 %.3g off %.3g", x["sw1"], x["off_rms"], eps["sw1"], eps["off_rms"])
	}
	if a, b := res["1@2"]["sw1"], res["0@2"]["sw1"]; !(b < 3*a) {
		t.Errorf("N=2: ε sw1 %.3g should be close to x's %.3g", b, a)
	}
	if l := res["learn@32"]; !(l["k"] > 0.5) {
		t.Errorf("learned k at N=32 is %.3g, want it to rise above ½", l["k"])
	}
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestKillAnywhereSameMetrics: a learned-k task SIGKILLed at random moments
// and re-run reports the uninterrupted run's metrics, final_loss and k_tail
// included (k_tail averaged only the last process's steps, and was lost
// after a resume past training).
func TestKillAnywhereSameMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a binary (~10 s)")
	}
	bin := exptest.Build(t, ".")
	exptest.KillResume(t, bin, experiment, []string{"-preset", "quick", "-seeds", "0", "-N", "32", "-k", "learn", "-steps", "600"}, 10, 2)
}
