package nn

import (
	"math/rand/v2"
	"testing"
)

// The bottleneck network outputs F ≡ 0 at initialisation, its clone is a
// deep copy, and its parameters have the documented shapes.
func TestBottleneckMLP(t *testing.T) {
	cfg := BottleneckConfig{In: 12, B: 3, Hidden: 16, Layers: 2, Fourier: 4, FourierScale: 1}
	m, err := NewBottleneckMLP(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	want := 12*3 + (3+8)*16 + 16 + 16*16 + 16 + 16*12 + 12 // frozen frequencies excluded
	if n := NumParams(m); n != want {
		t.Errorf("%d trainable parameters, want %d", n, want)
	}
	p, err := NewPredictor(m, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	x := make([]float32, 5*12)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	out := make([]float32, 5*12)
	if err := p.Predict(out, x, []float32{0, 0.2, 0.4, 0.6, 1}); err != nil {
		t.Fatal(err)
	}
	for _, v := range out {
		if v != 0 {
			t.Fatalf("F ≠ 0 at init: %v", v)
		}
	}
	c := m.Clone()
	c.Params()[1].Data()[0] += 1
	if m.Params()[1].Data()[0] == c.Params()[1].Data()[0] {
		t.Error("clone shares storage")
	}
	if _, err := NewBottleneckMLP(BottleneckConfig{In: 4, B: 0, Hidden: 8, Layers: 1, Fourier: 2, FourierScale: 1}, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("b = 0 accepted")
	}
}
