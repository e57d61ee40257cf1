package data

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The two-cluster toy is rescaled to per-coordinate std 0.5 (= σ_data).
func TestTwoClusterScale(t *testing.T) {
	tc := NewTwoClusterStd(100, 0.5, rand.New(rand.NewPCG(0, 0x57)))
	x, _ := tc.Sample(4000, rand.New(rand.NewPCG(0, 1)))
	if s := PooledStd(x); math.Abs(s-0.5) > 0.03 {
		t.Errorf("pooled std %.4f, want 0.5", s)
	}
}

// Each named heavy-tailed set parses, draws points of its dimension, and
// HeavySets lists them sorted.
func TestHeavySets(t *testing.T) {
	hs := HeavySets()
	for i, h := range hs {
		if i > 0 && hs[i-1].Name >= h.Name {
			t.Errorf("not sorted: %s before %s", hs[i-1].Name, h.Name)
		}
		p, ok := ParseHeavySet(h.Name)
		if !ok || p != h {
			t.Errorf("ParseHeavySet(%s) = %v, %v", h.Name, p, ok)
		}
		if r, c := h.Sample(7, rand.New(rand.NewPCG(1, 1))).Dims(); r != 7 || c != h.Dim {
			t.Errorf("%s: %d×%d sample, want 7×%d", h.Name, r, c, h.Dim)
		}
	}
	if len(hs) != 6 {
		t.Errorf("%d heavy sets, want 6", len(hs))
	}
	if _, ok := ParseHeavySet("t2"); ok {
		t.Error("t2 accepted")
	}
}
