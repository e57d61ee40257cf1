package nn

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"genlab/nn/kern"
)

// relErr returns max_i |a_i − b_i| / max_i |b_i|.
func relErr(a, b []float32) float64 {
	var num, den float64
	for i := range a {
		num = math.Max(num, math.Abs(float64(a[i])-float64(b[i])))
		den = math.Max(den, math.Abs(float64(b[i])))
	}
	if den == 0 {
		return num
	}
	return num / den
}

// engineCases are models whose engine route is checked against the
// gorgonia graph of the same weights.
func engineCases(t *testing.T) []struct {
	name  string
	m     Model
	batch int
} {
	t.Helper()
	u1, err := NewUNet(UNetConfig{C: 1, H: 4, W: 4, Channels: 4, Groups: 2, Embed: 6, Fourier: 2, FourierScale: 1}, newRand(1))
	if err != nil {
		t.Fatal(err)
	}
	u2, err := NewUNet(UNetConfig{C: 2, H: 8, W: 6, Channels: 8, Groups: 2, FourierScale: 2}, newRand(2))
	if err != nil {
		t.Fatal(err)
	}
	m1, err := NewMLP(MLPConfig{In: 5, Out: 5, Hidden: 16, Layers: 3, Fourier: 3, FourierScale: 1}, newRand(3))
	if err != nil {
		t.Fatal(err)
	}
	m2, err := NewMLP(MLPConfig{In: 3, Out: 2, Hidden: 8, Layers: 1}, newRand(4))
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		name  string
		m     Model
		batch int
	}{{"unet-1x4x4", u1, 3}, {"unet-2x8x6", u2, 5}, {"mlp-fourier", m1, 300}, {"mlp-plain", m2, 7}}
}

// TestEngineMatchesGraph: on the same weights, the engine's output agrees
// with the gorgonia graph of Model.Forward to 1e-5 relative, and its
// gradients with gorgonia's reverse mode to 1e-4 relative per parameter.
func TestEngineMatchesGraph(t *testing.T) {
	for _, tc := range engineCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRand(9)
			randomizeParams(tc.m, 0.3, rng)
			b := tc.batch
			x, c := randSlice(b*tc.m.In(), 1, rng), randSlice(b, 1, rng)
			target, w := randSlice(b*tc.m.Out(), 1, rng), randSlice(b, 1, rng)
			for i := range w {
				w[i] = float32(math.Abs(float64(w[i])) + 0.1)
			}
			pe, err := NewPredictor(tc.m, b)
			if err != nil {
				t.Fatal(err)
			}
			defer pe.Close()
			if pe.eng == nil {
				t.Fatal("model did not get the engine")
			}
			pg, err := newGraphPredictor(tc.m, b)
			if err != nil {
				t.Fatal(err)
			}
			defer pg.Close()
			oe, og := make([]float32, b*tc.m.Out()), make([]float32, b*tc.m.Out())
			if err := pe.Predict(oe, x, c); err != nil {
				t.Fatal(err)
			}
			if err := pg.Predict(og, x, c); err != nil {
				t.Fatal(err)
			}
			if e := relErr(oe, og); e > 1e-5 || math.IsNaN(e) {
				t.Fatalf("forward: engine vs graph relative error %.3g", e)
			}
			te, err := NewTrainer(tc.m, b, AdamConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer te.Close()
			tg, err := newGraphTrainer(tc.m, b, AdamConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			le, ge, err := te.Gradients(x, c, target, w)
			if err != nil {
				t.Fatal(err)
			}
			lg, gg, err := tg.Gradients(x, c, target, w)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(le-lg) > 1e-5*math.Abs(lg) {
				t.Fatalf("loss: engine %.8g, graph %.8g", le, lg)
			}
			worst := 0.0
			for i, p := range tc.m.Params() {
				if p.Frozen {
					if ge[i] != nil {
						t.Fatalf("gradient for frozen %s", p.Name)
					}
					continue
				}
				e := relErr(ge[i], gg[i])
				if e > 1e-4 || math.IsNaN(e) {
					t.Errorf("gradient of %s: relative error %.3g", p.Name, e)
				}
				worst = math.Max(worst, e)
			}
			t.Logf("worst gradient relative error %.3g", worst)
		})
	}
}

// TestEngineThreadCountInvariant: outputs, losses, gradients and three Adam
// steps are bit-identical at 1 and 3 threads.
func TestEngineThreadCountInvariant(t *testing.T) {
	for _, tc := range engineCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			run := func(threads int) (out []float32, loss float64, params [][]float32) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
				m := tc.m.Clone()
				rng := newRand(11)
				randomizeParams(m, 0.3, rng)
				b := tc.batch
				x, c := randSlice(b*m.In(), 1, rng), randSlice(b, 1, rng)
				target := randSlice(b*m.Out(), 1, rng)
				tr, err := NewTrainer(m, b, AdamConfig{LR: 1e-2})
				if err != nil {
					t.Fatal(err)
				}
				defer tr.Close()
				for s := 0; s < 3; s++ {
					l, o, err := tr.Step(x, c, target, ones(b))
					if err != nil {
						t.Fatal(err)
					}
					loss, out = l, append([]float32(nil), o...)
				}
				return out, loss, GetParams(m)
			}
			o1, l1, p1 := run(1)
			o3, l3, p3 := run(3)
			if l1 != l3 || relErr(o1, o3) != 0 || !equalLists(p1, p3) {
				t.Fatalf("1 and 3 threads differ: loss %v vs %v, out err %g", l1, l3, relErr(o1, o3))
			}
		})
	}
}

