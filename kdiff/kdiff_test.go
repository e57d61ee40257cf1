package kdiff

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6b64696666)) }

func randVec(n int, rng *rand.Rand) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func maxAbsDiff(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

func sqDist(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		t := a[i] - b[i]
		d += t * t
	}
	return d
}

// Inversion without the clamp recovers x, e and v = x − e exactly.
func TestInvertRoundTrip(t *testing.T) {
	rng := newRand(1)
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(9)
		x, e := randVec(n, rng), randVec(n, rng)
		s := 0.001 + 0.998*rng.Float64()
		k := []float64{0, 0.5, 1, rng.Float64()}[trial%4]
		z, u := make([]float64, n), make([]float64, n)
		Interpolate(z, x, e, s)
		TargetU(u, x, e, k)
		xh, eh, vh := make([]float64, n), make([]float64, n), make([]float64, n)
		Invert(xh, eh, vh, z, u, s, k, 0)
		v := make([]float64, n)
		for i := range v {
			v[i] = x[i] - e[i]
		}
		// Conditioning 1/g ≤ 1/min(s, 1−s) ≤ 1000.
		tol := 1e-12 / math.Min(s, 1-s) * 10
		if d := maxAbsDiff(xh, x); d > tol {
			t.Fatalf("k=%g s=%g: x̂ off by %g", k, s, d)
		}
		if d := maxAbsDiff(eh, e); d > tol {
			t.Fatalf("k=%g s=%g: ê off by %g", k, s, d)
		}
		if d := maxAbsDiff(vh, v); d > tol {
			t.Fatalf("k=%g s=%g: v̂ off by %g", k, s, d)
		}
		// UFromX inverts the x̂ conversion.
		u2 := make([]float64, n)
		UFromX(u2, xh, z, s, k)
		if d := maxAbsDiff(u2, u); d > tol {
			t.Fatalf("k=%g s=%g: UFromX off by %g", k, s, d)
		}
	}
}

// k = 1, ½, 0 reproduce the x-, v- and ε-prediction conversions.
func TestStandardConversions(t *testing.T) {
	rng := newRand(2)
	const n = 5
	for trial := 0; trial < 50; trial++ {
		s := 0.01 + 0.98*rng.Float64()
		z, uh := randVec(n, rng), randVec(n, rng)
		xh, eh, vh := make([]float64, n), make([]float64, n), make([]float64, n)

		// k = 1: û is x̂; v̂ = (x̂ − z)/(1−s) (JiT); ê = (z − s·x̂)/(1−s).
		Invert(xh, eh, vh, z, uh, s, 1, 0)
		for i := range z {
			want := []float64{uh[i], (z[i] - s*uh[i]) / (1 - s), (uh[i] - z[i]) / (1 - s)}
			got := []float64{xh[i], eh[i], vh[i]}
			if maxAbsDiff(got, want) > 1e-10 {
				t.Fatalf("k=1 s=%g: got %v want %v", s, got, want)
			}
		}
		// k = 0: û = −ê; x̂ = (z − (1−s)ê)/s; v̂ = (z − ê)/s.
		Invert(xh, eh, vh, z, uh, s, 0, 0)
		for i := range z {
			e := -uh[i]
			want := []float64{(z[i] - (1-s)*e) / s, e, (z[i] - e) / s}
			got := []float64{xh[i], eh[i], vh[i]}
			if maxAbsDiff(got, want) > 1e-10 {
				t.Fatalf("k=0 s=%g: got %v want %v", s, got, want)
			}
		}
		// k = ½: û = v/2, so v̂ = 2û, x̂ = z + (1−s)v̂, ê = z − s·v̂.
		Invert(xh, eh, vh, z, uh, s, 0.5, 0)
		for i := range z {
			v := 2 * uh[i]
			want := []float64{z[i] + (1-s)*v, z[i] - s*v, v}
			got := []float64{xh[i], eh[i], vh[i]}
			if maxAbsDiff(got, want) > 1e-10 {
				t.Fatalf("k=½ s=%g: got %v want %v", s, got, want)
			}
		}
	}
}

