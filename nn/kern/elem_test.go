package kern

import (
	"math"
	"math/rand/v2"
	"testing"
)

// sweep returns float32 values covering [lo, hi] densely: every stride-th
// bit pattern of each sign (stride 251 visits every binade with 33,000
// points).
func sweep(lo, hi float32, stride uint32) []float32 {
	var xs []float32
	for u := uint32(0); ; u += stride {
		x := math.Float32frombits(u)
		if x > hi {
			break
		}
		xs = append(xs, x)
	}
	for u := uint32(1 << 31); ; u += stride {
		x := math.Float32frombits(u)
		if x < lo {
			break
		}
		xs = append(xs, x)
	}
	return xs
}

var specials = []float32{
	0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
	math.MaxFloat32, -math.MaxFloat32, 0x1p-126, -0x1p-126, math.SmallestNonzeroFloat32,
	88.72283, 88.72284, 88.7, -87.33654, -87.4, -103.27, -103.28, -104, 89, 1e-8, -1e-8, 1, -1, 17, -17, 1e30, -1e30,
}

// relErr returns |got−want|/|want| (0 for equal values, including ±Inf).
func relErr(got float32, want float64) float64 {
	if float64(got) == want {
		return 0
	}
	return math.Abs(float64(got)-want) / math.Abs(want)
}

