package pfgm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

var inf = math.Inf(1)

// rho2s draws n perturbations of a fixed random y ∈ ℝᴺ at σ and returns the
// squared radii ρ² = ‖x−y‖².
func rho2s(k Kernel, dim, n int, sigma float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	y := make([]float64, dim)
	for i := range y {
		y[i] = 3 * rng.NormFloat64()
	}
	x := make([]float64, dim)
	out := make([]float64, n)
	for j := range out {
		k.Perturb(x, y, sigma, rng)
		var s float64
		for i := range x {
			d := x[i] - y[i]
			s += d * d
		}
		out[j] = s
	}
	return out
}

// TestRadiusLaw checks ρ²/r² ~ BetaPrime(N/2, D/2), r = σ√D, through the
// equivalent B = ρ²/(ρ²+r²) ~ Beta(N/2, D/2), for both sampling routes
// (the Beta route only where its clip has no visible effect).
func TestRadiusLaw(t *testing.T) {
	const n, sigma = 10000, 0.7
	for _, dim := range []int{2, 784} {
		for _, d := range []float64{1, 4, 128} {
			t.Run(fmt.Sprintf("N=%d,D=%v", dim, d), func(t *testing.T) {
				k := Kernel{D: d}
				r2 := k.R(sigma) * k.R(sigma)
				rho2 := rho2s(k, dim, n, sigma, uint64(dim)*1000+uint64(d))
				b := make([]float64, n)
				for i, v := range rho2 {
					b[i] = v / (v + r2)
				}
				ref := distuv.Beta{Alpha: float64(dim) / 2, Beta: d / 2}
				s := ks1(b, ref.CDF)
				if s > ks1Crit(n) {
					t.Errorf("KS vs Beta(N/2, D/2) = %.4f > %.4f", s, ks1Crit(n))
				}
				t.Logf("KS = %.4f (critical %.4f at α = 0.001)", s, ks1Crit(n))
			})
		}
	}
}

// TestMeanRho2 checks E[ρ²] = σ²ND/(D−2) within 5 standard errors, the
// standard error taken from the closed-form CV.
func TestMeanRho2(t *testing.T) {
	const n, sigma = 40000, 1.3
	for _, dim := range []int{2, 784} {
		for _, d := range []float64{8, 16, 128, inf} {
			k := Kernel{D: d}
			rho2 := rho2s(k, dim, n, sigma, 11)
			var m float64
			for _, v := range rho2 {
				m += v / n
			}
			want := k.MeanRho2(dim, sigma)
			se := want * k.CVRho2(dim) / math.Sqrt(n)
			if math.Abs(m-want) > 5*se {
				t.Errorf("N=%d D=%v: mean ρ² = %.4f, want %.4f ± %.3g", dim, d, m, want, 5*se)
			}
			t.Logf("N=%d D=%v: mean ρ² = %.4f, σ²ND/(D−2) = %.4f (SE %.3g)", dim, d, m, want, se)
		}
	}
	if got := (Kernel{D: 2}).MeanRho2(3, 1); !math.IsInf(got, 1) {
		t.Errorf("D=2: E[ρ²] = %v, want +Inf", got)
	}
	if got, want := (Kernel{D: 10}).MeanRho2(3, 2), 4*3*10.0/8; math.Abs(got-want) > 1e-12 {
		t.Errorf("D=10 N=3 σ=2: E[ρ²] = %v, want %v", got, want)
	}
}

// TestCVTable checks the spec's CV(ρ²) table (closed form, two decimals)
// and the empirical CV of sampled radii against the closed form.
func TestCVTable(t *testing.T) {
	table := []struct {
		n    int
		d    float64
		want float64
	}{
		{784, 16, 0.41}, {784, 64, 0.19}, {784, 128, 0.14}, {784, 2048, 0.059}, {784, inf, 0.051},
		{2, 16, 1.15}, {2, 64, 1.03}, {2, 128, 1.02}, {2, 2048, 1.00}, {2, inf, 1.00},
	}
	for _, c := range table {
		got := Kernel{D: c.d}.CVRho2(c.n)
		tol := 0.005
		if c.want < 0.1 {
			tol = 0.0005
		}
		if math.Abs(got-c.want) > tol {
			t.Errorf("CV(ρ²) N=%d D=%v = %.4f, want %v", c.n, c.d, got, c.want)
		}
	}
	const n = 40000
	for _, c := range []struct {
		n int
		d float64
	}{{784, 16}, {784, 128}, {784, inf}, {2, 64}, {2, inf}} {
		k := Kernel{D: c.d}
		rho2 := rho2s(k, c.n, n, 0.9, 5)
		var m, m2 float64
		for _, v := range rho2 {
			m += v
			m2 += v * v
		}
		m /= n
		cv := math.Sqrt(m2/n-m*m) / m
		want := k.CVRho2(c.n)
		if math.Abs(cv-want) > 0.06*want {
			t.Errorf("N=%d D=%v: empirical CV %.4f, closed form %.4f", c.n, c.d, cv, want)
		}
		t.Logf("N=%d D=%v: empirical CV(ρ²) %.4f, closed form %.4f", c.n, c.d, cv, want)
	}
}

