package kdexp

import (
	"math"
	"math/rand/v2"
	"testing"

	"genlab/nn"
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

// The bottleneck network outputs F ≡ 0 at initialisation, its clone is a
// deep copy, and its parameters have the documented shapes.
func TestBottleneckMLP(t *testing.T) {
	cfg := BottleneckConfig{In: 12, B: 3, Hidden: 16, Layers: 2, Fourier: 4, FourierScale: 1}
	m, err := NewBottleneckMLP(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	want := 12*3 + (3+8)*16 + 16 + 16*16 + 16 + 16*12 + 12 // frozen frequencies excluded
	if n := nn.NumParams(m); n != want {
		t.Errorf("%d trainable parameters, want %d", n, want)
	}
	p, err := nn.NewPredictor(m, 5)
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

func TestKStar(t *testing.T) {
	for _, c := range [][3]float64{{4, 4, 0.5}, {16, 1, 16.0 / 17}, {512, 2, 512.0 / 514}} {
		if k := KStar(int(c[0]), int(c[1])); math.Abs(k-c[2]) > 1e-15 {
			t.Errorf("k*(%g,%g) = %g", c[0], c[1], k)
		}
	}
}
