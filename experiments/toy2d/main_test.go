package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"genlab/experiments/internal"
	"genlab/experiments/internal/exptest"
)

func TestBadFlagsExit2WithOneLine(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"-preset", "nope"}, {"-seeds", "x"}, {"-toy", "unknown"}, {"-threads", "0"},
		{"-target", "z"}, {"-steps", "-3"}, {"-heun-steps", "0"}, {"-lr", "-1"}, {"-sigma-data", "-1"},
		{"-sigma-data", "nan"}, {"-sigma-data", "inf"}, {"-lr", "inf"}, {"-target", "eps,z"}, {"-lr", "1e-3,2e-3"},
		{"-threads", "100000"}, {"-hidden", "100000000"},
	} {
		exptest.UsageError(t, experiment, run, append(args, "-out", out), strings.TrimPrefix(args[0], "-"), args[1])
	}
}

// TestTargetAliasesShareKey: -target v and -target v_prediction (and the
// other diffusers names) are one canonical target with one task key, and
// -target is sweepable.
func TestTargetAliasesShareKey(t *testing.T) {
	key := func(args ...string) []string {
		code, stdout, stderr := internal.Capture(experiment, append([]string{"-plan", "-seeds", "0", "-toy", "ring8"}, args...), run)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var keys []string
		for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
			var p struct {
				Key    string         `json:"key"`
				Config map[string]any `json:"config"`
			}
			if err := json.Unmarshal([]byte(l), &p); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, p.Key+"/"+p.Config["target"].(string))
		}
		return keys
	}
	for _, pair := range [][2]string{{"v", "v_prediction"}, {"eps", "epsilon"}, {"x", "sample"}} {
		a, b := key("-target", pair[0]), key("-target", pair[1])
		if len(a) != 1 || a[0] != b[0] || !strings.HasSuffix(a[0], "/"+pair[0]) {
			t.Errorf("-target %s: %v, -target %s: %v; want one key, target %q", pair[0], a, pair[1], b, pair[0])
		}
	}
	if ks := key("-target", "edm,eps,v"); len(ks) != 3 {
		t.Errorf("-target edm,eps,v: %v, want 3 tasks", ks)
	}
	if a, b := key(), key("-target", "edm"); a[0] != b[0] {
		t.Errorf("default target key %v != -target edm %v", a, b)
	}
}

// The quick preset runs end to end, writes the contract's files, and a
// re-run skips the finished task.
func TestQuickEndToEndAndSkip(t *testing.T) {
	out := t.TempDir()
	line := exptest.RunOne(t, experiment, run, "-preset", "quick", "-seeds", "0", "-out", out)
	exptest.Files(t, filepath.Join(out, experiment, line.Key), "config.json", "meta.json", "metrics.jsonl", "result.json", "samples.png", "loss.png", "checkpoint.bin",
		"label", "samples.npy")
	if ev, _ := filepath.Glob(filepath.Join(out, experiment, line.Key, "events.out.tfevents.*")); len(ev) == 0 {
		t.Error("no TensorBoard event file in the task directory")
	}
	exptest.Files(t, out, "toy2d/summary.csv", "toy2d/sw1_vs_nfe.png", "index.html")
	r := line.Result
	// Even the quick network beats the prior by far and reaches every mode;
	// the exact-denoiser sampler sits at the held-out floor (it returns
	// training points), well below the network.
	if !(r["sw1"] < 0.6) || r["modes_covered"] != 8 {
		t.Errorf("quick run: sw1 %.3f, modes %v", r["sw1"], r["modes_covered"])
	}
	if !(r["ideal_sw1"] < 2*r["sw_floor"]) {
		t.Errorf("exact-denoiser sw1 %.3f vs floor %.3f", r["ideal_sw1"], r["sw_floor"])
	}
	start := time.Now()
	code, stdout, _ := internal.Capture(experiment, []string{"-preset", "quick", "-seeds", "0", "-out", out}, run)
	if code != 0 || !strings.Contains(stdout, `"cached":true`) {
		t.Fatalf("re-run: exit %d, stdout %q", code, stdout)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("skipping a finished task took %v", d)
	}
}

// A run killed with SIGKILL mid-training resumes from its checkpoint when
// the same command is re-run, and completes.
func TestSIGKILLResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a binary")
	}
	bin := filepath.Join(t.TempDir(), "toy2d")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	out := t.TempDir()
	args := []string{"-preset", "quick", "-seeds", "3", "-steps", "4000", "-out", out}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		m, _ := filepath.Glob(filepath.Join(out, experiment, "*", "checkpoint.bin"))
		if len(m) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint within 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	m, _ := filepath.Glob(filepath.Join(out, experiment, "*", "result.json"))
	if len(m) != 0 {
		t.Fatal("the killed run finished before it was killed; make it longer")
	}
	var stderr bytes.Buffer
	rerun := exec.Command(bin, args...)
	rerun.Stderr = &stderr
	o, err := rerun.Output()
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	// The resumed run's progress counts from the checkpoint and ends at 100%.
	if !strings.Contains(stderr.String(), "seed3: done 4000/4000 (100%)") {
		t.Errorf("resumed progress does not end at 100%%:\n%s", stderr.String())
	}
	var line struct {
		Result map[string]float64 `json:"result"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(o), &line); err != nil {
		t.Fatalf("stdout %q: %v", o, err)
	}
	if line.Result["resumed_from"] < 500 {
		t.Fatalf("resumed from step %v, want ≥ 500 (a checkpoint)", line.Result["resumed_from"])
	}
}

// TestKillAnywhereSameMetrics: a quick run SIGKILLed at random moments
// (training, sampling, evaluation, between the last checkpoint and
// result.json) and re-run ends with every metric of the uninterrupted run —
// final_loss and loss_over_linear were 0 after a resume past training.
func TestKillAnywhereSameMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a binary (~15 s)")
	}
	bin := exptest.Build(t, ".")
	exptest.KillResume(t, bin, experiment, []string{"-preset", "quick", "-seeds", "0"}, 10, 1)
}
