package metrics

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestFrechet1D(t *testing.T) {
	// W2² between N(μ1,σ1²) and N(μ2,σ2²) is (μ1−μ2)² + (σ1−σ2)².
	cases := []struct{ mu1, sd1, mu2, sd2 float64 }{
		{1.5, 2, -0.5, 0.5},
		{0, 1, 0, 1},
		{3, 0.1, 3, 7},
		{-2, 0, 1, 1}, // degenerate (zero variance) side
	}
	for _, c := range cases {
		got, err := Frechet([]float64{c.mu1}, mat.NewSymDense(1, []float64{c.sd1 * c.sd1}),
			[]float64{c.mu2}, mat.NewSymDense(1, []float64{c.sd2 * c.sd2}))
		if err != nil {
			t.Fatal(err)
		}
		want := (c.mu1-c.mu2)*(c.mu1-c.mu2) + (c.sd1-c.sd2)*(c.sd1-c.sd2)
		close(t, "1-D Frechet", got, want, 1e-12*(1+want))
	}
}

func TestFrechetDiagonal(t *testing.T) {
	// Commuting (diagonal) covariances: d² = ‖Δμ‖² + Σ(√aᵢ − √bᵢ)².
	rng := newRand(1)
	const d = 7
	a := make([]float64, d)
	b := make([]float64, d)
	for i := range a {
		a[i] = 0.1 + 3*rng.Float64()
		b[i] = 0.1 + 3*rng.Float64()
	}
	mu1, mu2 := randomVec(d, rng), randomVec(d, rng)
	s1 := mat.NewSymDense(d, nil)
	s2 := mat.NewSymDense(d, nil)
	var want float64
	for i := 0; i < d; i++ {
		s1.SetSym(i, i, a[i])
		s2.SetSym(i, i, b[i])
		want += (mu1[i]-mu2[i])*(mu1[i]-mu2[i]) + (math.Sqrt(a[i])-math.Sqrt(b[i]))*(math.Sqrt(a[i])-math.Sqrt(b[i]))
	}
	got, err := Frechet(mu1, s1, mu2, s2)
	if err != nil {
		t.Fatal(err)
	}
	close(t, "diagonal Frechet", got, want, 1e-10)

	// A common rotation Q leaves the distance unchanged: rotate both.
	q := randomOrthogonal(d, rng)
	rot := func(s *mat.SymDense) *mat.SymDense {
		var tmp, out mat.Dense
		tmp.Mul(q, s)
		out.Mul(&tmp, q.T())
		r := mat.NewSymDense(d, nil)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				r.SetSym(i, j, 0.5*(out.At(i, j)+out.At(j, i)))
			}
		}
		return r
	}
	mv := func(v []float64) []float64 {
		var o mat.VecDense
		o.MulVec(q, mat.NewVecDense(d, v))
		return o.RawVector().Data
	}
	gotR, err := Frechet(mv(mu1), rot(s1), mv(mu2), rot(s2))
	if err != nil {
		t.Fatal(err)
	}
	close(t, "rotated diagonal Frechet", gotR, want, 1e-9)
}

func randomOrthogonal(d int, rng interface{ NormFloat64() float64 }) *mat.Dense {
	a := mat.NewDense(d, d, nil)
	for i := range a.RawMatrix().Data {
		a.RawMatrix().Data[i] = rng.NormFloat64()
	}
	var qr mat.QR
	qr.Factorize(a)
	var q mat.Dense
	qr.QTo(&q)
	return &q
}

// traceSqrtNonSym is Σ√λᵢ(Σ1Σ2) from the eigenvalues of the non-symmetric
// product (mat.Eigen), the route torchmetrics takes.
func traceSqrtNonSym(t *testing.T, s1, s2 *mat.SymDense) float64 {
	t.Helper()
	var p mat.Dense
	p.Mul(s1, s2)
	var e mat.Eigen
	if !e.Factorize(&p, mat.EigenNone) {
		t.Fatal("Eigen failed")
	}
	var s float64
	for _, l := range e.Values(nil) {
		if math.Abs(imag(l)) > 1e-9*math.Abs(real(l)) {
			t.Fatalf("eigenvalue %v of Σ1Σ2 not real", l)
		}
		s += math.Sqrt(math.Max(real(l), 0))
	}
	return s
}

func TestFrechetRandomSPDTwoRoutes(t *testing.T) {
	rng := newRand(2)
	for _, d := range []int{2, 5, 16, 40} {
		s1 := randomSPD(d, 0.05, rng)
		s2 := randomSPD(d, 0.05, rng)
		mu1, mu2 := randomVec(d, rng), randomVec(d, rng)
		res, err := FrechetDetail(mu1, s1, mu2, s2)
		if err != nil {
			t.Fatal(err)
		}
		ref := traceSqrtNonSym(t, s1, s2)
		close(t, "Tr sqrt(Σ1Σ2) symmetric vs non-symmetric", res.TraceSqrt, ref, 1e-8*ref)
		var dmu float64
		for i := range mu1 {
			dmu += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i])
		}
		want := dmu + mat.Trace(s1) + mat.Trace(s2) - 2*ref
		close(t, "Frechet", res.D2, want, 1e-8*(1+want))
		if res.MinEigS1 <= 0 || res.MinEigM <= 0 {
			t.Errorf("d=%d: SPD inputs gave min eigenvalues %g, %g", d, res.MinEigS1, res.MinEigM)
		}
		// Symmetry of the distance.
		back, err := Frechet(mu2, s2, mu1, s1)
		if err != nil {
			t.Fatal(err)
		}
		close(t, "Frechet(2,1)", back, res.D2, 1e-8*(1+want))
		// Distance to itself.
		self, err := Frechet(mu1, s1, mu1, s1)
		if err != nil {
			t.Fatal(err)
		}
		close(t, "Frechet(1,1)", self, 0, 1e-9*mat.Trace(s1))

		// The "SVD of Σ1Σ2" shortcut: Σ√σᵢ(Σ1Σ2) ≥ Σ√|λᵢ(Σ1Σ2)|, with
		// equality only for a normal product. It must not agree here.
		var p mat.Dense
		p.Mul(s1, s2)
		var svd mat.SVD
		if !svd.Factorize(&p, mat.SVDNone) {
			t.Fatal("SVD failed")
		}
		var wrong float64
		for _, sv := range svd.Values(nil) {
			wrong += math.Sqrt(sv)
		}
		if wrong-res.TraceSqrt < 1e-3*res.TraceSqrt {
			t.Errorf("d=%d: SVD shortcut %.10g agrees with Tr sqrt %.10g; the test pair is not discriminating", d, wrong, res.TraceSqrt)
		}
	}
}

