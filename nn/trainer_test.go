package nn

import (
	"errors"
	"math"
	"testing"
)

// tinyRegression returns a fixed batch for F(x; c) ≈ sin(2x₀)·cos(πc) + x₁²,
// a smooth nonlinear target that depends on the conditioning scalar.
func tinyRegression(batch int, seed uint64) (x, c, target, weight []float32) {
	rng := newRand(seed)
	x = randSlice(batch*2, 1, rng)
	c = make([]float32, batch)
	target = make([]float32, batch)
	weight = make([]float32, batch)
	for i := 0; i < batch; i++ {
		c[i] = float32(rng.Float64()*2 - 1)
		x0, x1 := float64(x[2*i]), float64(x[2*i+1])
		target[i] = float32(math.Sin(2*x0)*math.Cos(math.Pi*float64(c[i])) + x1*x1)
		weight[i] = 1
	}
	return
}

func TestTrainerReducesLoss(t *testing.T) {
	m, err := NewMLP(MLPConfig{In: 2, Out: 1, Hidden: 64, Layers: 2, Fourier: 8, FourierScale: 1}, newRand(10))
	if err != nil {
		t.Fatal(err)
	}
	const batch = 64
	tr, err := NewTrainer(m, batch, AdamConfig{LR: 3e-3, WarmupSteps: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	x, c, target, weight := tinyRegression(batch, 11)
	first := math.NaN()
	var last float64
	for s := 0; s < 600; s++ {
		l, out, err := tr.Step(x, c, target, weight)
		if err != nil {
			t.Fatal(err)
		}
		if s == 0 {
			first = l
			// zero output layer: F ≡ 0 at step 0.
			for _, v := range out {
				if v != 0 {
					t.Fatalf("initial output %v, want 0", v)
				}
			}
		}
		if want := lossFromOutput(out, target, weight, batch); math.Abs(l-want) > 1e-5*(1+want) {
			t.Fatalf("step %d: loss %v, from output %v", s, l, want)
		}
		last = l
	}
	if tr.Steps() != 600 {
		t.Fatalf("Steps() = %d", tr.Steps())
	}
	t.Logf("loss %.4g → %.4g", first, last)
	if !(last < first/50) {
		t.Fatalf("loss %.4g → %.4g: reduced less than 50×", first, last)
	}
}

func TestPredictorSeesTrainerUpdates(t *testing.T) {
	m, _ := NewMLP(MLPConfig{In: 2, Out: 1, Hidden: 16, Layers: 2, Fourier: 4, FourierScale: 1}, newRand(12))
	const batch = 16
	tr, err := NewTrainer(m, batch, AdamConfig{LR: 1e-2})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	pr, err := NewPredictor(m, batch)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	x, c, target, weight := tinyRegression(batch, 13)
	before := make([]float32, batch)
	after := make([]float32, batch)
	for s := 0; s < 5; s++ {
		if err := pr.Predict(before, x, c); err != nil {
			t.Fatal(err)
		}
		_, out, err := tr.Step(x, c, target, weight)
		if err != nil {
			t.Fatal(err)
		}
		// The trainer's output is F before its update: it equals the predictor's.
		for i := range out {
			if out[i] != before[i] {
				t.Fatalf("step %d: trainer out[%d] %v, predictor %v", s, i, out[i], before[i])
			}
		}
		if err := pr.Predict(after, x, c); err != nil {
			t.Fatal(err)
		}
		changed := false
		for i := range after {
			changed = changed || after[i] != before[i]
		}
		if !changed {
			t.Fatalf("step %d: predictor output unchanged after a trainer update", s)
		}
	}
	// A clone is independent storage: stepping the trainer leaves it alone.
	cl := m.Clone()
	p0 := GetParams(cl)
	if _, _, err := tr.Step(x, c, target, weight); err != nil {
		t.Fatal(err)
	}
	p1 := GetParams(cl)
	for i := range p0 {
		for j := range p0[i] {
			if p0[i][j] != p1[i][j] {
				t.Fatal("trainer step changed a clone's parameters")
			}
		}
	}
}

// refAdam is Adam written out in float64 from the formula.
type refAdam struct {
	cfg  AdamConfig
	m, v [][]float64
	t    int
}

func (r *refAdam) step(theta [][]float64, g [][]float32) {
	c := r.cfg.withDefaults()
	r.t++
	var sq float64
	for _, gi := range g {
		for _, v := range gi {
			sq += float64(v) * float64(v)
		}
	}
	scale := 1.0
	if c.GradClip > 0 && math.Sqrt(sq) > c.GradClip {
		scale = c.GradClip / math.Sqrt(sq)
	}
	lr := c.LR
	if c.WarmupSteps > 0 {
		lr *= math.Min(float64(r.t)/float64(c.WarmupSteps), 1)
	}
	for i := range theta {
		if g[i] == nil {
			continue
		}
		if r.m[i] == nil {
			r.m[i] = make([]float64, len(g[i]))
			r.v[i] = make([]float64, len(g[i]))
		}
		for j := range theta[i] {
			gg := float64(g[i][j]) * scale
			r.m[i][j] = c.Beta1*r.m[i][j] + (1-c.Beta1)*gg
			r.v[i][j] = c.Beta2*r.v[i][j] + (1-c.Beta2)*gg*gg
			mh := r.m[i][j] / (1 - math.Pow(c.Beta1, float64(r.t)))
			vh := r.v[i][j] / (1 - math.Pow(c.Beta2, float64(r.t)))
			theta[i][j] -= lr * mh / (math.Sqrt(vh) + c.Eps)
		}
	}
}

func TestAdamMatchesReference(t *testing.T) {
	for _, cfg := range []AdamConfig{
		{LR: 1e-2},
		{LR: 5e-3, Beta1: 0.8, Beta2: 0.99, WarmupSteps: 3},
		{LR: 1e-2, GradClip: 0.05},
		{LR: 1e-2, Beta2: 0.99, NoMomentum: true}, // β₁ = 0 exactly
	} {
		rng := newRand(14)
		m, _ := NewMLP(MLPConfig{In: 2, Out: 1, Hidden: 8, Layers: 1, Fourier: 2, FourierScale: 1}, rng)
		randomizeParams(m, 0.5, rng)
		const batch = 8
		x, c, target, weight := tinyRegression(batch, 15)
		tr, err := NewTrainer(m, batch, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ps := m.Params()
		theta := make([][]float64, len(ps))
		for i, p := range ps {
			for _, v := range p.Data() {
				theta[i] = append(theta[i], float64(v))
			}
		}
		ref := &refAdam{cfg: cfg, m: make([][]float64, len(ps)), v: make([][]float64, len(ps))}
		for s := 0; s < 6; s++ {
			_, g, err := tr.Gradients(x, c, target, weight)
			if err != nil {
				t.Fatal(err)
			}
			ref.step(theta, g)
			if _, _, err := tr.Step(x, c, target, weight); err != nil {
				t.Fatal(err)
			}
			// The reference follows the trainer's float32 parameters so that
			// errors do not compound through the gradients.
			for i, p := range ps {
				for j, v := range p.Data() {
					if d := math.Abs(float64(v) - theta[i][j]); d > 1e-6*(1+math.Abs(theta[i][j])) {
						t.Fatalf("%+v step %d: %s[%d] = %v, reference %v", cfg, s+1, p.Name, j, v, theta[i][j])
					}
					theta[i][j] = float64(v)
				}
			}
		}
		tr.Close()
	}
	// The learning-rate ramp itself.
	c := AdamConfig{LR: 2, WarmupSteps: 4}
	for step, want := range map[int]float64{1: 0.5, 2: 1, 4: 2, 9: 2} {
		if got := c.LRAt(step); got != want {
			t.Errorf("LRAt(%d) = %v, want %v", step, got, want)
		}
	}
}

func TestTrainerNonFiniteDoesNotUpdate(t *testing.T) {
	m, _ := NewMLP(MLPConfig{In: 2, Out: 1, Hidden: 8, Layers: 2, Fourier: 2}, newRand(16))
	const batch = 8
	tr, err := NewTrainer(m, batch, AdamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	x, c, target, weight := tinyRegression(batch, 17)
	if _, _, err := tr.Step(x, c, target, weight); err != nil {
		t.Fatal(err)
	}
	p0 := GetParams(m)
	m0, v0, s0 := tr.AdamState()
	for _, bad := range []struct {
		name string
		mut  func(x, c, target, weight []float32)
	}{
		{"NaN target", func(_, _, tg, _ []float32) { tg[3] = float32(math.NaN()) }},
		{"Inf weight", func(_, _, _, w []float32) { w[0] = float32(math.Inf(1)) }},
		{"huge input", func(x, _, _, _ []float32) { x[0] = 3e38 }},
	} {
		xb := append([]float32(nil), x...)
		cb := append([]float32(nil), c...)
		tb := append([]float32(nil), target...)
		wb := append([]float32(nil), weight...)
		bad.mut(xb, cb, tb, wb)
		if _, _, err := tr.Step(xb, cb, tb, wb); !errors.Is(err, ErrNonFinite) {
			t.Fatalf("%s: err = %v, want ErrNonFinite", bad.name, err)
		}
		p1 := GetParams(m)
		m1, v1, s1 := tr.AdamState()
		if s1 != s0 {
			t.Fatalf("%s: step count %d → %d", bad.name, s0, s1)
		}
		for i := range p0 {
			for j := range p0[i] {
				if p0[i][j] != p1[i][j] || (len(m0[i]) > 0 && (m0[i][j] != m1[i][j] || v0[i][j] != v1[i][j])) {
					t.Fatalf("%s: state changed at %d[%d]", bad.name, i, j)
				}
			}
		}
	}
	// Gradients are not left accumulated: the next good step equals a fresh
	// trainer's step from the same state.
	fresh, _ := NewTrainer(m.Clone(), batch, AdamConfig{})
	defer fresh.Close()
	_, g1, _ := tr.Gradients(x, c, target, weight)
	_, g2, _ := fresh.Gradients(x, c, target, weight)
	for i := range g1 {
		for j := range g1[i] {
			if g1[i][j] != g2[i][j] {
				t.Fatalf("gradient %d[%d] %v after failed steps, fresh %v", i, j, g1[i][j], g2[i][j])
			}
		}
	}
}

func TestAdamStateResumeIsBitIdentical(t *testing.T) {
	const batch = 16
	x, c, target, weight := tinyRegression(batch, 18)
	cfg := AdamConfig{LR: 3e-3, WarmupSteps: 5}
	a, _ := NewMLP(MLPConfig{In: 2, Out: 1, Hidden: 16, Layers: 2, Fourier: 4, FourierScale: 1}, newRand(19))
	ta, _ := NewTrainer(a, batch, cfg)
	defer ta.Close()
	for s := 0; s < 3; s++ {
		ta.Step(x, c, target, weight)
	}
	mm, vv, st := ta.AdamState()
	b := a.Clone()
	tb, _ := NewTrainer(b, batch, cfg)
	defer tb.Close()
	if err := tb.SetAdamState(mm, vv, st); err != nil {
		t.Fatal(err)
	}
	for s := 0; s < 4; s++ {
		la, _, _ := ta.Step(x, c, target, weight)
		lb, _, _ := tb.Step(x, c, target, weight)
		if la != lb {
			t.Fatalf("resumed step %d: loss %v vs %v", s, la, lb)
		}
	}
	pa, pb := GetParams(a), GetParams(b)
	for i := range pa {
		for j := range pa[i] {
			if pa[i][j] != pb[i][j] {
				t.Fatalf("param %d[%d] differs after resume", i, j)
			}
		}
	}
	if err := tb.SetAdamState(mm[:1], vv, st); err == nil {
		t.Fatal("SetAdamState accepted a wrong number of tensors")
	}
}

func TestAdamNoMomentumRefusesBeta1(t *testing.T) {
	if _, err := NewAdam(nil, AdamConfig{Beta1: 0.5, NoMomentum: true}); err == nil {
		t.Fatal("NoMomentum with Beta1 = 0.5 accepted")
	}
	a, err := NewAdam(nil, AdamConfig{NoMomentum: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.cfg.Beta1 != 0 {
		t.Fatalf("NoMomentum: β₁ = %v, want 0", a.cfg.Beta1)
	}
}
