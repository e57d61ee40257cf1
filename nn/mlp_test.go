package nn

import (
	"math"
	"testing"
)

func TestMLPSeededInitIsBitIdentical(t *testing.T) {
	cfg := MLPConfig{In: 5, Out: 3, Hidden: 16, Layers: 3, Fourier: 8}
	a, err := NewMLP(cfg, newRand(1))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewMLP(cfg, newRand(1))
	c, _ := NewMLP(cfg, newRand(2))
	pa, pb, pc := GetParams(a), GetParams(b), GetParams(c)
	same := true
	for i := range pa {
		for j := range pa[i] {
			if math.Float32bits(pa[i][j]) != math.Float32bits(pb[i][j]) {
				t.Fatalf("param %d[%d]: %v vs %v with the same seed", i, j, pa[i][j], pb[i][j])
			}
			if pa[i][j] != pc[i][j] {
				same = false
			}
		}
	}
	if same {
		t.Fatal("different seeds gave identical weights")
	}
}

func TestMLPInitStatistics(t *testing.T) {
	cfg := MLPConfig{In: 30, Out: 7, Hidden: 200, Layers: 2, Fourier: 500}
	m, err := NewMLP(cfg, newRand(3))
	if err != nil {
		t.Fatal(err)
	}
	if m.Config().FourierScale != DefaultFourierScale {
		t.Fatalf("default Fourier scale %v", m.Config().FourierScale)
	}
	std := func(v []float32) float64 {
		var s, s2 float64
		for _, x := range v {
			s += float64(x)
			s2 += float64(x) * float64(x)
		}
		n := float64(len(v))
		return math.Sqrt(s2/n - (s/n)*(s/n))
	}
	ps := m.Params()
	// freqs, W0, b0, W1, b1, W2, b2
	if len(ps) != 7 || !ps[0].Frozen {
		t.Fatalf("params %d, first frozen %v", len(ps), ps[0].Frozen)
	}
	// Sample std of n normal draws has relative s.e. 1/√(2n); allow 5 s.e.
	check := func(name string, v []float32, want float64) {
		got := std(v)
		if tol := 5 / math.Sqrt(2*float64(len(v))); math.Abs(got/want-1) > tol {
			t.Errorf("%s: std %.4g, want %.4g (±%.2g rel)", name, got, want, tol)
		}
	}
	check("freqs", ps[0].Data(), 16)
	check("W0", ps[1].Data(), math.Sqrt(2.0/float64(30+2*500)))
	check("W1", ps[3].Data(), math.Sqrt(2.0/200))
	for _, i := range []int{2, 4, 5, 6} {
		for _, v := range ps[i].Data() {
			if v != 0 {
				t.Fatalf("%s not zero-initialised", ps[i].Name)
			}
		}
	}
	if NumParams(m) != (1030*200+200)+(200*200+200)+(200*7+7) {
		t.Fatalf("NumParams %d", NumParams(m))
	}
}

// mlpForward64 evaluates the MLP in float64 straight from its definition —
// an independent route to compare the gorgonia graph with.
func mlpForward64(m *MLP, x, c []float32, batch int) []float64 {
	ps := m.Params()
	k := 0
	var freqs []float32
	if m.cfg.Fourier > 0 {
		freqs = ps[0].Data()
		k = 1
	}
	out := make([]float64, 0, batch*m.cfg.Out)
	for i := 0; i < batch; i++ {
		h := make([]float64, 0, m.cfg.In+2*m.cfg.Fourier)
		for j := 0; j < m.cfg.In; j++ {
			h = append(h, float64(x[i*m.cfg.In+j]))
		}
		for _, f := range freqs {
			h = append(h, math.Cos(2*math.Pi*float64(f)*float64(c[i])))
		}
		for _, f := range freqs {
			h = append(h, math.Sin(2*math.Pi*float64(f)*float64(c[i])))
		}
		for l := 0; l <= m.cfg.Layers; l++ {
			w, b := ps[k+2*l], ps[k+2*l+1]
			fin, fout := w.Shape[0], w.Shape[1]
			wd, bd := w.Data(), b.Data()
			nh := make([]float64, fout)
			for o := 0; o < fout; o++ {
				s := float64(bd[o])
				for q := 0; q < fin; q++ {
					s += h[q] * float64(wd[q*fout+o])
				}
				if l < m.cfg.Layers {
					s = s / (1 + math.Exp(-s))
				}
				nh[o] = s
			}
			h = nh
		}
		out = append(out, h...)
	}
	return out
}

func TestMLPForwardMatchesFloat64Reference(t *testing.T) {
	for _, fourier := range []int{0, 6} {
		cfg := MLPConfig{In: 4, Out: 3, Hidden: 12, Layers: 3, Fourier: fourier, FourierScale: 1}
		rng := newRand(4)
		m, err := NewMLP(cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		randomizeParams(m, 0.3, rng)
		const batch = 9
		x, c := randSlice(batch*4, 1, rng), randSlice(batch, 1, rng)
		p, err := NewPredictor(m, batch)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, batch*3)
		for rep := 0; rep < 2; rep++ { // a second run must give the same answer (#576)
			if err := p.Predict(got, x, c); err != nil {
				t.Fatal(err)
			}
			want := mlpForward64(m, x, c, batch)
			for i := range want {
				if math.Abs(float64(got[i])-want[i]) > 1e-5*(1+math.Abs(want[i])) {
					t.Fatalf("Fourier %d run %d: out[%d] = %v, float64 reference %v", fourier, rep, i, got[i], want[i])
				}
			}
		}
		p.Close()
	}
}

func TestMLPGradientFiniteDifferences(t *testing.T) {
	cfg := MLPConfig{In: 3, Out: 2, Hidden: 8, Layers: 2, Fourier: 4, FourierScale: 1}
	rng := newRand(5)
	m, err := NewMLP(cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	randomizeParams(m, 0.5, rng)
	const batch = 6
	x, c := randSlice(batch*3, 1, rng), randSlice(batch, 1, rng)
	target := randSlice(batch*2, 1, rng)
	weight := make([]float32, batch)
	for i := range weight {
		weight[i] = float32(0.5 + rng.Float64())
	}
	gradCheck(t, m, batch, x, c, target, weight, 1e-2, 1000, rng)
}
