package exptest

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Build compiles the experiment in the package directory dir (usually
// ".") into a temporary binary and returns its path.
func Build(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "exp")
	if b, err := exec.Command("go", "build", "-o", bin, dir).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	return bin
}

// readResults reads every task's result.json under out/experiment, keyed by task
// directory.
func readResults(t testing.TB, out, experiment string) map[string]map[string]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(out, experiment, "*", "result.json"))
	res := map[string]map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		res[filepath.Base(filepath.Dir(f))] = m
	}
	return res
}

// runBin runs bin with args to completion and fails t unless it exits 0.
func runBin(t testing.TB, bin string, args []string) {
	t.Helper()
	if b, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, b)
	}
}

// bookkeeping reports whether a result field is allowed to differ between
// an interrupted and an uninterrupted run: timings, the resume step and the
// file's own checksum.
func bookkeeping(name string) bool {
	return strings.Contains(name, "seconds") || name == "resumed_from" || name == "result_sha256"
}

// KillResume is the crash-resume check of issue 18. It runs bin with args
// (which must not contain -out) once uninterrupted, then again in another
// run root, killing the process with SIGKILL kills times at moments drawn
// uniformly over the uninterrupted run's duration (from a PCG seeded with
// seed: training, sampling, evaluation and writing all get hit), re-running
// the same command after each kill; a run that finishes before its kill has
// its result.json files deleted (a kill between the last checkpoint and
// result.json) and goes on. Finally it runs to completion, deletes every
// result.json once more and re-runs, and asserts that every field of every
// task's result.json equals the uninterrupted run's (bit for bit; timings,
// resumed_from and the checksum excepted).
func KillResume(t *testing.T, bin, experiment string, args []string, kills int, seed uint64) {
	t.Helper()
	ref := t.TempDir()
	t0 := time.Now()
	runBin(t, bin, append(args, "-out", ref))
	full := time.Since(t0)
	want := readResults(t, ref, experiment)
	if len(want) == 0 {
		t.Fatal("the uninterrupted run wrote no result.json")
	}
	out := t.TempDir()
	rng := rand.New(rand.NewPCG(seed, 18))
	dropResults := func() {
		files, _ := filepath.Glob(filepath.Join(out, experiment, "*", "result.json"))
		for _, f := range files {
			os.Remove(f)
		}
	}
	finished := 0
	for i := 0; i < kills; i++ {
		cmd := exec.Command(bin, append(args, "-out", out)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		after := time.Duration(float64(full) * (0.02 + 0.98*rng.Float64()))
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d exited early: %v", i, err)
			}
			finished++
			dropResults()
		case <-time.After(after):
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-done
		}
		t.Logf("kill %d at %v of %v", i, after.Round(time.Millisecond), full.Round(time.Millisecond))
	}
	runBin(t, bin, append(args, "-out", out))
	dropResults()
	runBin(t, bin, append(args, "-out", out))
	got := readResults(t, out, experiment)
	if len(got) != len(want) {
		t.Fatalf("%d tasks finished, want %d", len(got), len(want))
	}
	for key, w := range want {
		g := got[key]
		for name, wv := range w {
			if bookkeeping(name) {
				continue
			}
			if gv, ok := g[name]; !ok || !same(gv, wv) {
				t.Errorf("task %s: %s = %v after kills, %v uninterrupted", key, name, g[name], wv)
			}
		}
		for name := range g {
			if _, ok := w[name]; !ok && !bookkeeping(name) {
				t.Errorf("task %s: %s only after kills", key, name)
			}
		}
	}
	t.Logf("%d kills (%d landed after the end), uninterrupted run %v", kills, finished, full.Round(time.Millisecond))
}

// same compares two decoded JSON values, NaN equal to NaN.
func same(a, b any) bool {
	fa, oka := a.(float64)
	fb, okb := b.(float64)
	if oka && okb {
		return fa == fb || math.IsNaN(fa) && math.IsNaN(fb)
	}
	return a == b
}