// TestTailExponent checks P(ρ > t) ∝ t^(−D) with the Hill estimator on the
// top 1% of radii in N = 2.
func TestTailExponent(t *testing.T) {
	const n, top = 200000, 2000
	for _, d := range []float64{1, 2, 4} {
		rho2 := rho2s(Kernel{D: d}, 2, n, 1, 3)
		slicesSortDesc(rho2)
		var h float64
		for i := 0; i < top; i++ {
			h += 0.5 * math.Log(rho2[i]/rho2[top])
		}
		alpha := top / h
		t.Logf("D=%v: Hill tail index %.3f", d, alpha)
		if math.Abs(alpha-d) > 0.1*d {
			t.Errorf("D=%v: Hill tail index %.3f, want %v", d, alpha, d)
		}
	}
}

func slicesSortDesc(x []float64) {
	slices.Sort(x)
	slices.Reverse(x)
}

// TestBetaRouteMatchesGamma compares the official (clipped Beta) route and
// the Gamma-ratio route by a two-sample KS test where the clip is
// immaterial, and checks the clip's mass where it matters.
func TestBetaRouteMatchesGamma(t *testing.T) {
	const n, sigma = 10000, 0.5
	for _, c := range []struct {
		n int
		d float64
	}{{2, 4}, {2, 8}, {784, 16}, {784, 128}, {100, 1000}} {
		a := rho2s(Kernel{D: c.d}, c.n, n, sigma, 21)
		b := rho2s(Kernel{D: c.d, ClipLikeOfficial: true}, c.n, n, sigma, 22)
		s := ks2(a, b)
		if s > ks2Crit(n, n) {
			t.Errorf("N=%d D=%v: two-sample KS = %.4f > %.4f", c.n, c.d, s, ks2Crit(n, n))
		}
		t.Logf("Beta vs Gamma route, N=%d D=%v: KS = %.4f (critical %.4f)", c.n, c.d, s, ks2Crit(n, n))
	}
	// Where the clip bites: N = 2, D = 2048 puts P(B < 1e-3) ≈ 64% of the
	// draws at ρ = r·√(q_clip); N = 784, D = 1 puts P(B > 0.999) ≈ 62% at the
	// upper clip. The clipped share must match the Beta law's mass.
	for _, c := range []struct {
		n     int
		d     float64
		lower bool
	}{{2, 2048, true}, {784, 1, false}} {
		k := Kernel{D: c.d, ClipLikeOfficial: true}
		r2 := k.R(sigma) * k.R(sigma)
		rho2 := rho2s(k, c.n, n, sigma, 23)
		ref := distuv.Beta{Alpha: float64(c.n) / 2, Beta: c.d / 2}
		var want float64
		var hit int
		qLo := BetaClip / (1 - BetaClip + betaEps)
		qHi := (1 - BetaClip) / (BetaClip + betaEps)
		for _, v := range rho2 {
			q := v/r2 - betaEps
			if c.lower && math.Abs(q-qLo) < 1e-9*qLo || !c.lower && math.Abs(q-qHi) < 1e-9*qHi {
				hit++
			}
		}
		if c.lower {
			want = ref.CDF(BetaClip)
		} else {
			want = ref.Survival(1 - BetaClip)
		}
		got := float64(hit) / n
		t.Logf("clip, N=%d D=%v: clipped share %.4f, Beta law %.4f", c.n, c.d, got, want)
		if se := math.Sqrt(want * (1 - want) / n); math.Abs(got-want) > 5*se {
			t.Errorf("N=%d D=%v: clipped share %.4f, want %.4f", c.n, c.d, got, want)
		}
		if want < 0.5 {
			t.Errorf("N=%d D=%v: spec says the clip takes > 60%%, Beta law gives %.3f", c.n, c.d, want)
		}
	}
}

