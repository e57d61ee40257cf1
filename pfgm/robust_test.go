package pfgm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"genlab/nn"
)

func TestQuantizeMinMaxByHand(t *testing.T) {
	// b = 2: Q = 3, scale = 2/3, zero = ⌊1.5⌋ = 1.
	// −1 → clamp(−0.5) = 0 → −2/3; 0 → 1 → 0; 0.5 → round(1.75) = 2 → 2/3;
	// 1 → round(2.5) = 2 (half to even) → 2/3.
	w := []float32{-1, 0, 0.5, 1}
	got := make([]float32, 4)
	QuantizeMinMax(got, w, 2)
	want := []float32{-2.0 / 3, 0, 2.0 / 3, 2.0 / 3}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Errorf("ŵ[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	// All-positive tensor: zero = 0, so the grid starts at 0, not at min.
	w = []float32{1, 2, 4}
	QuantizeMinMax(got[:3], w, 2) // scale 1: 1→1, 2→2, 4→round(4)=clamp 3 → 3
	for i, v := range []float32{1, 2, 3} {
		if got[i] != v {
			t.Errorf("positive: ŵ[%d] = %v, want %v", i, got[i], v)
		}
	}
	// Constant tensor is left alone.
	c := []float32{0.25, 0.25}
	QuantizeMinMax(c, c, 3)
	if c[0] != 0.25 || c[1] != 0.25 {
		t.Errorf("constant: %v", c)
	}
}

// TestQuantizeMinMaxProperties checks on Gaussian weights that at most 2^b
// levels remain, that every error is at most one step, and that the RMS
// error is near the uniform-quantiser value step/√12.
func TestQuantizeMinMaxProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	w := make([]float32, 50000)
	for i := range w {
		w[i] = float32(0.1*rng.NormFloat64() + 0.02)
	}
	lo, hi := w[0], w[0]
	for _, v := range w {
		lo, hi = min(lo, v), max(hi, v)
	}
	for _, b := range []int{3, 4, 5, 6, 8} {
		q := make([]float32, len(w))
		QuantizeMinMax(q, w, b)
		step := float64(hi-lo) / float64(int(1)<<b-1)
		levels := map[float32]bool{}
		var se float64
		for i := range w {
			levels[q[i]] = true
			e := float64(q[i] - w[i])
			if math.Abs(e) > step*(1+1e-5) {
				t.Fatalf("b=%d: |error| %v > step %v", b, math.Abs(e), step)
			}
			se += e * e
		}
		if len(levels) > 1<<b {
			t.Errorf("b=%d: %d levels", b, len(levels))
		}
		rms := math.Sqrt(se / float64(len(w)))
		if want := step / math.Sqrt(12); math.Abs(rms-want) > 0.15*want {
			t.Errorf("b=%d: RMS error %.4g, want ≈ %.4g", b, rms, want)
		}
	}
}

func TestStateNoise(t *testing.T) {
	if StateNoise(0, 1, 0) != nil {
		t.Error("α = 0 should give no hook")
	}
	const rows, cols, alpha, sigma = 400, 25, 0.2, 3.0
	x := mat.NewDense(rows, cols, nil)
	StateNoise(alpha, 9, 0)(4, sigma, x)
	// ε = Δx/(ασ) must be N(0,1).
	eps := make([]float64, 0, rows*cols)
	for _, v := range x.RawMatrix().Data {
		eps = append(eps, v/(alpha*sigma))
	}
	if s := ks1(eps, distuv.UnitNormal.CDF); s > ks1Crit(len(eps)) {
		t.Errorf("ε KS vs N(0,1) = %.4f", s)
	}
	// Shared across D and batch splits: rows 100.. of a split batch equal the
	// same rows of the whole batch; another step gives different ε.
	part := mat.NewDense(rows-100, cols, nil)
	StateNoise(alpha, 9, 100)(4, sigma, part)
	if !mat.Equal(part, x.Slice(100, rows, 0, cols)) {
		t.Error("ε depends on the batch split")
	}
	other := mat.NewDense(rows, cols, nil)
	StateNoise(alpha, 9, 0)(5, sigma, other)
	if mat.Equal(other, x) {
		t.Error("ε identical across steps")
	}
}

func TestQuantizeWeightsTouchesOnlyMatrices(t *testing.T) {
	m, err := nn.NewMLP(nn.MLPConfig{In: 3, Out: 3, Hidden: 32, Layers: 2, Fourier: 8}, rand.New(rand.NewPCG(6, 6)))
	if err != nil {
		t.Fatal(err)
	}
	// Give the zero-initialised output layer and the biases some values.
	vals := nn.GetParams(m)
	rng := rand.New(rand.NewPCG(6, 7))
	for _, v := range vals {
		for i := range v {
			v[i] += float32(0.01 * rng.NormFloat64())
		}
	}
	if err := nn.SetParams(m, vals); err != nil {
		t.Fatal(err)
	}
	before := nn.GetParams(m)
	q, names, err := QuantizeWeights(m, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"mlp.l0.w", "mlp.l1.w", "mlp.l2.w"}; !slices.Equal(names, want) {
		t.Errorf("quantised %v, want %v", names, want)
	}
	after := nn.GetParams(m)
	for i := range before {
		if !slices.Equal(before[i], after[i]) {
			t.Fatalf("original model changed (tensor %d)", i)
		}
	}
	for i, p := range q.Params() {
		v := nn.GetParams(q)[i]
		levels := map[float32]bool{}
		for _, x := range v {
			levels[x] = true
		}
		if IsWeightMatrix(p) {
			if len(levels) > 8 {
				t.Errorf("%s: %d levels at 3 bits", p.Name, len(levels))
			}
		} else if !slices.Equal(v, before[i]) {
			t.Errorf("%s (shape %v) changed", p.Name, p.Shape)
		}
	}
}
