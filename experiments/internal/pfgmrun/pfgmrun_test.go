package pfgmrun

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"genlab/data"
	"genlab/results"
)

func TestLoadDataEveryName(t *testing.T) {
	for _, name := range DataNames() {
		if mnistSide(name) > 0 && CheckData(name) != nil {
			t.Logf("%s: %v (skipped)", name, CheckData(name))
			continue
		}
		ds, err := LoadData(name, 3, 50, 40, 30)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, m := range []struct {
			rows int
			x    interface{ Dims() (int, int) }
		}{{50, ds.Train}, {40, ds.Ref}, {30, ds.Floor}} {
			r, c := m.x.Dims()
			if r != m.rows || c != DimOf(name) || c != ds.Dim {
				t.Errorf("%s: %d×%d, want %d×%d", name, r, c, m.rows, ds.Dim)
			}
		}
		if !(ds.SigmaData > 0) {
			t.Errorf("%s: σ_data %v", name, ds.SigmaData)
		}
	}
	if CheckData("nope") == nil {
		t.Error("unknown name accepted")
	}
}

// TestScoreSeparates checks that the metrics are near zero for a fresh draw
// of the data and clearly larger for a wrong distribution, and that the
// tail metrics see a too-light tail.
func TestScoreSeparates(t *testing.T) {
	ds, err := LoadData("t2-2d", 5, 100, 20000, 2000)
	if err != nil {
		t.Fatal(err)
	}
	ev := NewEvaluator(ds, 1000)
	good := ev.Score("", ds.Floor)
	// A Gaussian with the same scale: same bulk, no heavy tail.
	light := data.StudentT(2000, 2, 1e6, HeavyScale, rand.New(rand.NewPCG(5, 99)))
	bad := ev.Score("", light)
	if !(bad["sw1"] > 3*good["sw1"]) || !(bad["mmd2"] > good["mmd2"]) {
		t.Errorf("sw1 %v vs %v, mmd2 %v vs %v", bad["sw1"], good["sw1"], bad["mmd2"], good["mmd2"])
	}
	if !(good["q99_err"] < 0.15) || !(bad["q99_lr"] < -0.5) {
		t.Errorf("q99: data %v, Gaussian log ratio %v (want clearly negative)", good["q99_err"], bad["q99_lr"])
	}
	if math.Abs(good["far_share"]-0.001) > 0.003 || bad["far_share"] != 0 {
		t.Errorf("far_share: data %v (≈0.001), Gaussian %v (0)", good["far_share"], bad["far_share"])
	}
	if h := good["hill"]; math.Abs(h-2) > 0.6 {
		t.Errorf("Hill of t₂ data %v, want ≈ 2", h)
	}
}

// TestMNISTKeyHashesContent: the MNIST data sets are read from data/mnist
// above the working directory, and their model and task keys hash the
// files' content (issue 18): two directories holding different files of
// the same names give different keys, the same files the same key, and a
// generated set has no digest (its keys are as before).
func TestMNISTKeyHashesContent(t *testing.T) {
	key := func(content string) string {
		dir := t.TempDir()
		mnist := filepath.Join(dir, "data", "mnist")
		if err := os.MkdirAll(mnist, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
			if err := os.WriteFile(filepath.Join(mnist, name), []byte(name+content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Chdir(dir)
		sha, err := DataDigests([]string{"mnist", "t2-2d"})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := sha["t2-2d"]; ok {
			t.Errorf("generated set t2-2d has a digest %q", sha["t2-2d"])
		}
		tc := DefaultTrain(784, "quick")
		tc.Data, tc.DataSHA = "mnist", sha["mnist"]
		k, err := results.Key(tc)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	a, b, c := key("a"), key("a"), key("b")
	if a != b || a == c {
		t.Errorf("keys: same files %s, %s; other files of the same names %s", a, b, c)
	}
}