// TestGaussianLimit checks that D = 10⁶ matches Gaussian noise (D = inf):
// squared radii by a two-sample KS test, single coordinates against N(0, σ²).
func TestGaussianLimit(t *testing.T) {
	const n, sigma = 10000, 2.0
	for _, dim := range []int{2, 784} {
		a := rho2s(Kernel{D: 1e6}, dim, n, sigma, 31)
		b := rho2s(Kernel{D: inf}, dim, n, sigma, 32)
		s := ks2(a, b)
		if s > ks2Crit(n, n) {
			t.Errorf("N=%d: KS(ρ², D=1e6 vs inf) = %.4f > %.4f", dim, s, ks2Crit(n, n))
		}
		t.Logf("N=%d: KS(ρ², D=1e6 vs inf) = %.4f (critical %.4f)", dim, s, ks2Crit(n, n))
		// The Gaussian route itself: ρ²/σ² ~ χ²_N.
		chi := distuv.ChiSquared{K: float64(dim)}
		sc := make([]float64, n)
		for i, v := range b {
			sc[i] = v / (sigma * sigma)
		}
		if s := ks1(sc, chi.CDF); s > ks1Crit(n) {
			t.Errorf("N=%d: KS(ρ²/σ² vs χ²_N) = %.4f", dim, s)
		}
	}
	rng := rand.New(rand.NewPCG(33, 0))
	k := Kernel{D: 1e6}
	x1 := make([]float64, n)
	one := []float64{0}
	dst := []float64{0}
	for i := range x1 {
		k.Perturb(dst, one, sigma, rng)
		x1[i] = dst[0]
	}
	norm := distuv.Normal{Mu: 0, Sigma: sigma}
	if s := ks1(x1, norm.CDF); s > ks1Crit(n) {
		t.Errorf("D=1e6, N=1: KS vs N(0,σ²) = %.4f", s)
	}
}

// TestPriorNormLaw checks that the prior at σ_max is the kernel centred at 0
// with r_max = σ_max√D: ‖x‖²/(‖x‖²+r_max²) ~ Beta(N/2, D/2), and ‖x‖²/σ_max²
// ~ χ²_N at D = inf; and that it matches Perturb(0) by a two-sample test.
func TestPriorNormLaw(t *testing.T) {
	const n, sigmaMax = 10000, 80.0
	for _, dim := range []int{2, 784} {
		for _, d := range []float64{1, 4, 128, inf} {
			k := Kernel{D: d}
			rng := rand.New(rand.NewPCG(41, uint64(dim)))
			x := make([]float64, dim)
			norms := make([]float64, n)
			for j := range norms {
				k.Prior(x, sigmaMax, rng)
				for _, v := range x {
					norms[j] += v * v
				}
			}
			var s float64
			if k.Gaussian() {
				chi := distuv.ChiSquared{K: float64(dim)}
				sc := make([]float64, n)
				for i, v := range norms {
					sc[i] = v / (sigmaMax * sigmaMax)
				}
				s = ks1(sc, chi.CDF)
			} else {
				rmax2 := sigmaMax * sigmaMax * d
				b := make([]float64, n)
				for i, v := range norms {
					b[i] = v / (v + rmax2)
				}
				s = ks1(b, distuv.Beta{Alpha: float64(dim) / 2, Beta: d / 2}.CDF)
			}
			if s > ks1Crit(n) {
				t.Errorf("N=%d D=%v: prior norm KS = %.4f > %.4f", dim, d, s, ks1Crit(n))
			}
			t.Logf("N=%d D=%v: prior norm KS = %.4f (critical %.4f)", dim, d, s, ks1Crit(n))
			// Clip does not apply to the prior.
			kc := Kernel{D: d, ClipLikeOfficial: true}
			pert := rho2s(Kernel{D: d}, dim, n, sigmaMax, 42)
			norms2 := make([]float64, n)
			for j := range norms2 {
				kc.Prior(x, sigmaMax, rng)
				for _, v := range x {
					norms2[j] += v * v
				}
			}
			if s := ks2(pert, norms2); s > ks2Crit(n, n) {
				t.Errorf("N=%d D=%v: prior vs Perturb(0, σ_max) KS = %.4f", dim, d, s)
			}
		}
	}
}

