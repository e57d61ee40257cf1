package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"genlab/data"
	"genlab/experiments/internal"
	"genlab/experiments/internal/exptest"
)

func TestBadFlagsExit2WithOneLine(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"-preset", "nope"}, {"-net", "resnet"}, {"-res", "9"}, {"-target", "z"}, {"-noise", "vp"},
		{"-D", "0.5"}, {"-steps", "-3"}, {"-heun-steps", "0"}, {"-data-dir", "/nonexistent/mnist"},
		{"-k", "1.5"}, {"-k", "0,z"}, {"-loss", "w"}, {"-k", "0.5", "-target", "eps"}, {"-k", "0", "-noise", "pfgm", "-D", "64"},
	} {
		exptest.UsageError(t, experiment, run, append(args, "-out", out), strings.TrimPrefix(args[0], "-"), args[1])
	}
}

// A tiny run end to end: the contract's files are written, the metrics are
// finite, an undertrained model is far from the train-vs-test floor, and a
// re-run skips the finished task.
func TestTinyEndToEndAndSkip(t *testing.T) {
	if _, err := data.DefaultMNISTDir(); err != nil {
		t.Skipf("MNIST not present (%v): run scripts/mnist-data.sh to enable this test", err)
	}
	out := t.TempDir()
	args := []string{"-preset", "quick", "-seeds", "0", "-steps", "120", "-n-eval", "300", "-heun-steps", "6,3", "-out", out}
	line := exptest.RunOne(t, experiment, run, args...)
	dir := filepath.Join(out, experiment, line.Key)
	exptest.Files(t, dir, "config.json", "meta.json", "metrics.jsonl", "result.json", "samples.png", "real.png",
		"loss.png", "fid_steps.png", "fidlenet.json", "checkpoint.bin")
	r := line.Result
	for _, k := range []string{"fid_lenet", "floor_fid_lenet", "kid_x1e3", "precision", "recall", "pixel_fd", "nfe11_fid_lenet", "nfe5_fid_lenet"} {
		if v, ok := r[k]; !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("result %s = %v (present %v)", k, v, ok)
		}
	}
	if r["n_eval"] != 300 || r["floor_n"] != 300 || r["n"] != 300 || r["quick"] != 1 {
		t.Errorf("sample counts n_eval %v, n %v, floor_n %v, quick %v", r["n_eval"], r["n"], r["floor_n"], r["quick"])
	}
	if !(r["fid_lenet"] > 3*r["floor_fid_lenet"]) {
		t.Errorf("120-step model fid_lenet %.3g not far above the floor %.3g", r["fid_lenet"], r["floor_fid_lenet"])
	}
	if r["lenet_test_accuracy"] < 0.98 {
		t.Errorf("lenet_test_accuracy %v", r["lenet_test_accuracy"])
	}
	if _, err := os.Stat(filepath.Join(out, "index.html")); err != nil {
		t.Errorf("index.html: %v", err)
	}
	code, stdout, _ := internal.Capture(experiment, args, run)
	if code != 0 || !strings.Contains(stdout, `"cached":true`) {
		t.Errorf("re-run: exit %d, stdout %q; want the cached result", code, stdout)
	}
}

