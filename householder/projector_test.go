package householder

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func maxAbsDiffIdentity(t *testing.T, o *mat.Dense) float64 {
	t.Helper()
	_, n := o.Dims()
	var oto mat.Dense
	oto.Mul(o.T(), o)
	var m float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			want := 0.0
			if i == j {
				want = 1
			}
			m = math.Max(m, math.Abs(oto.At(i, j)-want))
		}
	}
	return m
}

func TestOrthogonal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{1, 2, 5, 16, 32} {
		p := RandomP(n, rng)
		o := Orthogonal(p)
		if e := maxAbsDiffIdentity(t, o); e > 1e-12 {
			t.Errorf("n=%d: ‖OᵀO − I‖∞ = %g", n, e)
		}
		det := mat.Det(o)
		if want := math.Pow(-1, float64(n)); math.Abs(det-want) > 1e-9 {
			t.Errorf("n=%d: det O = %g, want %g", n, det, want)
		}
		// ApplyO on a vector equals the matrix times the vector.
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		var want mat.VecDense
		want.MulVec(o, mat.NewVecDense(n, append([]float64(nil), x...)))
		ApplyO(p, x)
		for i := range x {
			if math.Abs(x[i]-want.AtVec(i)) > 1e-12 {
				t.Fatalf("n=%d: ApplyO[%d] = %g, O·x = %g", n, i, x[i], want.AtVec(i))
			}
		}
	}
	// H(v) for a single reflector is I − 2vvᵀ/‖v‖² (independent route).
	v := []float64{1, -2, 0.5}
	p := mat.NewDense(3, 1, v)
	o := Orthogonal(p)
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			want := -2 * v[i] * v[j] / 5.25
			if i == j {
				want++
			}
			if math.Abs(o.At(i, j)-want) > 1e-14 {
				t.Fatalf("H[%d,%d] = %g, want %g", i, j, o.At(i, j), want)
			}
		}
	}
}

// TestOrthogonalBackward checks ∂L/∂P and ∂L/∂X of L = Σ G⊙(O(P)·X) against
// central differences.
func TestOrthogonalBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 1))
	n, r, m := 6, 4, 3
	p := mat.NewDense(n, r, nil)
	x := mat.NewDense(n, m, nil)
	g := mat.NewDense(n, m, nil)
	for _, a := range []*mat.Dense{p, x, g} {
		rr, cc := a.Dims()
		for i := 0; i < rr; i++ {
			for j := 0; j < cc; j++ {
				a.Set(i, j, rng.NormFloat64())
			}
		}
	}
	loss := func() float64 {
		var s float64
		for c := 0; c < m; c++ {
			col := mat.Col(nil, c, x)
			ApplyO(p, col)
			for i := range col {
				s += g.At(i, c) * col[i]
			}
		}
		return s
	}
	var y mat.Dense
	y.Mul(Orthogonal(p), x)
	gp, gx := OrthogonalBackward(p, &y, g)
	const h = 1e-6
	check := func(name string, a, grad *mat.Dense) {
		rr, cc := a.Dims()
		for i := 0; i < rr; i++ {
			for j := 0; j < cc; j++ {
				v := a.At(i, j)
				a.Set(i, j, v+h)
				lp := loss()
				a.Set(i, j, v-h)
				lm := loss()
				a.Set(i, j, v)
				fd := (lp - lm) / (2 * h)
				if math.Abs(fd-grad.At(i, j)) > 1e-7*(1+math.Abs(fd)) {
					t.Errorf("%s[%d,%d]: analytic %.10g, finite difference %.10g", name, i, j, grad.At(i, j), fd)
				}
			}
		}
	}
	check("∂L/∂P", p, gp)
	check("∂L/∂X", x, gx)
}

func TestBuildWSpectrum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	for _, tc := range []struct{ c, d, k int }{{32, 16, 3}, {32, 16, 5}, {16, 16, 8}, {32, 16, 16}, {8, 16, 8}} {
		w := BuildW(RandomP(tc.c, rng), RandomP(tc.d, rng), tc.k)
		var svd mat.SVD
		if !svd.Factorize(w, mat.SVDNone) {
			t.Fatal("svd failed")
		}
		sv := svd.Values(nil)
		for i, s := range sv {
			want := 0.0
			if i < tc.k {
				want = 1
			}
			if math.Abs(s-want) > 1e-10 {
				t.Errorf("C=%d d=%d k=%d: σ_%d = %g, want %g", tc.c, tc.d, tc.k, i, s, want)
			}
		}
	}
}