// TestEngineNoSteadyStateAllocation: after the first call, a training step
// and a prediction allocate nothing. (Not where kern's GEMM is gonum's —
// -tags purego or a CPU without AVX2 — whose parallel products allocate.)
func TestEngineNoSteadyStateAllocation(t *testing.T) {
	if strings.Contains(kern.Impl(), "gemm=gonum") {
		t.Skipf("kern %s: gonum's Sgemm allocates", kern.Impl())
	}
	for _, tc := range engineCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
			b := tc.batch
			rng := newRand(12)
			x, c := randSlice(b*tc.m.In(), 1, rng), randSlice(b, 1, rng)
			target := randSlice(b*tc.m.Out(), 1, rng)
			tr, err := NewTrainer(tc.m.Clone(), b, AdamConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			w := ones(b)
			step := func() {
				if _, _, err := tr.Step(x, c, target, w); err != nil {
					t.Fatal(err)
				}
			}
			step()
			if a := testing.AllocsPerRun(5, step); a != 0 {
				t.Errorf("Trainer.Step: %v allocations per step", a)
			}
			p, err := NewPredictor(tc.m, b)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			out := make([]float32, b*tc.m.Out())
			pred := func() {
				if err := p.Predict(out, x, c); err != nil {
					t.Fatal(err)
				}
			}
			pred()
			if a := testing.AllocsPerRun(5, pred); a != 0 {
				t.Errorf("Predictor.Predict: %v allocations per call", a)
			}
		})
	}
}

func TestShards(t *testing.T) {
	for _, c := range []struct{ b, target, want int }{
		{1, 16, 1}, {16, 16, 1}, {17, 16, 2}, {64, 20, 4}, {64, 15, 6}, {3, 1, 3}, {500, 20, 26}, {5, 2, 4},
	} {
		p := shards(c.b, c.target)
		if len(p) != c.want {
			t.Errorf("shards(%d, %d): %d shards, want %d", c.b, c.target, len(p), c.want)
		}
		next, lo, hi := 0, c.b, 0
		for _, s := range p {
			if s[0] != next || s[1] <= s[0] {
				t.Fatalf("shards(%d, %d) = %v: not contiguous", c.b, c.target, p)
			}
			next = s[1]
			lo, hi = min(lo, s[1]-s[0]), max(hi, s[1]-s[0])
		}
		if next != c.b || hi-lo > 1 {
			t.Fatalf("shards(%d, %d) = %v", c.b, c.target, p)
		}
	}
}

// TestEngineGoroutinesEndWithoutClose: a Predictor dropped without Close
// does not leave its worker goroutines behind.
func TestEngineGoroutinesEndWithoutClose(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	m := engineCases(t)[1].m
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		p, err := NewPredictor(m, 8)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float32, 8*m.Out())
		if err := p.Predict(out, make([]float32, 8*m.In()), make([]float32, 8)); err != nil {
			t.Fatal(err)
		}
	}
	for try := 0; try < 50 && runtime.NumGoroutine() > before; try++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines before, %d after dropping five Predictors", before, n)
	}
}

// TestEngineFrozenLayer: with a convolution of the U-Net frozen, a step
// leaves it unchanged, reports no gradient for it, and the other gradients
// equal the gorgonia graph's (which skips frozen parameters its own way).
func TestEngineFrozenLayer(t *testing.T) {
	u, err := NewUNet(UNetConfig{C: 1, H: 4, W: 4, Channels: 4, Groups: 2, Embed: 6, Fourier: 2, FourierScale: 1}, newRand(21))
	if err != nil {
		t.Fatal(err)
	}
	rng := newRand(22)
	randomizeParams(u, 0.3, rng)
	u.r0.Conv1.W.Frozen = true
	const b = 3
	x, c, target := randSlice(b*16, 1, rng), randSlice(b, 1, rng), randSlice(b*16, 1, rng)
	te, err := NewTrainer(u, b, AdamConfig{LR: 1e-2})
	if err != nil {
		t.Fatal(err)
	}
	defer te.Close()
	tg, err := newGraphTrainer(u, b, AdamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	_, ge, err := te.Gradients(x, c, target, ones(b))
	if err != nil {
		t.Fatal(err)
	}
	_, gg, err := tg.Gradients(x, c, target, ones(b))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range u.Params() {
		if p.Frozen {
			if ge[i] != nil {
				t.Fatalf("engine gives a gradient for frozen %s", p.Name)
			}
			continue
		}
		if e := relErr(ge[i], gg[i]); e > 1e-4 || math.IsNaN(e) {
			t.Errorf("gradient of %s: engine vs graph %.3g", p.Name, e)
		}
	}
	before := append([]float32(nil), u.r0.Conv1.W.Data()...)
	other := append([]float32(nil), u.r0.Conv2.W.Data()...)
	if _, _, err := te.Step(x, c, target, ones(b)); err != nil {
		t.Fatal(err)
	}
	if relErr(u.r0.Conv1.W.Data(), before) != 0 {
		t.Fatal("a frozen convolution changed")
	}
	if relErr(u.r0.Conv2.W.Data(), other) == 0 {
		t.Fatal("a trainable convolution did not change")
	}
}
