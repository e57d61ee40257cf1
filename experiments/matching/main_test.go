package main

import (
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
		{"-pairs", "teapot"}, {"-method", "magic"}, {"-noise", "-1"}, {"-k", "-2"}, {"-zoomout", "5"},
		{"-cgal", "/nonexistent"}, {"-flip", "2"}, {"-flip", "nan"}, // TestFlipNaNRefused: -flip nan was accepted
	} {
		a := append(args, "-out", out)
		if args[0] == "-cgal" {
			a = append(a, "-pairs", "pig")
		}
		code, _, stderr := internal.Capture(experiment, a, run)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
		if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 {
			t.Errorf("%v: stderr %q: want one line", args, stderr)
		}
	}
}

// A quick blob pair end to end: the contract's files, ZoomOut better than
// the raw Laplacian-commutativity map, plain least squares far worse, and a
// re-run that skips the finished task.
func TestQuickBlobPair(t *testing.T) {
	out := t.TempDir()
	args := []string{"-preset", "quick", "-pairs", "blob", "-seeds", "1", "-out", out}
	line := exptest.RunOne(t, experiment, run, args...)
	exptest.Files(t, filepath.Join(out, experiment, line.Key), "config.json", "meta.json", "result.json", "commutativity_corr.png", "commutativity_zo_fmap.png")
	exptest.Files(t, filepath.Join(out, experiment), "summary.csv", "table.md", "geodesic_error_blob.png", "cumulative_error.png")
	r := line.Result
	t.Logf("lsq %.2f commutativity %.2f → ZoomOut %.2f, oracle %.2f", r["lsq_err"], r["commutativity_err"], r["commutativity_zo_err"], r["oracle_err"])
	if !(r["commutativity_zo_err"] < r["commutativity_err"]) || r["commutativity_zo_err"] > 6 {
		t.Errorf("ZoomOut %.2f vs commutativity %.2f", r["commutativity_zo_err"], r["commutativity_err"])
	}
	if r["lsq_err"] < 2*r["commutativity_err"] {
		t.Errorf("least squares %.2f not clearly worse than commutativity %.2f", r["lsq_err"], r["commutativity_err"])
	}
	code, stdout, _ := internal.Capture(experiment, args, run)
	if code != 0 || !strings.Contains(stdout, `"cached":true`) {
		t.Errorf("re-run: exit %d, stdout %q: want the cached task", code, stdout)
	}
}

// TestBadMeshFilesExit2: a mesh file that cannot be read, or has no usable
// face (OFF 0 0 panicked with index −1), exits 2 with one line naming the
// file; a mesh with degenerate faces is cleaned with a warning.
func TestBadMeshFilesExit2(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"pig":   "OFF 0 0\n",                                    // empty
		"hand":  "OFF\n3 1 0\n0 0 0\n1 0 0\n2 0 0\n3 0 1 2\n",   // all faces degenerate
		"cow":   "OFF\n3 1 0\n0 0 0\nnan 0 0\n0 1 0\n3 0 1 2\n", // NaN coordinate
		"homer": "OFF\n2000000000 1 0\n",                        // huge header
	} {
		if err := os.WriteFile(filepath.Join(dir, name+".off"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		exptest.UsageError(t, experiment, run, []string{"-cgal", dir, "-pairs", name, "-out", t.TempDir(), "-plan"}, name+".off")
	}
}

// TestCGALKeyHashesMeshContent: with -cgal the task key hashes the mesh
// file's content, not the directory: the same file in two directories is
// one key, a changed file another; the default directory's keys are as
// before (keyed by its path).
func TestCGALKeyHashesMeshContent(t *testing.T) {
	mk := func(z string) string {
		dir := t.TempDir()
		src := "OFF\n4 4 0\n0 0 0\n1 0 0\n0 1 0\n0 0 " + z + "\n3 0 2 1\n3 0 1 3\n3 0 3 2\n3 1 2 3\n"
		if err := os.WriteFile(filepath.Join(dir, "pig.off"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	key := func(args ...string) string {
		code, stdout, stderr := internal.Capture(experiment, append([]string{"-plan", "-pairs", "pig", "-seeds", "0", "-preset", "quick"}, args...), run)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return strings.SplitN(strings.SplitN(stdout, `"key":"`, 2)[1], `"`, 2)[0]
	}
	a, b, c := key("-cgal", mk("1")), key("-cgal", mk("1")), key("-cgal", mk("2"))
	if a != b || a == c {
		t.Errorf("keys: same file %s, %s; changed file %s", a, b, c)
	}
}

// TestMeshDefectsFlag: a mesh file with a zero-area face (face 4 of a
// tetrahedron file, on a vertex at the middle of an edge) is cleaned by
// default, with one warning line naming the file and the face; with
// -mesh-defects refuse it exits 2 with one line naming the file and the
// face; a bad value exits 2 naming the flag.
func TestMeshDefectsFlag(t *testing.T) {
	dir := t.TempDir()
	src := "OFF\n5 5 0\n0 0 0\n1 0 0\n0 1 0\n0 0 1\n0.5 0 0\n3 0 2 1\n3 0 1 3\n3 0 3 2\n3 1 2 3\n3 0 4 1\n"
	path := filepath.Join(dir, "pig.off")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-cgal", dir, "-pairs", "pig", "-seeds", "0", "-preset", "quick", "-out", t.TempDir(), "-plan"}
	code, _, stderr := internal.Capture(experiment, args, run)
	if code != 0 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "warning: "+path) || !strings.Contains(stderr, "faces [4]") {
		t.Errorf("default: exit %d, stderr %q: want 0 and one warning naming %s and face [4]", code, stderr, path)
	}
	exptest.UsageError(t, experiment, run, append(args, "-mesh-defects", "refuse"), path, "refused", "faces [4]")
	exptest.UsageError(t, experiment, run, append(args, "-mesh-defects", "drop"), "-mesh-defects", "drop")
}
