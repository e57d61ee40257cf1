package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

func randSlice(n int, std float64, rng *rand.Rand) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64() * std)
	}
	return s
}

// randomizeParams replaces every trainable parameter (including zero-initialised
// output layers and biases) with N(0, std²) draws, so that gradient checks see
// non-degenerate gradients everywhere.
func randomizeParams(m Model, std float64, rng *rand.Rand) {
	for _, p := range m.Params() {
		if p.Frozen {
			continue
		}
		copy(p.Data(), randSlice(p.Len(), std, rng))
	}
}

// lossFromOutput is the Trainer's loss computed in float64 from an output.
func lossFromOutput(out, target, weight []float32, batch int) float64 {
	d := len(out) / batch
	var l float64
	for i := 0; i < batch; i++ {
		var s float64
		for j := 0; j < d; j++ {
			e := float64(out[i*d+j]) - float64(target[i*d+j])
			s += e * e
		}
		l += float64(weight[i]) * s
	}
	return l / float64(batch)
}

// gradCheck compares the Trainer's gradients (gorgonia's reverse mode) with
// central differences of the loss evaluated through a Predictor, for up to
// maxPer elements of every trainable parameter. The tolerance suits float32
// forward passes: |g − fd| ≤ rtol·max(|g|,|fd|) + atol·gscale + floor, with
// gscale the largest gradient magnitude of the parameter and floor the
// float32 rounding noise of the difference quotient.
func gradCheck(t *testing.T, m Model, batch int, x, c, target, weight []float32, h float64, maxPer int, rng *rand.Rand) {
	t.Helper()
	tr, err := NewTrainer(m, batch, AdamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	pr, err := NewPredictor(m, batch)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	loss, grads, err := tr.Gradients(x, c, target, weight)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, batch*m.Out())
	lossAt := func() float64 {
		if err := pr.Predict(out, x, c); err != nil {
			t.Fatal(err)
		}
		return lossFromOutput(out, target, weight, batch)
	}
	// Both graphs must agree on the loss before any gradient is compared.
	if l := lossAt(); math.Abs(l-loss) > 1e-5*(1+math.Abs(l)) {
		t.Fatalf("training graph loss %v, forward graph loss %v", loss, l)
	}
	// Rounding of the float32 forward pass perturbs each loss by about
	// ε₃₂·|L|; the central difference divides that by 2h (safety factor 4).
	floor := 4 * 6e-8 * math.Abs(loss) / (2 * h)
	checked := 0
	for pi, p := range m.Params() {
		if p.Frozen {
			if grads[pi] != nil {
				t.Errorf("%s: frozen parameter has a gradient", p.Name)
			}
			continue
		}
		g := grads[pi]
		var gscale float64
		for _, v := range g {
			gscale = math.Max(gscale, math.Abs(float64(v)))
		}
		if gscale == 0 {
			t.Errorf("%s: gradient identically zero", p.Name)
			continue
		}
		idx := rng.Perm(p.Len())
		if len(idx) > maxPer {
			idx = idx[:maxPer]
		}
		d := p.Data()
		for _, j := range idx {
			old := d[j]
			d[j] = old + float32(h)
			hp := float64(d[j]) - float64(old)
			lp := lossAt()
			d[j] = old - float32(h)
			hm := float64(old) - float64(d[j])
			lm := lossAt()
			d[j] = old
			fd := (lp - lm) / (hp + hm)
			a := float64(g[j])
			if diff := math.Abs(a - fd); diff > 2e-2*math.Max(math.Abs(a), math.Abs(fd))+2e-3*gscale+floor {
				t.Errorf("%s[%d]: autodiff %.6g, central difference %.6g (|Δ| %.3g, scale %.3g)", p.Name, j, a, fd, diff, gscale)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no parameter checked")
	}
}

func tensorOf(d []float32, shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
}
