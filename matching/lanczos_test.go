package matching

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
)

// TestLanczosMatchesDense: for every block width, the Lanczos eigenvalues
// of a limbed blob (162 vertices, k = 40) agree with the dense solver to
// 1e-10 relative (λ_1…), the zero mode to 1e-10 absolute, and the vectors
// are M-orthonormal to 1e-10 and span the dense eigenvectors.
func TestLanczosMatchesDense(t *testing.T) {
	m := blobMesh(4, 2)
	L, err := CotanLaplacian(m)
	if err != nil {
		t.Fatal(err)
	}
	M := Diag(LumpedMass(m))
	const k = 40
	bd, err := Eigenbasis(L, M, k, EigenOptions{Solver: Dense})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []int{1, 2, 3, 4, 8} {
		bz, err := Eigenbasis(L, M, k, EigenOptions{Solver: Lanczos, Block: p})
		if err != nil {
			t.Fatalf("block %d: %v", p, err)
		}
		if math.Abs(bz.Values[0]) > 1e-10 {
			t.Errorf("block %d: λ_0 = %g", p, bz.Values[0])
		}
		for i := 1; i < k; i++ {
			if d := math.Abs(bz.Values[i]-bd.Values[i]) / bd.Values[i]; d > 1e-10 {
				t.Errorf("block %d: λ_%d Lanczos %.15g dense %.15g (rel. %.1e)", p, i, bz.Values[i], bd.Values[i], d)
			}
		}
		var g, c mat.Dense
		g.Mul(bz.Vectors.T(), M.MulDense(bz.Vectors))
		c.Mul(bd.Vectors.T(), M.MulDense(bz.Vectors))
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				want := 0.0
				if i == j {
					want = 1
				}
				if d := math.Abs(g.At(i, j) - want); d > 1e-10 {
					t.Fatalf("block %d: (ΦᵀMΦ)_%d,%d = %.3g, want %g", p, i, j, g.At(i, j), want)
				}
			}
			if v := math.Abs(c.At(i, i)); v < 1-1e-8 {
				t.Errorf("block %d: |⟨φ_dense, φ_lanczos⟩_M| = %.10f for i=%d", p, v, i)
			}
		}
	}
}