// TestExp checks Exp and the vector ExpTo over a dense sweep of
// [−104, 89] and the special values.
func TestExp(t *testing.T) {
	xs := append(sweep(-104, 89, 251), specials...)
	vec := make([]float32, len(xs))
	ExpTo(vec, xs)
	for _, path := range []string{"Exp", "ExpTo"} {
		worst, worstX := 0.0, float32(0)
		for i, x := range xs {
			got, want := Exp(x), math.Exp(float64(x))
			if path == "ExpTo" {
				got = vec[i]
			}
			switch {
			case want > math.MaxFloat32:
				if !math.IsInf(float64(got), 1) {
					t.Fatalf("%s(%v) = %v, want +Inf", path, x, got)
				}
			case want < 0x1p-126:
				// Denormal range: only the absolute error is bounded.
				if math.Abs(float64(got)-want) > 0x1p-149 {
					t.Fatalf("%s(%v) = %v, want %v within a denormal ulp", path, x, got, want)
				}
			default:
				if e := relErr(got, want); e > worst {
					worst, worstX = e, x
				}
			}
		}
		if worst > 1e-6 {
			t.Fatalf("%s: max relative error %.3g at x = %v, want ≤ 1e-6", path, worst, worstX)
		}
		t.Logf("%s [%s]: max relative error %.3g at x = %v over %d values", path, Impl(), worst, worstX, len(xs))
	}
	nan := float32(math.NaN())
	y := make([]float32, 8)
	ExpTo(y, []float32{nan, float32(math.Inf(-1)), float32(math.Inf(1)), 0, 1, 2, 3, 4})
	if v := Exp(nan); v == v || y[0] == y[0] {
		t.Errorf("Exp(NaN) = %v, ExpTo: %v", v, y[0])
	}
	if v := Exp(float32(math.Inf(-1))); v != 0 || y[1] != 0 {
		t.Errorf("Exp(-Inf) = %v, ExpTo: %v", v, y[1])
	}
	if !math.IsInf(float64(y[2]), 1) || y[3] != 1 {
		t.Errorf("ExpTo(+Inf, 0) = %v, %v", y[2], y[3])
	}
}

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func TestSigmoid(t *testing.T) {
	xs := append(sweep(-104, 104, 251), specials...)
	worst, worstX := 0.0, float32(0)
	for _, x := range xs {
		got, want := Sigmoid(x), sigmoid64(float64(x))
		if got != got {
			t.Fatalf("Sigmoid(%v) = NaN", x)
		}
		if want < 0x1p-126 {
			// Denormal results may flush to 0.
			if math.Abs(float64(got)-want) > 0x1p-126 {
				t.Fatalf("Sigmoid(%v) = %v, want %v", x, got, want)
			}
			continue
		}
		if e := relErr(got, want); e > worst {
			worst, worstX = e, x
		}
	}
	if worst > 1e-6 {
		t.Fatalf("Sigmoid: max relative error %.3g at x = %v, want ≤ 1e-6", worst, worstX)
	}
	t.Logf("Sigmoid: max relative error %.3g at x = %v", worst, worstX)
	for _, c := range []struct{ x, want float32 }{{float32(math.Inf(1)), 1}, {float32(math.Inf(-1)), 0}, {30, 1}, {-math.MaxFloat32, 0}, {math.MaxFloat32, 1}} {
		if got := Sigmoid(c.x); got != c.want {
			t.Errorf("Sigmoid(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if v := Sigmoid(float32(math.NaN())); v == v {
		t.Errorf("Sigmoid(NaN) = %v", v)
	}
}

// elemInputs are sweep values in the range activations take plus the
// specials and a random tail, so that the vector loops see odd lengths.
func elemInputs() []float32 {
	rng := rand.New(rand.NewPCG(3, 3))
	xs := sweep(-120, 120, 4099)
	xs = append(xs, specials...)
	for range 1001 {
		xs = append(xs, float32(rng.NormFloat64()*4))
	}
	return xs
}

// TestSiLUFamily checks SiLU, SiLUGrad, SiLUGradAcc, AffineSiLUTo against
// float64 formulas, and the fast path against the scalar reference. The
// tolerance is relative to the size of the terms: 2e-6·|dy|·(σ + |x|σ(1−σ)).
func TestSiLUFamily(t *testing.T) {
	xs := elemInputs()
	// Finite inputs only for the maths checks; ±Inf and NaN are checked
	// below for agreement of the two paths.
	var fin []float32
	for _, x := range xs {
		if !math.IsInf(float64(x), 0) && x == x {
			fin = append(fin, x)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	dy := randSlice(rng, len(fin))
	y := make([]float32, len(fin))
	SiLU(y, fin)
	for i, x := range fin {
		s := sigmoid64(float64(x))
		want := float64(x) * s
		// Where σ(x) is a denormal it may flush to 0: |x|·2⁻¹²⁶ slack.
		if d := math.Abs(float64(y[i]) - want); d > 2e-6*math.Abs(want)+math.Abs(float64(x))*0x1p-126+0x1p-149 {
			t.Fatalf("SiLU(%v) = %v, want %v", x, y[i], want)
		}
	}
	dx := make([]float32, len(fin))
	SiLUGrad(dx, fin, dy)
	acc := append([]float32(nil), dy...)
	SiLUGradAcc(acc, fin, dy)
	for i, x := range fin {
		s := sigmoid64(float64(x))
		xf := float64(x)
		want := float64(dy[i]) * s * (1 + xf*(1-s))
		scale := math.Abs(float64(dy[i])) * (s + math.Abs(xf)*s*(1-s))
		if d := math.Abs(float64(dx[i]) - want); d > 2e-6*scale+math.Abs(float64(dy[i]*x))*0x1p-126+0x1p-149 {
			t.Fatalf("SiLUGrad(x=%v, dy=%v) = %v, want %v", x, dy[i], dx[i], want)
		}
		wantAcc := float64(dy[i]) + want
		if d := math.Abs(float64(acc[i]) - wantAcc); d > 2e-6*scale+6e-8*math.Abs(wantAcc)+math.Abs(float64(dy[i]*x))*0x1p-126+0x1p-149 {
			t.Fatalf("SiLUGradAcc(x=%v, dy=%v) = %v, want %v", x, dy[i], acc[i], wantAcc)
		}
	}
	// AffineSiLUTo with a, b of GroupNorm size, aliasing y and x.
	a, b := float32(0.7), float32(-0.3)
	tt := make([]float32, len(fin))
	yy := append([]float32(nil), fin[:len(fin)/2]...)
	AffineSiLUTo(yy, tt, yy, a, b)
	for i, x := range fin[:len(fin)/2] {
		tv := float64(a)*float64(x) + float64(b)
		if d := math.Abs(float64(tt[i]) - tv); d > 1.2e-7*(math.Abs(float64(a*x))+math.Abs(float64(b))) {
			t.Fatalf("AffineSiLUTo t(%v) = %v, want %v", x, tt[i], tv)
		}
		want := float64(tt[i]) * sigmoid64(float64(tt[i]))
		if d := math.Abs(float64(yy[i]) - want); d > 2e-6*math.Abs(want)+math.Abs(float64(tt[i]))*0x1p-126+0x1p-149 {
			t.Fatalf("AffineSiLUTo(%v) = %v, want %v", x, yy[i], want)
		}
	}
}

// close32 reports whether got and want agree within k float32 ulps of
// scale (NaNs agree with NaNs, infinities must be equal).
func close32(got, want float32, k, scale float64) bool {
	if got != got || want != want {
		return got != got && want != want
	}
	if math.IsInf(float64(got), 0) || math.IsInf(float64(want), 0) {
		return got == want
	}
	return math.Abs(float64(got)-float64(want)) <= k*0x1p-24*scale+1e-44
}

// TestElementwiseAgreement runs the scalar references and the selected
// fast path on the same inputs (all specials included) and requires
// agreement within 8 ulps of the terms' magnitude (the fast paths fuse
// multiply–adds and evaluate the same polynomial).
func TestElementwiseAgreement(t *testing.T) { checkElementwiseAgreement(t) }

func checkElementwiseAgreement(t *testing.T) {
	t.Helper()
	xs := elemInputs()
	n := len(xs)
	rng := rand.New(rand.NewPCG(3, 5))
	dy := randSlice(rng, n)
	check := func(name string, got, want, mag []float32) {
		t.Helper()
		for i := range want {
			sc := math.Abs(float64(want[i]))
			if mag != nil {
				sc = math.Max(sc, float64(mag[i]))
			}
			if !close32(got[i], want[i], 8, sc) {
				t.Fatalf("%s [%s]: x=%v: fast %v, scalar %v", name, Impl(), xs[i], got[i], want[i])
			}
		}
	}
	for _, off := range []int{0, 1, 3} { // unaligned starts and odd lengths
		x, d := xs[off:], dy[off:]
		m := len(x)
		want, got := make([]float32, m), make([]float32, m)
		// |dy|·(σ + |x|σ(1−σ)) bounds the gradient's terms.
		mag := make([]float32, m)
		for i, v := range x {
			s := float64(sigmoidScalar(v))
			mag[i] = float32(math.Abs(float64(d[i])) * (s + math.Abs(float64(v))*s*(1-s)))
		}
		siluScalar(want, x)
		SiLU(got, x)
		check("SiLU", got, want, nil)
		copy(got, x)
		SiLU(got, got) // y aliasing x
		check("SiLU aliased", got, want, nil)
		siluGradScalar(want, x, d)
		SiLUGrad(got, x, d)
		check("SiLUGrad", got, want, mag)
		copy(got, d)
		SiLUGrad(got, x, got) // dx aliasing dy
		check("SiLUGrad aliased", got, want, mag)
		copy(want, d)
		copy(got, d)
		siluGradAccScalar(want, x, d)
		SiLUGradAcc(got, x, d)
		check("SiLUGradAcc", got, want, mag)
		// a·x + b may be fused: its error is relative to |a·x| + |b|, and
		// so is that of y = t·σ(t) (|d(tσ(t))/dt| < 1.1).
		for i := range mag {
			mag[i] = float32(1.1 * (math.Abs(0.7*float64(x[i])) + 0.3))
		}
		tw, tg := make([]float32, m), make([]float32, m)
		affineSiLUToScalar(want, tw, x, 0.7, -0.3)
		AffineSiLUTo(got, tg, x, 0.7, -0.3)
		check("AffineSiLUTo t", tg, tw, mag)
		check("AffineSiLUTo y", got, want, mag)
		AffineSiLUTo(got, nil, x, 0.7, -0.3)
		check("AffineSiLUTo y (no t)", got, want, mag)
		affineToScalar(want, x, 0.7, -0.3)
		AffineTo(got, x, 0.7, -0.3)
		check("AffineTo", got, want, mag)
		expToScalar(want, x)
		ExpTo(got, x)
		check("ExpTo", got, want, nil)
		copy(want, d)
		copy(got, d)
		axpyScalar(-1.5, x, want)
		Axpy(-1.5, x, got)
		for i := range mag {
			mag[i] = float32(math.Abs(1.5 * float64(x[i])))
		}
		check("Axpy", got, want, mag)
		copy(want, x)
		copy(got, x)
		scaleScalar(0.3, want)
		Scale(0.3, got)
		check("Scale", got, want, nil)
		addScalar(want, x, d)
		Add(got, x, d)
		check("Add", got, want, nil)
		copy(got, x)
		Add(got, got, d) // aliasing dst and a
		check("Add aliased", got, want, nil)
		// Reductions follow one fixed order in every build: bitwise equal.
		if s, r := Sum(x), sumScalar(x); s != r && !(s != s && r != r) {
			t.Errorf("Sum: fast %v, scalar %v", s, r)
		}
		if s, r := SumSq(x), sumSqScalar(x); s != r && !(s != s && r != r) {
			t.Errorf("SumSq: fast %v, scalar %v", s, r)
		}
		if s, r := Dot(x, d), dotScalar(x, d); s != r && !(s != s && r != r) {
			t.Errorf("Dot: fast %v, scalar %v", s, r)
		}
	}
}

func TestReductions(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 6))
	for _, n := range []int{0, 1, 7, 8, 9, 100, 1003} {
		x, y := randSlice(rng, n), randSlice(rng, n)
		var s, sa, q, d, da float64
		for i := range x {
			s += float64(x[i])
			sa += math.Abs(float64(x[i]))
			q += float64(x[i]) * float64(x[i])
			d += float64(x[i]) * float64(y[i])
			da += math.Abs(float64(x[i]) * float64(y[i]))
		}
		tol := 1e-15 * float64(n)
		if math.Abs(Sum(x)-s) > tol*sa || math.Abs(SumSq(x)-q) > tol*q || math.Abs(Dot(x, y)-d) > tol*da {
			t.Errorf("n=%d: Sum %v (want %v), SumSq %v (want %v), Dot %v (want %v)", n, Sum(x), s, SumSq(x), q, Dot(x, y), d)
		}
	}
}

// adamRef is AdamStep's formula in float64.
func adamRef(p, g, m, v float64, lr, b1, b2, eps, c1, c2, wd float64) (float64, float64, float64) {
	g += wd * p
	m = b1*m + (1-b1)*g
	v = b2*v + (1-b2)*g*g
	return p - lr*(m/c1)/(math.Sqrt(v/c2)+eps), m, v
}

func TestAdamStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 7))
	const n = 1037
	for _, wd := range []float32{0, 0.01} {
		p, g := randSlice(rng, n), randSlice(rng, n)
		m, v := randSlice(rng, n), randSlice(rng, n)
		for i := range v {
			v[i] *= v[i]
			m[i] *= 0.1
			g[i] *= float32(math.Pow(10, rng.Float64()*6-4))
		}
		lr, b1, b2, eps := float32(2e-3), float32(0.9), float32(0.999), float32(1e-8)
		step := 7
		c1, c2 := float32(1-math.Pow(0.9, float64(step))), float32(1-math.Pow(0.999, float64(step)))
		ps, ms, vs := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		pf, mf, vf := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		adamStepScalar(ps, g, ms, vs, lr, b1, b2, eps, c1, c2, wd)
		AdamStep(pf, g, mf, vf, lr, b1, b2, eps, c1, c2, wd)
		for i := range p {
			wp, wm, wv := adamRef(float64(p[i]), float64(g[i]), float64(m[i]), float64(v[i]),
				float64(lr), float64(b1), float64(b2), float64(eps), float64(c1), float64(c2), float64(wd))
			// The update is lr-sized: its error is relative to lr (a few ulp),
			// on top of p's own rounding.
			for _, got := range []struct {
				name    string
				p, m, v float32
			}{{"scalar", ps[i], ms[i], vs[i]}, {"fast", pf[i], mf[i], vf[i]}} {
				if math.Abs(float64(got.p)-wp) > 1e-6*float64(lr)*math.Abs((float64(got.p)-float64(p[i]))/float64(lr))+1e-7*math.Abs(wp)+1e-12 ||
					math.Abs(float64(got.m)-wm) > 3e-7*(math.Abs(float64(m[i]))+math.Abs(float64(g[i])))+1e-12 ||
					math.Abs(float64(got.v)-wv) > 3e-7*math.Abs(wv)+1e-20 {
					t.Fatalf("AdamStep %s wd=%v i=%d: p,m,v = %v,%v,%v, want %v,%v,%v", got.name, wd, i, got.p, got.m, got.v, wp, wm, wv)
				}
			}
		}
	}
}

func TestEMA(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 8))
	const n = 1037
	for _, decay := range []float32{0, 0.5, 0.999, 1} {
		e, p := randSlice(rng, n), randSlice(rng, n)
		es := append([]float32(nil), e...)
		ef := append([]float32(nil), e...)
		emaScalar(es, p, decay)
		EMA(ef, p, decay)
		for i := range e {
			d := float64(decay)
			want := d*float64(e[i]) + (1-d)*float64(p[i])
			tol := 2.5e-7 * (d*math.Abs(float64(e[i])) + (1-d)*math.Abs(float64(p[i])))
			if math.Abs(float64(es[i])-want) > tol || math.Abs(float64(ef[i])-want) > tol {
				t.Fatalf("EMA decay=%v i=%d: scalar %v, fast %v, want %v", decay, i, es[i], ef[i], want)
			}
		}
	}
}