// TestMNISTKeyHashesDataContent: the task key includes the identity of the
// idx files (before, a run on another data set with the same file names
// shared the digits' key and was "finished earlier, skipped"): the same
// files at another path give the same key, one changed byte another key.
func TestMNISTKeyHashesDataContent(t *testing.T) {
	// Two-image idx sets (valid, since -data-dir is read before any task)
	// that differ only in the first label.
	mk := func(labelByte byte) string {
		dir := t.TempDir()
		files := map[string]*data.IDX{
			"train-images-idx3-ubyte.gz": {Dims: []int{2, 28, 28}, Data: make([]byte, 2*28*28)},
			"t10k-images-idx3-ubyte.gz":  {Dims: []int{2, 28, 28}, Data: make([]byte, 2*28*28)},
			"train-labels-idx1-ubyte.gz": {Dims: []int{2}, Data: []byte{labelByte, 3}},
			"t10k-labels-idx1-ubyte.gz":  {Dims: []int{2}, Data: []byte{labelByte, 3}},
		}
		for name, x := range files {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			if err := x.Encode(zw); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	key := func(dir string) string {
		code, stdout, stderr := internal.Capture(experiment, []string{"-plan", "-preset", "quick", "-seeds", "0", "-data-dir", dir}, run)
		if code != 0 {
			t.Fatalf("-data-dir %s: exit %d: %s", dir, code, stderr)
		}
		var p struct {
			Key string `json:"key"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(stdout)), &p); err != nil {
			t.Fatal(err)
		}
		return p.Key
	}
	a, b, c := key(mk(0)), key(mk(0)), key(mk(1))
	if a != b {
		t.Errorf("same files at two paths: keys %s and %s", a, b)
	}
	if a == c {
		t.Errorf("different files share the key %s", a)
	}
}

// A learned k(s) schedule trains end to end: the result holds k at each of
// the seven knots, each in (0,1), they moved away from the ½ they started
// at, and k_final (the mean of k(s) over training σ) lies within their range.
func TestLearnedKScheduleEndToEnd(t *testing.T) {
	if _, err := data.DefaultMNISTDir(); err != nil {
		t.Skipf("MNIST not present (%v): run scripts/mnist-data.sh to enable this test", err)
	}
	out := t.TempDir()
	line := exptest.RunOne(t, experiment, run, "-preset", "quick", "-seeds", "0", "-steps", "60", "-n-eval", "200",
		"-eval-every", "60", "-eval-n", "100", "-heun-steps", "3", "-k", "learn-s", "-out", out)
	r := line.Result
	lo, hi, moved := 1.0, 0.0, 0
	for j := 0; j < 7; j++ {
		k, ok := r[fmt.Sprintf("k_knot%d", j)]
		if !ok || !(k > 0 && k < 1) {
			t.Fatalf("k_knot%d = %v (present %v)", j, k, ok)
		}
		lo, hi = math.Min(lo, k), math.Max(hi, k)
		if math.Abs(k-0.5) > 1e-3 {
			moved++
		}
	}
	if moved == 0 {
		t.Errorf("no knot moved from ½ in 60 steps")
	}
	if kf := r["k_final"]; !(kf >= lo && kf <= hi) {
		t.Errorf("k_final %v outside the knots' range [%v, %v]", kf, lo, hi)
	}
	checkIntrinsic(t, filepath.Join(out, experiment))
}

// checkIntrinsic reads intrinsic.csv: two estimates (two-NN, MLE) at the
// run's side, each n in the range published for MNIST pixels widened
// for 1,000 points (4–30, far from a broken estimator's 1 or N), inside its
// own interval, and k* = N/(N+n) with its interval mapped through it; and
// k_vs_s.png drawn beside it.
func checkIntrinsic(t *testing.T, dir string) {
	t.Helper()
	rows := readCSV(t, filepath.Join(dir, "intrinsic.csv"))
	if len(rows) != 2 {
		t.Fatalf("intrinsic.csv: %d rows, want 2 (two-nn, mle)", len(rows))
	}
	for _, r := range rows {
		f := func(c string) float64 {
			v, err := strconv.ParseFloat(r[c], 64)
			if err != nil {
				t.Fatalf("intrinsic.csv %s: %v", c, err)
			}
			return v
		}
		n, N := f("n"), f("ambient_N")
		if !(n > 4 && n < 30) || !(f("n_lo") <= n && n <= f("n_hi")) {
			t.Errorf("%s: n = %v [%v, %v]", r["method"], n, f("n_lo"), f("n_hi"))
		}
		if ks := f("k_star"); math.Abs(ks-N/(N+n)) > 1e-5 || !(f("k_star_lo") <= ks && ks <= f("k_star_hi")) {
			t.Errorf("%s: k* = %v [%v, %v], want N/(N+n) = %v", r["method"], ks, f("k_star_lo"), f("k_star_hi"), N/(N+n))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "k_vs_s.png")); err != nil {
		t.Errorf("k_vs_s.png: %v", err)
	}
}

// readCSV returns the rows of a CSV file as column → cell maps.
func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) < 1 {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for j, c := range recs[0] {
			m[c] = rec[j]
		}
		out = append(out, m)
	}
	return out
}