// TestLanczosMultiplicity: on an icosphere the l = 1 eigenvalue has
// multiplicity 3 and l = 2 multiplicity 5 (icosahedral symmetry keeps the
// five l = 2 harmonics together). A single solve with block 2 cannot hold
// more than two copies, and its eigenvalues show a cluster of two; the
// solver then retries with wider blocks and returns all copies, equal to
// the dense solver's eigenvalues.
func TestLanczosMultiplicity(t *testing.T) {
	m := mesh.Icosphere(2) // 162 vertices
	L, err := CotanLaplacian(m)
	if err != nil {
		t.Fatal(err)
	}
	M := Diag(LumpedMass(m))
	const k = 16
	bd, err := Eigenbasis(L, M, k, EigenOptions{Solver: Dense})
	if err != nil {
		t.Fatal(err)
	}
	K := L.AddScaled(0.01, M)
	ch, err := NewSparseCholesky(K, nil)
	if err != nil {
		t.Fatal(err)
	}
	one, _, err := lanczos(L, M, ch, k, EigenOptions{Block: 2})
	if err != nil {
		t.Fatal(err)
	}
	if c := largestCluster(one.Values); c < 2 {
		t.Errorf("block-2 solve: largest cluster %d, want ≥ 2 (the check would not retry)", c)
	}
	bz, err := Eigenbasis(L, M, k, EigenOptions{Solver: Lanczos, Block: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < k; i++ {
		if d := math.Abs(bz.Values[i]-bd.Values[i]) / bd.Values[i]; d > 1e-10 {
			t.Errorf("λ_%d Lanczos %.15g dense %.15g", i, bz.Values[i], bd.Values[i])
		}
	}
	if c := largestCluster(bz.Values); c != 5 {
		t.Errorf("largest cluster %d, want 5 (l = 2)", c)
	}
}

func TestLargestCluster(t *testing.T) {
	for _, c := range []struct {
		vals []float64
		want int
	}{
		{nil, 0},
		{[]float64{1}, 1},
		{[]float64{0, 1, 2, 3}, 1},
		{[]float64{1e-14, -2e-14, 3e-15, 5, 9}, 3}, // three components
		{[]float64{0, 2, 2 * (1 + 1e-9), 2 * (1 - 1e-9), 6, 6, 6, 6, 6.1}, 4},
		{[]float64{0, 2, 2.001, 2.002}, 1},
	} {
		if got := largestCluster(c.vals); got != c.want {
			t.Errorf("largestCluster(%v) = %d, want %d", c.vals, got, c.want)
		}
	}
}

// TestRitzPairs: the k largest eigenpairs of a symmetric matrix from the
// tridiagonal reduction, inverse iteration and the reflectors equal the
// full eigendecomposition's (θ to 1e-12·‖H‖, vectors up to sign to 1e-9),
// the vectors are orthonormal and H S = S Θ to 1e-10·‖H‖, and the scaled
// residual max_i ‖B s_i,last‖/(tol·|θ_i|) matches; on a matrix with a
// five-fold and a three-fold eigenvalue the vectors are still orthonormal
// eigenvectors.
func TestRitzPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, c := range []struct {
		m, p, k int
		repeat  bool
	}{{12, 2, 5, false}, {40, 4, 10, false}, {97, 3, 30, false}, {60, 1, 60, false}, {50, 4, 20, true}} {
		var hm *mat.SymDense
		if c.repeat { // H = U diag(λ) Uᵀ with λ = 9 (×5), 7 (×3), then distinct
			var qr mat.QR
			g := mat.NewDense(c.m, c.m, nil)
			for i := 0; i < c.m; i++ {
				for j := 0; j < c.m; j++ {
					g.Set(i, j, rng.NormFloat64())
				}
			}
			qr.Factorize(g)
			var u mat.Dense
			qr.QTo(&u)
			lam := make([]float64, c.m)
			for i := range lam {
				switch {
				case i < 5:
					lam[i] = 9
				case i < 8:
					lam[i] = 7
				default:
					lam[i] = 6 * float64(c.m-i) / float64(c.m)
				}
			}
			var ud, h mat.Dense
			ud.Mul(&u, mat.NewDiagDense(c.m, lam))
			h.Mul(&ud, u.T())
			hm = mat.NewSymDense(c.m, nil)
			for i := 0; i < c.m; i++ {
				for j := i; j < c.m; j++ {
					hm.SetSym(i, j, 0.5*(h.At(i, j)+h.At(j, i)))
				}
			}
		} else {
			hm = mat.NewSymDense(c.m, nil)
			for i := 0; i < c.m; i++ {
				for j := 0; j <= i; j++ {
					v := rng.NormFloat64()
					if i == j {
						v += float64(i) // spread the spectrum
					}
					hm.SetSym(i, j, v)
				}
			}
		}
		h := make([]float64, c.m*c.m)
		for i := 0; i < c.m; i++ {
			for j := 0; j < c.m; j++ {
				h[i*c.m+j] = hm.At(i, j)
			}
		}
		B := make([]float64, c.p*c.p)
		for r := 0; r < c.p; r++ {
			for cc := r; cc < c.p; cc++ {
				B[r*c.p+cc] = rng.NormFloat64()
			}
		}
		m0 := c.m - c.p
		const tol = 1e-3
		var es mat.EigenSym
		if !es.Factorize(hm, true) {
			t.Fatal("EigenSym failed")
		}
		vals := es.Values(nil)
		var V mat.Dense
		es.VectorsTo(&V)
		norm := math.Max(math.Abs(vals[0]), math.Abs(vals[c.m-1]))
		want := 0.0
		for i := 0; i < c.k; i++ {
			idx := c.m - 1 - i
			res := 0.0
			for r := 0; r < c.p; r++ {
				s := 0.0
				for cc := r; cc < c.p; cc++ {
					s += B[r*c.p+cc] * V.At(m0+cc, idx)
				}
				res += s * s
			}
			want = math.Max(want, math.Sqrt(res)/(tol*math.Abs(vals[idx])))
		}
		theta, got, S, err := ritzPairs(h, c.m, m0, c.p, B, c.k, tol, true)
		if err != nil {
			t.Fatal(err)
		}
		if !c.repeat && math.Abs(got-want) > 1e-6*want {
			t.Errorf("m=%d p=%d k=%d: scaled residual %.12g, want %.12g", c.m, c.p, c.k, got, want)
		}
		var g, hs mat.Dense
		g.Mul(S.T(), S)
		hs.Mul(hm, S)
		for i := 0; i < c.k; i++ {
			if d := math.Abs(theta[i] - vals[c.m-1-i]); d > 1e-12*norm {
				t.Errorf("m=%d: θ_%d = %.15g, want %.15g", c.m, i, theta[i], vals[c.m-1-i])
			}
			for j := 0; j < c.k; j++ {
				w := 0.0
				if i == j {
					w = 1
				}
				if d := math.Abs(g.At(i, j) - w); d > 1e-12 {
					t.Fatalf("m=%d: (SᵀS)_%d,%d = %.3g, want %g", c.m, i, j, g.At(i, j), w)
				}
			}
			for r := 0; r < c.m; r++ {
				if d := math.Abs(hs.At(r, i) - theta[i]*S.At(r, i)); d > 1e-10*norm {
					t.Fatalf("m=%d: (HS − SΘ)_%d,%d = %.3g", c.m, r, i, d)
				}
			}
			if !c.repeat {
				dot := 0.0
				for r := 0; r < c.m; r++ {
					dot += S.At(r, i) * V.At(r, c.m-1-i)
				}
				if math.Abs(math.Abs(dot)-1) > 1e-9 {
					t.Errorf("m=%d: |⟨s_%d, v⟩| = %.12f", c.m, i, math.Abs(dot))
				}
			}
		}
	}
}

// TestLanczosBasisSize: on a limbed blob (2,562 vertices) the wanted pairs
// converge within the k + c√(pk) vectors of BlockSize's law (c ≤ 12 for
// tol 1e-10), with few convergence checks; the log shows where the time
// goes (go test -run TestLanczosBasisSize -v).
func TestLanczosBasisSize(t *testing.T) {
	m := blobMesh(2, 4)
	L, err := CotanLaplacian(m)
	if err != nil {
		t.Fatal(err)
	}
	M := Diag(LumpedMass(m))
	K := L.AddScaled(0.01, M)
	ch, err := NewSparseCholesky(K, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{30, 100} {
		_, info, err := lanczos(L, M, ch, k, EigenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p := float64(BlockSize)
		if limit := float64(k) + 12*math.Sqrt(p*float64(k)) + 2*p; float64(info.Vectors) > limit {
			t.Errorf("k=%d: %d Krylov vectors, want ≤ %.0f", k, info.Vectors, limit)
		}
		if info.Checks > 8 {
			t.Errorf("k=%d: %d convergence checks, want ≤ 8", k, info.Checks)
		}
		t.Logf("n=%d k=%d: factor %d entries in %d supernodes; %+v", L.N, k, ch.NNZ(), ch.Supernodes(), info)
	}
}
