package metrics

import (
	"math"
	"testing"
)

func TestSpearman(t *testing.T) {
	a := []float64{1, 2, 3, 4, 5}
	if r := Spearman(a, []float64{10, 20, 30, 40, 50}); math.Abs(r-1) > 1e-12 {
		t.Errorf("monotone: %g", r)
	}
	if r := Spearman(a, []float64{5, 4, 3, 2, 1}); math.Abs(r+1) > 1e-12 {
		t.Errorf("reversed: %g", r)
	}
	// Ties get average ranks: ranks of b are (1.5, 1.5, 3, 4, 5).
	b := []float64{7, 7, 8, 9, 10}
	ra := []float64{1, 2, 3, 4, 5}
	rb := []float64{1.5, 1.5, 3, 4, 5}
	var sab, saa, sbb float64
	for i := range ra {
		sab += (ra[i] - 3) * (rb[i] - 3)
		saa += (ra[i] - 3) * (ra[i] - 3)
		sbb += (rb[i] - 3) * (rb[i] - 3)
	}
	if r, want := Spearman(a, b), sab/math.Sqrt(saa*sbb); math.Abs(r-want) > 1e-12 {
		t.Errorf("ties: %g, want %g", r, want)
	}
}
