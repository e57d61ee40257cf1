package metrics

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func TestMeanCI95(t *testing.T) {
	// n = 3: mean 2, s = 1, t_{0.975,2} = 4.302652729911275, half = t/√3.
	m, h := MeanCI95([]float64{1, 2, 3})
	close(t, "mean", m, 2, 1e-15)
	close(t, "half", h, 4.302652729911275/math.Sqrt(3), 1e-9)
	// n = 5: t_{0.975,4} = 2.7764451051977987.
	v := []float64{0.3, 0.1, 0.4, 0.1, 0.5}
	m, h = MeanCI95(v)
	var ss float64
	for _, x := range v {
		ss += (x - 0.28) * (x - 0.28)
	}
	close(t, "mean", m, 0.28, 1e-15)
	close(t, "half n=5", h, 2.7764451051977987*math.Sqrt(ss/4)/math.Sqrt(5), 1e-9)
	m, h = MeanCI95([]float64{7})
	if m != 7 || !math.IsNaN(h) {
		t.Errorf("one value: %g ± %g, want 7 ± NaN", m, h)
	}
	mustPanic(t, "empty", func() { MeanCI95(nil) })
}

func TestKolmogorovQ(t *testing.T) {
	// Classic critical values: Q(1.3581) = 0.05, Q(1.6276) = 0.01, Q(1.2239) = 0.10.
	close(t, "Q(1.3581)", kolmogorovQ(1.3581), 0.05, 2e-5)
	close(t, "Q(1.6276)", kolmogorovQ(1.6276), 0.01, 2e-5)
	close(t, "Q(1.2239)", kolmogorovQ(1.2239), 0.10, 5e-5)
	// The two series agree where the code switches between them, and the
	// small-λ series gives the median 0.8276 ↔ Q = 0.5.
	l := 1.18
	y := math.Exp(-math.Pi * math.Pi / (8 * l * l))
	var s float64
	for j := 1; j <= 20; j++ {
		s += math.Pow(y, float64((2*j-1)*(2*j-1)))
	}
	close(t, "series switch", kolmogorovQ(l), 1-math.Sqrt(2*math.Pi)/l*s, 1e-12)
	close(t, "Q(0.8276)", kolmogorovQ(0.8276), 0.5, 2e-4)
	if kolmogorovQ(0) != 1 || kolmogorovQ(0.05) != 1 || kolmogorovQ(10) > 1e-80 {
		t.Error("Q tails wrong")
	}
}

func TestKS2(t *testing.T) {
	rng := newRand(40)
	norm := func(n int, mu, sd float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = mu + sd*rng.NormFloat64()
		}
		return v
	}
	// D by brute force over all sample points, with ties.
	a := []float64{1, 2, 2, 3, 5, 5, 5}
	b := []float64{2, 2, 4, 6}
	var want float64
	for _, x := range append(append([]float64{}, a...), b...) {
		want = max(want, math.Abs(ecdf(a, x)-ecdf(b, x)))
	}
	d, _ := KS2(a, b)
	close(t, "D with ties", d, want, 1e-15)

	_, p := KS2(norm(500, 0, 1), norm(400, 0, 1))
	if p < 0.01 {
		t.Errorf("same law: p = %g", p)
	}
	_, p = KS2(norm(500, 0, 1), norm(400, 0.5, 1))
	if p > 1e-6 {
		t.Errorf("shifted law: p = %g, want tiny", p)
	}
	// Calibration: under H0 p < 0.05 in about 5% of 400 replicates
	// (binomial sd ≈ 1.1%).
	rej := 0
	for r := 0; r < 400; r++ {
		if _, p := KS2(norm(80, 0, 1), norm(120, 0, 1)); p < 0.05 {
			rej++
		}
	}
	if rej < 6 || rej > 36 {
		t.Errorf("KS2 rejected %d/400 same-law pairs at 5%%", rej)
	}
	if d, p := KS2(a, a); d != 0 || p != 1 {
		t.Errorf("KS2(a,a) = %g, %g", d, p)
	}
}