// The clamp g ≥ 0.05 acts at s → 1 for k = 1 and at s → 0 for k = 0, and
// never for 0.05 ≤ k ≤ 0.95.
func TestClamp(t *testing.T) {
	z, u := []float64{0.3}, []float64{0.7}
	v := make([]float64, 1)
	cases := []struct {
		s, k, wantG float64
	}{
		{0.99, 1, 0.05},  // g = 0.01 → clamped
		{0.95, 1, 0.05},  // g = 0.05 exactly
		{0.90, 1, 0.10},  // inactive
		{0.01, 0, 0.05},  // g = s = 0.01 → clamped
		{0.20, 0, 0.20},  // inactive
		{0.00, 0.5, 0.5}, // g ≡ ½
		{1.00, 0.5, 0.5}, // g ≡ ½
		{1.00, 0.95, 0.05},
		{0.00, 0.05, 0.05},
		{0.50, 0.99, 0.5},
	}
	for _, c := range cases {
		Invert(nil, nil, v, z, u, c.s, c.k, DefaultClamp)
		want := ((1-2*c.k)*z[0] + u[0]) / c.wantG
		if math.Abs(v[0]-want) > 1e-12 {
			t.Errorf("s=%g k=%g: v̂ = %g, want %g (g_c = %g)", c.s, c.k, v[0], want, c.wantG)
		}
	}
	if G(1, 1) != 0 || G(0, 0) != 0 || G(0, 0.3) != 0.3 || G(1, 0.3) != 0.7 {
		t.Errorf("G endpoints wrong")
	}
}

// u-loss = g²·v-loss = (g/(1−s))²·x-loss = (g/s)²·ε-loss, each loss computed
// through the conversions; LossWeight reproduces them, also with the clamp
// active (both sides of the v- and x-loss then go through the clamped map).
func TestLossEquivalences(t *testing.T) {
	rng := newRand(3)
	const n = 7
	for trial := 0; trial < 200; trial++ {
		s := 0.005 + 0.99*rng.Float64()
		k := []float64{0, 0.5, 1, rng.Float64()}[trial%4]
		clamp := []float64{0, DefaultClamp}[trial%2]
		x, e, uh := randVec(n, rng), randVec(n, rng), randVec(n, rng)
		z, u := make([]float64, n), make([]float64, n)
		Interpolate(z, x, e, s)
		TargetU(u, x, e, k)
		xh, eh, vh := make([]float64, n), make([]float64, n), make([]float64, n)
		xt, et, vt := make([]float64, n), make([]float64, n), make([]float64, n)
		Invert(xh, eh, vh, z, uh, s, k, clamp)
		Invert(xt, et, vt, z, u, s, k, clamp)
		lu := sqDist(uh, u)
		lv, lx, le := sqDist(vh, vt), sqDist(xh, xt), sqDist(eh, et)
		g := math.Max(G(s, k), clamp)
		rel := func(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), 1e-300) }
		if r := rel(lu, g*g*lv); r > 1e-9 {
			t.Fatalf("s=%g k=%g: u-loss %g ≠ g²·v-loss %g", s, k, lu, g*g*lv)
		}
		if r := rel(lu, math.Pow(g/(1-s), 2)*lx); r > 1e-9 {
			t.Fatalf("s=%g k=%g: u-loss %g ≠ (g/(1−s))²·x-loss", s, k, lu)
		}
		if r := rel(lu, math.Pow(g/s, 2)*le); r > 1e-9 {
			t.Fatalf("s=%g k=%g: u-loss %g ≠ (g/s)²·ε-loss", s, k, lu)
		}
		for _, c := range []struct {
			l    LossSpace
			want float64
		}{{LossU, lu}, {LossV, lv}, {LossX, lx}} {
			got, _ := SampleLoss(c.l, uh, x, e, s, k, clamp)
			if r := rel(got, c.want); r > 1e-9 {
				t.Fatalf("%v-loss: SampleLoss %g, direct %g", c.l, got, c.want)
			}
		}
		// Without the clamp, x-loss = ‖x̂ − x‖² against the true x.
		if clamp == 0 {
			if r := rel(lx, sqDist(xh, x)); r > 1e-9 {
				t.Fatalf("x-loss against the true x differs")
			}
		}
	}
	// At k = ½ the u-loss is ¼ of the v-loss.
	if w := LossWeight(LossV, 0.3, 0.5, DefaultClamp); math.Abs(w-4) > 1e-12 {
		t.Errorf("v-loss weight at k=½: %g, want 4", w)
	}
}

