package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
)

func TestQuantileAndHill(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5}
	for _, c := range []struct{ p, want float64 }{{0, 1}, {0.5, 3}, {0.9, 4.6}, {1, 5}} {
		if got := Quantile(s, c.p); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Quantile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	// Pareto norms with α = 2.5: the Hill estimate on the top 2% is ≈ 2.5.
	x := data.RadialPareto(50000, 2, 2.5, 1, rand.New(rand.NewPCG(1, 1)))
	nx := RowNorms(x)
	slices.Sort(nx)
	if h := Hill(nx, 1000); math.Abs(h-2.5) > 0.2 {
		t.Errorf("Hill = %.3f, want 2.5", h)
	}
	if h := Hill(nx[:10], 10); !math.IsNaN(h) {
		t.Errorf("Hill with k = n: %v, want NaN", h)
	}
}

func TestRowNorms(t *testing.T) {
	x := mat.NewDense(2, 2, []float64{3, 4, 0, -2})
	if got := RowNorms(x); got[0] != 5 || got[1] != 2 {
		t.Errorf("RowNorms = %v, want [5 2]", got)
	}
}
