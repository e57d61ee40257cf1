package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genlab/experiments/internal"
	"genlab/experiments/internal/exptest"
	"genlab/metrics"
	"genlab/results"
)

// Bad -k (0, larger than the HP layers' width), bad arms, bad fractions and
// bad inits exit 2 with one line naming the flag and the value.
func TestBadFlagsExit2(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"-k", "0"}, {"-k", "17"}, {"-k", "3,99"}, {"-arms", "pca"}, {"-finetune-frac", "0"},
		{"-init", "qr"}, {"-iters", "-1"}, {"-preset", "huge"}, {"-mix-prob", "1.5"}, {"-pl-weight", "-2"},
	} {
		full := append([]string{"-preset", "default"}, append(args, "-out", out)...)
		if args[0] == "-preset" {
			full = append(args, "-out", out)
		}
		last := args[1]
		if i := strings.LastIndex(last, ","); i >= 0 {
			last = last[i+1:]
		}
		exptest.UsageError(t, experiment, run, full, strings.TrimPrefix(args[0], "-"), last)
	}
	// In the quick preset the HP layers have C = 8 < d = 16, so k = 9 is too large.
	exptest.UsageError(t, experiment, run, []string{"-preset", "quick", "-k", "9", "-out", out}, "k", "9")
}

// The presets leave StyleGAN2's switches off and out of the hashed
// configuration, so task keys from before the switches existed stay valid.
func TestPresetKeysOmitStyleGAN2Switches(t *testing.T) {
	for _, p := range []internal.Preset{internal.Quick, internal.Default, internal.Full} {
		b, err := results.Canonical(preset(p))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"mix_prob", "pl_weight", "pl_every", "pl_decay", "noise"} {
			if strings.Contains(string(b), `"`+k+`"`) {
				t.Errorf("preset %v: %s in the hashed config %s", p, k, b)
			}
		}
	}
}

// The quick preset runs end to end on two arms, writes the pictures and
// sane scores, and a re-run skips the finished task.
func TestQuickEndToEnd(t *testing.T) {
	out := t.TempDir()
	line := exptest.RunOne(t, experiment, run, "-preset", "quick", "-arms", "sefa,hp", "-out", out)
	exptest.Files(t, filepath.Join(out, experiment, line.Key), "config.json", "meta.json", "metrics.jsonl", "result.json", "samples_g0.png",
		"traversal_sefa.png", "traversal_hp.png", "intervention_sefa.png", "intervention_hp.png", "hp.ckpt")
	r := line.Result
	for _, arm := range []string{"sefa", "hp"} {
		for _, m := range []string{"purity", "completeness", "live", "dci_d", "fvae"} {
			v, ok := r[arm+"_"+m]
			if !ok || v < 0 || v > 1+1e-9 {
				t.Errorf("%s_%s = %v (present %v), want in [0, 1]", arm, m, v, ok)
			}
		}
		if c := r[arm+"_coverage"]; c < 0 || c > 5 || c != float64(int(c)) {
			t.Errorf("%s_coverage = %v", arm, c)
		}
	}
	// The floor is two real sets: far below any barely trained generator.
	if !(r["fd_floor"] < r["g0_fd"]) {
		t.Errorf("fd_floor %v ≥ g0_fd %v", r["fd_floor"], r["g0_fd"])
	}
	if _, ok := r["ganspace_purity"]; ok {
		t.Error("ganspace ran although -arms excluded it")
	}
	if _, err := os.Stat(filepath.Join(out, experiment, "bars_purity.png")); err != nil {
		t.Errorf("summary figure: %v", err)
	}
	code, stdout, _ := internal.Capture(experiment, []string{"-preset", "quick", "-arms", "sefa,hp", "-out", out}, run)
	if code != 0 || !strings.Contains(stdout, `"cached":true`) {
		t.Errorf("re-run: exit %d, stdout %q: want the cached result", code, stdout)
	}
}

// TestSharedG0TrainedOnce: two tasks run at once (-jobs 2) that share the
// pre-trained G0 through the cache train it once: exactly one task's
// metrics.jsonl holds G0's training losses, the other waited on the phase's
// lock and loaded the final checkpoint.
func TestSharedG0TrainedOnce(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := internal.Capture(experiment, []string{"-preset", "quick", "-arms", "sefa", "-k", "3,5", "-jobs", "2", "-out", out}, run)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(stdout, "\n"); n != 2 {
		t.Fatalf("%d stdout lines, want 2: %s", n, stdout)
	}
	if res, _ := filepath.Glob(filepath.Join(out, experiment, "*", "result.json")); len(res) != 2 {
		t.Fatalf("result files %v, want 2", res)
	}
	// A task that trained nothing records no losses (and may have no
	// metrics.jsonl at all).
	files, err := filepath.Glob(filepath.Join(out, experiment, "*", "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	trained := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "g0_loss_d") {
			trained++
		}
	}
	if trained != 1 {
		t.Errorf("G0 trained by %d tasks, want 1", trained)
	}
}

// pairedTable pairs each arm with SeFa by seed within a setting: the mean
// difference and its t-interval match a hand computation, a seed missing
// from one arm is left out, and SeFa is not compared with itself.
func TestPairedAgainstSeFa(t *testing.T) {
	tab := &results.Table{Columns: []string{"seed", "sefa_purity", "hp_purity"}, Rows: [][]string{
		{"0", "0.5", "0.6"}, {"1", "0.4", "0.7"}, {"2", "0.45", "0.5"}, {"3", "0.3", ""},
	}}
	groups := map[string][]int{"g": {0, 1, 2, 3}}
	p := pairedTable(tab, groups, []string{"g"})
	if len(p.Rows) != 1 || p.Get(0, "arm") != "hp" || p.Get(0, "metric") != "purity" || p.Get(0, "n_pairs") != "3" {
		t.Fatalf("rows %v", p.Rows)
	}
	d := []float64{0.1, 0.3, 0.05}
	m, h := metrics.MeanCI95(d)
	gm, _ := p.Float(0, "mean_diff")
	gh, _ := p.Float(0, "ci95_half")
	if math.Abs(gm-m) > 1e-5 || math.Abs(gh-h) > 1e-5 {
		t.Errorf("paired %g ± %g, want %g ± %g", gm, gh, m, h)
	}
	if mde, _ := p.Float(0, "mde80"); !(mde > h) {
		t.Errorf("mde80 %g should exceed the CI half-width %g at n = 3", mde, h)
	}
}
