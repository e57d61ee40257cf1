package nn

import (
	"math"
	"testing"
)

func TestEMAFollowsClosedForm(t *testing.T) {
	m, _ := NewMLP(MLPConfig{In: 3, Out: 2, Hidden: 8, Layers: 2, Fourier: 3}, newRand(20))
	rng := newRand(21)
	randomizeParams(m, 1, rng)
	e := NewEMA(m)
	s0 := GetParams(e.Model())
	// Move the weights to a fixed p and hold them there: after k updates
	//   shadow_k = β^k·s₀ + (1−β^k)·p.
	randomizeParams(m, 1, rng)
	p := GetParams(m)
	const beta, k = 0.9, 25
	for i := 0; i < k; i++ {
		e.Update(m, beta)
	}
	bk := math.Pow(beta, k)
	for i, sp := range e.Model().Params() {
		for j, v := range sp.Data() {
			want := float64(p[i][j])
			if !sp.Frozen {
				want = bk*float64(s0[i][j]) + (1-bk)*float64(p[i][j])
			}
			if math.Abs(float64(v)-want) > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("%s[%d]: %v, closed form %v", sp.Name, j, v, want)
			}
		}
	}
	// β = 0 copies, β = 1 freezes.
	e.Update(m, 0)
	before := GetParams(e.Model())
	randomizeParams(m, 1, rng)
	e.Update(m, 1)
	after := GetParams(e.Model())
	for i := range p {
		for j := range p[i] {
			if before[i][j] != p[i][j] || after[i][j] != p[i][j] {
				t.Fatalf("β=0/1 at %d[%d]: %v %v, want %v", i, j, before[i][j], after[i][j], p[i][j])
			}
		}
	}
}

func TestEMABeta(t *testing.T) {
	// half-life of 10 000 samples at batch 500: 20 steps halve the weight.
	b := EMABeta(10000, 500)
	if got := math.Pow(b, 20); math.Abs(got-0.5) > 1e-12 {
		t.Fatalf("β^20 = %v, want 0.5", got)
	}
	if got := EMABeta(500, 500); got != 0.5 {
		t.Fatalf("EMABeta(500,500) = %v", got)
	}
	if EMABeta(0, 10) != 0 {
		t.Fatal("non-positive half-life should give β = 0")
	}
}