// ∂L/∂k from SampleLoss agrees with central finite differences of the loss
// computed through the conversions (an independent route), in every space,
// with and without an active clamp; and ∂L/∂w = ∂L/∂k·k(1−k).
func TestLossGradFiniteDiff(t *testing.T) {
	rng := newRand(4)
	const n = 6
	direct := func(l LossSpace, uh, x, e []float64, s, k, clamp float64) float64 {
		z, u := make([]float64, n), make([]float64, n)
		Interpolate(z, x, e, s)
		TargetU(u, x, e, k)
		a, b := make([]float64, n), make([]float64, n)
		switch l {
		case LossU:
			return sqDist(uh, u)
		case LossV:
			Invert(nil, nil, a, z, uh, s, k, clamp)
			Invert(nil, nil, b, z, u, s, k, clamp)
		case LossX:
			Invert(a, nil, nil, z, uh, s, k, clamp)
			Invert(b, nil, nil, z, u, s, k, clamp)
		}
		return sqDist(a, b)
	}
	for trial := 0; trial < 300; trial++ {
		l := LossSpace(trial % 3)
		s := 0.02 + 0.96*rng.Float64()
		k := 0.02 + 0.96*rng.Float64()
		clamp := DefaultClamp
		if math.Abs(G(s, k)-clamp) < 1e-3 {
			continue // the clamp kink
		}
		x, e, uh := randVec(n, rng), randVec(n, rng), randVec(n, rng)
		_, dk := SampleLoss(l, uh, x, e, s, k, clamp)
		const h = 1e-6
		fd := (direct(l, uh, x, e, s, k+h, clamp) - direct(l, uh, x, e, s, k-h, clamp)) / (2 * h)
		if math.Abs(dk-fd) > 1e-5*math.Max(1, math.Abs(fd)) {
			t.Fatalf("%v-loss s=%g k=%g g=%g: dL/dk = %g, finite difference %g", l, s, k, G(s, k), dk, fd)
		}
		// Chain rule through k = sigmoid(w).
		w := Logit(k)
		fdw := (direct(l, uh, x, e, s, Sigmoid(w+h), clamp) - direct(l, uh, x, e, s, Sigmoid(w-h), clamp)) / (2 * h)
		if math.Abs(dk*k*(1-k)-fdw) > 1e-5*math.Max(1, math.Abs(fdw)) {
			t.Fatalf("%v-loss: dL/dw = %g, finite difference %g", l, dk*k*(1-k), fdw)
		}
	}
	// The spec's v-space form: ∂v̂/∂k = −[2z + (1−2s)v̂]/g (unclamped).
	x, e, uh := randVec(n, rng), randVec(n, rng), randVec(n, rng)
	s, k := 0.3, 0.7
	z, u, vh := make([]float64, n), make([]float64, n), make([]float64, n)
	Interpolate(z, x, e, s)
	TargetU(u, x, e, k)
	Invert(nil, nil, vh, z, uh, s, k, 0)
	g := G(s, k)
	want := 0.0
	for i := range z {
		want += 2 * (vh[i] - (x[i] - e[i])) * (-(2*z[i] + (1-2*s)*vh[i]) / g)
	}
	if _, dk := SampleLoss(LossV, uh, x, e, s, k, 0); math.Abs(dk-want) > 1e-9*math.Abs(want) {
		t.Errorf("v-space derivative %g, spec form %g", dk, want)
	}
}

