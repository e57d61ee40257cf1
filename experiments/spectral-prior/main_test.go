package main

import (
	"math"
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
		{"-prior", "magic"}, {"-regime", "dirty"}, {"-method", "oracle"}, {"-sets", "teapot"}, {"-k", "1"}, {"-npairs", "-1"},
		{"-net-steps", "-3"}, {"-net-hidden", "-1"}, {"-net-hidden", "5000"}, {"-net-clip", "-1"}, {"-net-clip", "NaN"},
	} {
		code, _, stderr := internal.Capture(experiment, append(args, "-out", out), run)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
		if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 {
			t.Errorf("%v: stderr %q: want one line", args, stderr)
		}
	}
	for _, v := range []string{"100,50", "-1", "0,10", "10,10", "x"} {
		exptest.UsageError(t, experiment, run, []string{"-net-curve", v, "-out", out}, "net-curve", v)
	}
}

// One quick blob pair end to end: the contract's files, the oracle floor
// below the Laplacian mask, the Laplacian mask (after ZoomOut) far below
// plain least squares, the exact prior's samples on training maps and the
// Gaussian prior's off them, and a re-run that skips the finished task.
func TestQuickPair(t *testing.T) {
	out := t.TempDir()
	args := []string{"-preset", "quick", "-sets", "blob", "-npairs", "1", "-regime", "clean,partial", "-prior", "exact,gaussian", "-out", out}
	line := exptest.RunOne(t, experiment, run, args...)
	exptest.Files(t, filepath.Join(out, experiment, line.Key), "config.json", "meta.json", "result.json", "clean_lap_fmap.png", "clean_refine_exact_zo_corr.png", "oracle_fmap.png")
	exptest.Files(t, filepath.Join(out, experiment), "summary.csv", "table.md", "signtest.md", "error_blob_k12.png", "samples_exact_k12_seed0.png", "samples_gaussian_k12_seed0.png")
	r := line.Result
	t.Logf("oracle %.2f, lap %.2f → ZO %.2f, lsq → ZO %.2f, distilled(exact) → ZO %.2f, samples: exact %.2g gaussian %.2g",
		r["oracle_err"], r["clean_lap_err"], r["clean_lap_zo_err"], r["clean_lsq_zo_err"], r["clean_distilled_exact_zo_err"],
		r["sample_nn_rel_exact"], r["sample_nn_rel_gaussian"])
	if !(r["oracle_err"] < r["clean_lap_err"]) {
		t.Errorf("oracle %.2f not below the Laplacian mask %.2f", r["oracle_err"], r["clean_lap_err"])
	}
	if !(r["clean_lsq_zo_err"] > 2*r["clean_lap_zo_err"]) || r["clean_lap_zo_err"] > 10 {
		t.Errorf("lsq %.2f vs lap %.2f after ZoomOut", r["clean_lsq_zo_err"], r["clean_lap_zo_err"])
	}
	if v := r["clean_distilled_exact_zo_err"]; math.IsNaN(v) || v > 10 {
		t.Errorf("distilled mask (exact prior) after ZoomOut: %.2f", v)
	}
	if !(r["sample_nn_rel_exact"] < 1e-3) || !(r["sample_nn_rel_gaussian"] > 0.1) {
		t.Errorf("sample distances to the training set: exact %.3g (want ≈ 0), Gaussian %.3g (want > 0.1)",
			r["sample_nn_rel_exact"], r["sample_nn_rel_gaussian"])
	}
	code, stdout, _ := internal.Capture(experiment, args, run)
	if code != 0 || !strings.Contains(stdout, `"cached":true`) {
		t.Errorf("re-run: exit %d, stdout %q: want the cached task", code, stdout)
	}
}

// TestCGALKeyHashesMeshContent: a CGAL test set's task key hashes the mesh
// file's content (issue 18). The meshes are read from data/cgal/meshes below
// the working directory, so two checkouts with different files of the same
// name used to share a key; now the same file gives one key wherever it
// is, a changed file another.
func TestCGALKeyHashesMeshContent(t *testing.T) {
	key := func(z string) string {
		dir := t.TempDir()
		meshes := filepath.Join(dir, "data", "cgal", "meshes")
		if err := os.MkdirAll(meshes, 0o755); err != nil {
			t.Fatal(err)
		}
		src := "OFF\n4 4 0\n0 0 0\n1 0 0\n0 1 0\n0 0 " + z + "\n3 0 2 1\n3 0 1 3\n3 0 3 2\n3 1 2 3\n"
		if err := os.WriteFile(filepath.Join(meshes, "hand.off"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Chdir(dir)
		code, stdout, stderr := internal.Capture(experiment, []string{"-plan", "-preset", "quick", "-sets", "hand", "-npairs", "1", "-out", t.TempDir()}, run)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return strings.SplitN(strings.SplitN(stdout, `"key":"`, 2)[1], `"`, 2)[0]
	}
	a, b, c := key("1"), key("1"), key("2")
	if a != b || a == c {
		t.Errorf("keys: same file %s, %s; changed file %s", a, b, c)
	}
}
