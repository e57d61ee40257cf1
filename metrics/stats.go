package metrics

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// MeanCI95 returns the sample mean of v and the half-width of its two-sided
// 95% Student-t confidence interval,
//
//	half = t_{0.975, n−1} · s/√n,   s² = 1/(n−1) Σ (vᵢ − mean)²,
//
// used wherever results are summarised over seeds (report mean ± half).
// For n = 3, t_{0.975,2} = 4.303. With one value half is NaN (no spread can
// be estimated). It panics on an empty slice.
func MeanCI95(v []float64) (mean, half float64) {
	n := len(v)
	if n == 0 {
		panic("metrics: MeanCI95: empty slice")
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(n)
	if n == 1 {
		return mean, math.NaN()
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	s := math.Sqrt(ss / float64(n-1))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.975)
	return mean, t * s / math.Sqrt(float64(n))
}

// KS2 returns the two-sample Kolmogorov–Smirnov statistic
//
//	D = sup_x |F_a(x) − F_b(x)|
//
// between the empirical CDFs of a and b (ties handled: all equal values
// step together), and its p-value under H0 "same continuous law" from the
// asymptotic Kolmogorov distribution with Stephens' finite-sample
// correction, p = Q_KS((√nₑ + 0.12 + 0.11/√nₑ)·D), nₑ = nm/(n+m)
// (Numerical Recipes §14.3). The p-value is approximate; it is accurate to a
// few per cent for nₑ ≳ 4 and meant for tests with hundreds of values. a and
// b are not modified. It panics if either is empty or holds a NaN.
func KS2(a, b []float64) (d, p float64) {
	if len(a) == 0 || len(b) == 0 {
		panic("metrics: KS2: empty sample")
	}
	as := sortedCopy(a, "KS2")
	bs := sortedCopy(b, "KS2")
	n, m := len(as), len(bs)
	i, j := 0, 0
	for i < n && j < m {
		v := min(as[i], bs[j])
		for i < n && as[i] == v {
			i++
		}
		for j < m && bs[j] == v {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(n)-float64(j)/float64(m)))
	}
	ne := float64(n) * float64(m) / float64(n+m)
	return d, kolmogorovQ(stephens(ne) * d)
}

// KS1 returns the one-sample Kolmogorov–Smirnov statistic
//
//	D = sup_x |F_a(x) − F(x)| = maxᵢ max(i/n − F(a₍ᵢ₎), F(a₍ᵢ₎) − (i−1)/n)
//
// of the sample a against the continuous CDF cdf, and its approximate
// p-value Q_KS((√n + 0.12 + 0.11/√n)·D) as in KS2. a is not modified. It
// panics if a is empty or holds a NaN.
func KS1(a []float64, cdf func(float64) float64) (d, p float64) {
	if len(a) == 0 {
		panic("metrics: KS1: empty sample")
	}
	as := sortedCopy(a, "KS1")
	n := float64(len(as))
	for i, x := range as {
		f := cdf(x)
		d = max(d, float64(i+1)/n-f, f-float64(i)/n)
	}
	return d, kolmogorovQ(stephens(n) * d)
}

func sortedCopy(a []float64, name string) []float64 {
	s := slices.Clone(a)
	for _, x := range s {
		if math.IsNaN(x) {
			panic(fmt.Sprintf("metrics: %s: NaN in sample", name))
		}
	}
	slices.Sort(s)
	return s
}

func stephens(ne float64) float64 {
	r := math.Sqrt(ne)
	return r + 0.12 + 0.11/r
}