func TestParseK(t *testing.T) {
	good := map[string]K{
		"0": {Value: 0}, "0.5": {Value: 0.5}, "1": {Value: 1}, "0.75": {Value: 0.75},
		"learn": {Learned: true}, "learn-s": {Learned: true, Schedule: true}, "eps": {Value: 0}, "v_prediction": {Value: 0.5}, "sample": {Value: 1},
	}
	for s, want := range good {
		got, err := ParseK(s)
		if err != nil || got != want {
			t.Errorf("ParseK(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"-0.1", "1.5", "abc", "", "NaN", "inf"} {
		if _, err := ParseK(s); err == nil {
			t.Errorf("ParseK(%q) accepted", s)
		}
	}
	var ks Ks
	if err := ks.Set("0,0.5,1,learn"); err != nil || len(ks) != 4 || !ks[3].Learned || ks[1].Value != 0.5 {
		t.Fatalf("Ks.Set: %v %v", ks, err)
	}
	if ks.String() != "0,0.5,1,learn" {
		t.Errorf("Ks.String = %q", ks.String())
	}
	if err := ks.Set("learn-s,0"); err != nil || ks.String() != "learn-s,0" || !ks[0].Schedule {
		t.Errorf("Ks learn-s round trip: %v %v", ks, err)
	}
	if err := ks.Set("0,1.5"); err == nil {
		t.Errorf("Ks.Set accepted 1.5")
	}
}

// ksStat returns the one-sample Kolmogorov–Smirnov statistic of a against cdf.
func ksStat(a []float64, cdf func(float64) float64) float64 {
	b := append([]float64(nil), a...)
	sort.Float64s(b)
	n := float64(len(b))
	d := 0.0
	for i, v := range b {
		f := cdf(v)
		d = math.Max(d, math.Max(f-float64(i)/n, float64(i+1)/n-f))
	}
	return d
}

// Time distributions: s ~ U(0,1); logit-normal s has logit(s) ~ N(μ, σ²);
// SampleSigma draws σ = (1−s)/s with the same law as SampleS (checked by KS
// at α = 0.001, critical value 1.95/√n).
func TestSDist(t *testing.T) {
	const n = 20000
	crit := 1.95 / math.Sqrt(n)
	rng := newRand(5)
	ss, sg := make([]float64, n), make([]float64, n)
	for i := range ss {
		ss[i] = UniformS{}.SampleS(rng)
		sg[i] = SFromSigma(UniformS{}.SampleSigma(rng))
	}
	if d := ksStat(ss, func(v float64) float64 { return v }); d > crit {
		t.Errorf("uniform s: KS %g > %g", d, crit)
	}
	if d := ksStat(sg, func(v float64) float64 { return v }); d > crit {
		t.Errorf("uniform via σ: KS %g > %g", d, crit)
	}
	l := JiTLogitNormal
	norm := distuv.Normal{Mu: l.Mean, Sigma: l.Std}
	lnSig := distuv.Normal{Mu: -l.Mean, Sigma: l.Std}
	for i := range ss {
		ss[i] = Logit(l.SampleS(rng))
		sg[i] = math.Log(l.SampleSigma(rng))
	}
	if d := ksStat(ss, norm.CDF); d > crit {
		t.Errorf("logit-normal s: KS %g > %g", d, crit)
	}
	if d := ksStat(sg, lnSig.CDF); d > crit {
		t.Errorf("logit-normal ln σ: KS %g > %g", d, crit)
	}
	// A wrong sign would fail: ln σ against N(μ, σ²) must be rejected.
	if d := ksStat(sg, norm.CDF); d <= crit {
		t.Errorf("KS cannot tell ln σ ~ N(0.8) from N(−0.8): %g", d)
	}
	if _, err := ParseSDist("gamma"); err == nil {
		t.Errorf("ParseSDist accepted gamma")
	}
}

// Adam on W minimises a quadratic in k; state round-trips.
func TestLearnedKAdam(t *testing.T) {
	lk := NewLearnedK(0.5, 0.05)
	for i := 0; i < 3000; i++ {
		lk.Step(2 * (lk.K() - 0.8)) // L = (k − 0.8)²
	}
	if math.Abs(lk.K()-0.8) > 1e-3 {
		t.Errorf("k = %g, want 0.8", lk.K())
	}
	st := lk.State()
	other := NewLearnedK(0.3, 0.05)
	if err := other.SetState(st); err != nil {
		t.Fatal(err)
	}
	lk.Step(0.1)
	other.Step(0.1)
	if lk.W != other.W {
		t.Errorf("restored state diverges: %g vs %g", lk.W, other.W)
	}
	if err := other.SetState([]float64{1, 2}); err == nil {
		t.Errorf("short state accepted")
	}
}