// TestBuildWBackward checks the gradient of L = Σ G⊙W with respect to P_U and
// P_V by central differences.
func TestBuildWBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 1))
	c, d, k := 7, 5, 3
	pu, pv := RandomP(c, rng), RandomP(d, rng)
	g := mat.NewDense(c, d, nil)
	for i := 0; i < c; i++ {
		for j := 0; j < d; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	loss := func() float64 {
		w := BuildW(pu, pv, k)
		var s float64
		for i := 0; i < c; i++ {
			for j := 0; j < d; j++ {
				s += g.At(i, j) * w.At(i, j)
			}
		}
		return s
	}
	gpu, gpv := BuildWBackward(pu, pv, k, g)
	const h = 1e-7
	for _, pair := range []struct {
		name    string
		p, grad *mat.Dense
	}{{"P_U", pu, gpu}, {"P_V", pv, gpv}} {
		n, _ := pair.p.Dims()
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				v := pair.p.At(i, j)
				pair.p.Set(i, j, v+h)
				lp := loss()
				pair.p.Set(i, j, v-h)
				lm := loss()
				pair.p.Set(i, j, v)
				fd := (lp - lm) / (2 * h)
				// entries are O(1/InitStd) = O(20): compare relatively
				if math.Abs(fd-pair.grad.At(i, j)) > 1e-5*(1+math.Abs(fd)) {
					t.Errorf("%s[%d,%d]: analytic %.8g, fd %.8g", pair.name, i, j, pair.grad.At(i, j), fd)
				}
			}
		}
	}
}

// TestInitFromSVD: the SVD initialisation reproduces U_k·V_kᵀ of the
// pretrained affine, exactly for k < min(C, d) and up to one sign-flipped
// pair in the full-rank square case.
func TestInitFromSVD(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1))
	for _, tc := range []struct{ c, d, k int }{{32, 16, 5}, {32, 16, 16}, {16, 16, 8}, {16, 16, 16}, {9, 16, 9}} {
		for rep := 0; rep < 4; rep++ {
			a := mat.NewDense(tc.c, tc.d, nil)
			for i := 0; i < tc.c; i++ {
				for j := 0; j < tc.d; j++ {
					a.Set(i, j, rng.NormFloat64())
				}
			}
			pu, pv, mis, err := InitFromSVD(a, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			var svd mat.SVD
			svd.Factorize(a, mat.SVDFull)
			var u, v mat.Dense
			svd.UTo(&u)
			svd.VTo(&v)
			want := mat.NewDense(tc.c, tc.d, nil)
			want.Mul(u.Slice(0, tc.c, 0, tc.k), v.Slice(0, tc.d, 0, tc.k).T())
			got := BuildW(pu, pv, tc.k)
			var diff mat.Dense
			diff.Sub(got, want)
			e := mat.Norm(&diff, math.Inf(1))
			switch {
			case mis == 0 && e > 1e-9:
				t.Errorf("C=%d d=%d k=%d: ‖W − U_kV_kᵀ‖ = %g with no mismatch reported", tc.c, tc.d, tc.k, e)
			case mis == 1:
				if tc.k != tc.c && tc.k != tc.d {
					t.Errorf("C=%d d=%d k=%d: mismatch reported with k < min(C,d)", tc.c, tc.d, tc.k)
				}
				// Flipping the last kept pair must make it exact.
				last := tc.k - 1
				var fix mat.Dense
				fix.Outer(2, mat.NewVecDense(tc.c, mat.Col(nil, last, &u)), mat.NewVecDense(tc.d, mat.Col(nil, last, &v)))
				diff.Add(&diff, &fix)
				if e2 := mat.Norm(&diff, math.Inf(1)); e2 > 1e-9 {
					t.Errorf("C=%d d=%d k=%d: after flipping pair %d, error %g", tc.c, tc.d, tc.k, last, e2)
				}
			}
			if tc.k < min(tc.c, tc.d) && mis != 0 {
				t.Errorf("C=%d d=%d k=%d: %d mismatches", tc.c, tc.d, tc.k, mis)
			}
		}
	}
}

// TestDirectionsSpanRowSpace: the read-off uses BuildW, so its directions
// span exactly the row space of the W the forward pass uses (pitfall 1), and
// rotating U_k and V_k together by any k×k rotation leaves W unchanged
// (pitfall 2).
func TestDirectionsSpanRowSpace(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	c, d, k := 32, 16, 5
	pu, pv := RandomP(c, rng), RandomP(d, rng)
	n, err := Directions(pu, pv, k)
	if err != nil {
		t.Fatal(err)
	}
	w := BuildW(pu, pv, k)
	// W·Nᵀ... the projector onto the row space is WᵀW (singular values 1).
	var proj, wn mat.Dense
	proj.Mul(w.T(), w)
	wn.Mul(&proj, n)
	var diff mat.Dense
	diff.Sub(&wn, n)
	if e := mat.Norm(&diff, math.Inf(1)); e > 1e-10 {
		t.Errorf("directions leave W's row space: ‖WᵀW·N − N‖ = %g", e)
	}
	// Orthonormal columns.
	if e := maxAbsDiffIdentity(t, mat.DenseCopyOf(n)); e > 1e-10 {
		t.Errorf("‖NᵀN − I‖ = %g", e)
	}
	// A random rotation R: U_k R (V_k R)ᵀ = U_k V_kᵀ.
	r := RandomRotation(k, rng)
	u := Orthogonal(pu).Slice(0, c, 0, k)
	v := Orthogonal(pv).Slice(0, k, 0, d).T()
	var ur, vr, w2 mat.Dense
	ur.Mul(u, r)
	vr.Mul(v, r)
	w2.Mul(&ur, vr.T())
	var diff2 mat.Dense
	diff2.Sub(&w2, w)
	if e := mat.Norm(&diff2, math.Inf(1)); e > 1e-12 {
		t.Errorf("rotation changed W by %g", e)
	}
}