// kolmogorovQ is the Kolmogorov survival function
//
//	Q_KS(λ) = 2 Σ_{j≥1} (−1)^(j−1) exp(−2j²λ²)
//	        = 1 − √(2π)/λ · Σ_{j≥1} exp(−(2j−1)²π²/(8λ²)),
//
// using the second (Jacobi-transformed) series for λ < 1.18 where the first
// converges slowly.
func kolmogorovQ(l float64) float64 {
	if l <= 0 {
		return 1
	}
	if l < 1.18 {
		if l < 0.1 {
			return 1 // P(K ≤ 0.1) < 1e-100
		}
		y := math.Exp(-math.Pi * math.Pi / (8 * l * l))
		var s float64
		for j := 1; j <= 20; j++ {
			s += math.Pow(y, float64((2*j-1)*(2*j-1)))
		}
		return clamp01(1 - math.Sqrt(2*math.Pi)/l*s)
	}
	var s float64
	sign := 1.0
	for j := 1; j <= 100; j++ {
		t := math.Exp(-2 * float64(j*j) * l * l)
		s += sign * t
		if t < 1e-17 {
			break
		}
		sign = -sign
	}
	return clamp01(2 * s)
}

func clamp01(x float64) float64 { return min(max(x, 0), 1) }

// SignTest is the paired sign test of a against b (lower is better): wins
// (a < b), losses (a > b), ties dropped, the two-sided binomial p-value
// 2·P(X ≤ min(w, l)), X ~ Bin(w+l, ½), capped at 1, and the mean of a − b.
func SignTest(a, b []float64) (wins, losses int, p, meanDiff float64) {
	for i := range a {
		switch {
		case a[i] < b[i]:
			wins++
		case a[i] > b[i]:
			losses++
		}
		meanDiff += (a[i] - b[i]) / float64(len(a))
	}
	n := wins + losses
	if n == 0 {
		return 0, 0, 1, meanDiff
	}
	p = math.Min(1, 2*distuv.Binomial{N: float64(n), P: 0.5}.CDF(float64(min(wins, losses))))
	return wins, losses, p, meanDiff
}

// TTestPower returns the power of the two-sided one-sample (or paired)
// t-test at level α with n observations when the true mean is ncp·σ/√n:
//
//	P(|T| > t_c),  T = (Z + ncp)/√(V/ν),  Z ~ N(0,1),  V ~ χ²_ν,  ν = n−1,
//
// t_c = t_{1−α/2, ν}, computed exactly as the integral over V of
// Φ(−t_c√(V/ν) − ncp) + 1 − Φ(t_c√(V/ν) − ncp), by the midpoint rule on
// 4,000 equal-probability quantiles of χ²_ν (the noncentral t, not a
// normal approximation, so it holds at n = 3). It panics for n < 2.
func TTestPower(n int, alpha, ncp float64) float64 {
	if n < 2 {
		panic(fmt.Sprintf("metrics: TTestPower: n = %d < 2", n))
	}
	nu := float64(n - 1)
	tc := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: nu}.Quantile(1 - alpha/2)
	chi := distuv.ChiSquared{K: nu}
	const m = 4000
	var p float64
	for i := 0; i < m; i++ {
		c := tc * math.Sqrt(chi.Quantile((float64(i)+0.5)/m)/nu)
		p += distuv.UnitNormal.CDF(-c-ncp) + distuv.UnitNormal.Survival(c-ncp)
	}
	return p / m
}

// PairedMDE returns the smallest effect a paired comparison of the given
// differences could detect: the mean difference δ at which the two-sided
// t-test at level α = 0.05 has the given power (e.g. 0.8) with n = len(d)
// pairs, taking the sample standard deviation s_d of d as the true one:
// δ = ncp·s_d/√n with TTestPower(n, 0.05, ncp) = power, solved by bisection.
// NaN for fewer than two differences.
func PairedMDE(d []float64, power float64) float64 {
	n := len(d)
	if n < 2 {
		return math.NaN()
	}
	mean := 0.0
	for _, x := range d {
		mean += x
	}
	mean /= float64(n)
	var ss float64
	for _, x := range d {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / float64(n-1))
	lo, hi := 0.0, 1.0
	for TTestPower(n, 0.05, hi) < power {
		lo, hi = hi, 2*hi
	}
	for it := 0; it < 50 && hi-lo > 1e-9*hi; it++ {
		mid := (lo + hi) / 2
		if TTestPower(n, 0.05, mid) < power {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2 * sd / math.Sqrt(float64(n))
}