func TestKS1(t *testing.T) {
	rng := newRand(41)
	uniform := func(x float64) float64 { return min(max(x, 0), 1) }
	u := make([]float64, 1000)
	for i := range u {
		u[i] = rng.Float64()
	}
	_, p := KS1(u, uniform)
	if p < 0.01 {
		t.Errorf("uniform draws vs uniform CDF: p = %g", p)
	}
	// Squared uniforms have CDF √x: far from uniform.
	sq := make([]float64, 1000)
	for i := range sq {
		sq[i] = u[i] * u[i]
	}
	d, p := KS1(sq, uniform)
	if p > 1e-6 {
		t.Errorf("u² vs uniform: p = %g, want tiny", p)
	}
	// sup |√x − x| = 1/4 at x = 1/4.
	close(t, "D(u² vs uniform)", d, 0.25, 0.03)
	_, p = KS1(sq, math.Sqrt)
	if p < 0.01 {
		t.Errorf("u² vs its CDF √x: p = %g", p)
	}
	// Single point x at a uniform CDF: D = max(1 − x, x).
	d, _ = KS1([]float64{0.3}, uniform)
	close(t, "D one point", d, 0.7, 1e-15)
	// Calibration over 400 replicates of n = 40.
	rej := 0
	for r := 0; r < 400; r++ {
		v := make([]float64, 40)
		for i := range v {
			v[i] = rng.Float64()
		}
		if _, p := KS1(v, uniform); p < 0.05 {
			rej++
		}
	}
	if rej < 6 || rej > 36 {
		t.Errorf("KS1 rejected %d/400 uniform samples at 5%%", rej)
	}
	mustPanic(t, "NaN", func() { KS1([]float64{math.NaN()}, uniform) })
}

func TestSignTest(t *testing.T) {
	// 9 wins of 10 (one tie dropped): p = 2·(1+10)/2¹⁰
	a := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 2}
	b := []float64{2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}
	w, l, p, _ := SignTest(a, b)
	if w != 9 || l != 1 || math.Abs(p-22.0/1024) > 1e-12 {
		t.Errorf("wins %d losses %d p %g, want 9, 1, %g", w, l, p, 22.0/1024)
	}
}

// TTestPower is exact: at ncp = 0 it is α; for large n it approaches the
// normal power Φ(ncp − z_{0.975}) + Φ(−ncp − z_{0.975}); and at n = 3 the
// effect PairedMDE reports for 80% power is rejected by a simulated t-test
// (σ = 1 known to the simulation, s_d = 1 given to PairedMDE) 80% of the
// time within 1 point (40,000 seeded replicates), where the normal
// approximation (z_{0.975} + z_{0.8})·σ/√n has 35% power (exact ncp 5.65,
// not 2.80).
func TestTTestPowerAndMDE(t *testing.T) {
	if p := TTestPower(3, 0.05, 0); math.Abs(p-0.05) > 1e-3 {
		t.Errorf("size at ncp 0: %g", p)
	}
	z := distuv.UnitNormal.Quantile(0.975)
	for _, ncp := range []float64{1, 2.8, 4} {
		want := distuv.UnitNormal.CDF(ncp-z) + distuv.UnitNormal.CDF(-ncp-z)
		if p := TTestPower(2000, 0.05, ncp); math.Abs(p-want) > 2e-3 {
			t.Errorf("n 2000 ncp %g: power %g, normal %g", ncp, p, want)
		}
	}
	const n = 3
	unit := []float64{-1, 0, 1} // s_d = 1
	mde := PairedMDE(unit, 0.8)
	tc := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
	rng := newRand(42)
	const reps = 40000
	rej := 0
	for r := 0; r < reps; r++ {
		var d [n]float64
		for i := range d {
			d[i] = mde + rng.NormFloat64()
		}
		m, _ := MeanCI95(d[:])
		var ss float64
		for _, x := range d {
			ss += (x - m) * (x - m)
		}
		if math.Abs(m)/(math.Sqrt(ss/(n-1))/math.Sqrt(n)) > tc {
			rej++
		}
	}
	if p := float64(rej) / reps; math.Abs(p-0.8) > 0.01 {
		t.Errorf("simulated power at the MDE %g: %g, want 0.80", mde, p)
	}
	if !math.IsNaN(PairedMDE([]float64{1}, 0.8)) {
		t.Error("MDE of one difference should be NaN")
	}
}
