package pfgmrun

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"genlab/data"
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

// The two-cluster toy is rescaled to per-coordinate std 0.5 (= σ_data).
func TestTwoClusterScale(t *testing.T) {
	ds, err := LoadData(TwoCluster100Name, 0, 4000, 10, 10)
	if err != nil {
		t.Fatal(err)
	}
	if s := data.PooledStd(ds.Train); math.Abs(s-0.5) > 0.03 {
		t.Errorf("pooled std %.4f, want 0.5", s)
	}
}

func TestQuantileAndHill(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5}
	for _, c := range []struct{ p, want float64 }{{0, 1}, {0.5, 3}, {0.9, 4.6}, {1, 5}} {
		if got := quantile(s, c.p); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("quantile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	// Pareto norms with α = 2.5: the Hill estimate on the top 2% is ≈ 2.5.
	x := data.RadialPareto(50000, 2, 2.5, 1, rand.New(rand.NewPCG(1, 1)))
	nx := norms(x)
	slices.Sort(nx)
	if h := hill(nx, 1000); math.Abs(h-2.5) > 0.2 {
		t.Errorf("Hill = %.3f, want 2.5", h)
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