// TestLogWeight checks LogWeight against −(N+D)/2·log(d2 + σ²D) up to a
// constant, its Gaussian limit, and finiteness with (N+D)/2 up to 10⁶.
func TestLogWeight(t *testing.T) {
	const sigma = 0.3
	for _, d := range []float64{1, 4, 128} {
		k := Kernel{D: d}
		for _, n := range []int{2, 784} {
			c := -(float64(n) + d) / 2
			ref := func(d2 float64) float64 { return c * math.Log(d2+sigma*sigma*d) }
			for _, pair := range [][2]float64{{0, 1}, {0.01, 5}, {3, 300}} {
				got := k.LogWeight(pair[1], n, sigma) - k.LogWeight(pair[0], n, sigma)
				want := ref(pair[1]) - ref(pair[0])
				if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Errorf("D=%v N=%d d2=%v: Δlog w = %v, want %v", d, n, pair, got, want)
				}
			}
		}
	}
	// (N+D)/2 ≈ 10⁶: finite, and normalised weights equal the Gaussian ones.
	g := Kernel{D: inf}
	for _, k := range []Kernel{{D: 2e6 - 784}, {D: 2e6 - 2}} {
		d2s := []float64{0, 0.01, 0.1, 0.5, 1, 4, 100, 1e4}
		lw, lg := softmaxLog(k, d2s, 784, sigma), softmaxLog(g, d2s, 784, sigma)
		for i := range d2s {
			if math.IsNaN(lw[i]) || math.IsInf(lw[i], 1) {
				t.Fatalf("D=%v: log weight %v at d2=%v", k.D, lw[i], d2s[i])
			}
			w, wg := math.Exp(lw[i]), math.Exp(lg[i])
			if math.Abs(w-wg) > 1e-3 {
				t.Errorf("D=%v d2=%v: weight %v, Gaussian %v", k.D, d2s[i], w, wg)
			}
		}
	}
}

func softmaxLog(k Kernel, d2s []float64, n int, sigma float64) []float64 {
	out := make([]float64, len(d2s))
	mx := math.Inf(-1)
	for i, d2 := range d2s {
		out[i] = k.LogWeight(d2, n, sigma)
		mx = math.Max(mx, out[i])
	}
	var s float64
	for _, v := range out {
		s += math.Exp(v - mx)
	}
	for i := range out {
		out[i] -= mx + math.Log(s)
	}
	return out
}

func TestValidateAndParseD(t *testing.T) {
	good := map[string]float64{"1": 1, "4": 4, "128": 128, "2.5": 2.5, "inf": inf, "Inf": inf, "∞": inf, " 32 ": 32, "1e6": 1e6}
	for s, want := range good {
		got, err := ParseD(s)
		if err != nil || got != want {
			t.Errorf("ParseD(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"0", "-1", "abc", "", "nan", "0.5", "-inf"} {
		if _, err := ParseD(s); err == nil {
			t.Errorf("ParseD(%q): no error", s)
		}
	}
	var ds Ds
	if err := ds.Set("1,4,inf"); err != nil || len(ds) != 3 || !math.IsInf(ds[2], 1) {
		t.Errorf("Ds.Set = %v, %v", ds, err)
	}
	if got := ds.String(); got != "1,4,inf" {
		t.Errorf("Ds.String = %q", got)
	}
	if err := ds.Set("1,0"); err == nil {
		t.Error("Ds.Set(1,0): no error")
	}
	if (Kernel{D: math.NaN()}).Validate() == nil {
		t.Error("Validate(NaN): no error")
	}
}

func TestPerturbPanicsOnLength(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	Kernel{D: 4}.Perturb(make([]float64, 2), make([]float64, 3), 1, rand.New(rand.NewPCG(0, 0)))
}

// TestPriorSharesDirections checks that the same generator state gives the
// same direction at every D (only the radius depends on D).
func TestPriorSharesDirections(t *testing.T) {
	const dim = 50
	ref := make([]float64, dim)
	Kernel{D: inf}.Prior(ref, 80, rand.New(rand.NewPCG(71, 3)))
	for _, d := range []float64{1, 4, 128} {
		x := make([]float64, dim)
		Kernel{D: d}.Prior(x, 80, rand.New(rand.NewPCG(71, 3)))
		var dot, nx, nr float64
		for i := range x {
			dot += x[i] * ref[i]
			nx += x[i] * x[i]
			nr += ref[i] * ref[i]
		}
		if c := dot / math.Sqrt(nx*nr); math.Abs(c-1) > 1e-12 {
			t.Errorf("D=%v: cos(direction, Gaussian direction) = %v", d, c)
		}
	}
}