func TestFrechetSingular(t *testing.T) {
	// Rank-1 Σ1 = vvᵀ and Σ2 = I in 2-D: Σ1^½ = vvᵀ/‖v‖, M = vvᵀ, Tr √M = ‖v‖,
	// so d² = ‖v‖² + 2 − 2‖v‖.
	v := []float64{3, 4}
	s1 := mat.NewSymDense(2, []float64{9, 12, 12, 16})
	s2 := mat.NewSymDense(2, []float64{1, 0, 0, 1})
	got, err := Frechet([]float64{0, 0}, s1, []float64{0, 0}, s2)
	if err != nil {
		t.Fatal(err)
	}
	nv := math.Hypot(v[0], v[1])
	close(t, "rank-1 Frechet", got, nv*nv+2-2*nv, 1e-9)
}

func TestFrechetErrors(t *testing.T) {
	s := mat.NewSymDense(2, []float64{1, 0, 0, 1})
	_, err := Frechet([]float64{math.NaN(), 0}, s, []float64{0, 0}, s)
	if !errors.Is(err, ErrNonFinite) {
		t.Errorf("NaN mean: err = %v, want ErrNonFinite", err)
	}
	bad := mat.NewSymDense(2, []float64{1, math.Inf(1), math.Inf(1), 1})
	_, err = Frechet([]float64{0, 0}, bad, []float64{0, 0}, s)
	if !errors.Is(err, ErrNonFinite) {
		t.Errorf("Inf covariance: err = %v, want ErrNonFinite", err)
	}
	mustPanic(t, "dimension mismatch", func() { _, _ = Frechet([]float64{0}, s, []float64{0, 0}, s) })
	mustPanic(t, "FrechetDistance columns", func() {
		_, _ = FrechetDistance(mat.NewDense(3, 2, nil), mat.NewDense(3, 3, nil))
	})
	mustPanic(t, "MeanCov one row", func() { MeanCov(mat.NewDense(1, 2, nil)) })
}

func TestMeanCovBruteForce(t *testing.T) {
	rng := newRand(3)
	x := gaussian(37, []float64{1, -2, 0.5}, 1.3, rng)
	mu, cov := MeanCov(x)
	n, d := x.Dims()
	for j := 0; j < d; j++ {
		var s float64
		for i := 0; i < n; i++ {
			s += x.At(i, j)
		}
		close(t, "mean", mu[j], s/float64(n), 1e-12)
	}
	for a := 0; a < d; a++ {
		for b := 0; b < d; b++ {
			var s float64
			for i := 0; i < n; i++ {
				s += (x.At(i, a) - mu[a]) * (x.At(i, b) - mu[b])
			}
			close(t, "cov", cov.At(a, b), s/float64(n-1), 1e-12)
		}
	}
}

func TestFrechetDistanceSamples(t *testing.T) {
	rng := newRand(4)
	const n, d = 400, 6
	x := gaussian(n, make([]float64, d), 1, rng)
	// FD(x, x) = 0 and FD is invariant to row order.
	self, err := FrechetDistance(x, x)
	if err != nil {
		t.Fatal(err)
	}
	close(t, "FD(x,x)", self, 0, 1e-10)
	y := gaussian(n, []float64{0.5, 0, 0, 0, 0, 0}, 1.5, rng)
	fd, err := FrechetDistance(x, y)
	if err != nil {
		t.Fatal(err)
	}
	fdp, err := FrechetDistance(permuteRows(x, rng.Perm(n)), permuteRows(y, rng.Perm(n)))
	if err != nil {
		t.Fatal(err)
	}
	close(t, "FD under row permutation", fdp, fd, 1e-10*fd)

	// End to end: N(0,I) vs N(m, s²I) in d dims has d² = ‖m‖² + d(1−s)² =
	// 0.25 + 6·0.25 = 1.75. The plug-in estimate at n = 20000 has a standard
	// deviation of about 0.026 (delta method), so allow 4σ.
	big := 20000
	xb := gaussian(big, make([]float64, d), 1, rng)
	yb := gaussian(big, []float64{0.5, 0, 0, 0, 0, 0}, 1.5, rng)
	fdb, err := FrechetDistance(xb, yb)
	if err != nil {
		t.Fatal(err)
	}
	close(t, "FD sampled", fdb, 1.75, 0.1)
}

func BenchmarkFrechet128(b *testing.B) {
	rng := newRand(5)
	s1 := randomSPD(128, 0.01, rng)
	s2 := randomSPD(128, 0.01, rng)
	mu1, mu2 := randomVec(128, rng), randomVec(128, rng)
	for b.Loop() {
		if _, err := Frechet(mu1, s1, mu2, s2); err != nil {
			b.Fatal(err)
		}
	}
}
