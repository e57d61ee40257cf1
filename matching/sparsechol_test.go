package matching

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"genlab/data/mesh"
)

// shiftedLaplacian returns L + 0.1·M of a unit-area limbed blob on a
// cube-sphere with 6s²+2 vertices: symmetric positive definite.
func shiftedLaplacian(t testing.TB, s int) *Sparse {
	t.Helper()
	b := mesh.RandomBlob(rand.New(rand.NewPCG(5, 6)), true)
	m := mesh.OnSphere(mesh.CubeSphere(s), b.Apply)
	m.NormalizeArea()
	L, err := CotanLaplacian(m)
	if err != nil {
		t.Fatal(err)
	}
	return L.AddScaled(0.1, Diag(LumpedMass(m)))
}

func isPermutation(p []int, n int) bool {
	if len(p) != n {
		return false
	}
	seen := make([]bool, n)
	for _, v := range p {
		if v < 0 || v >= n || seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

// TestSparseCholesky: under nested dissection the factor solves A x = b to
// rounding (one and several right-hand sides), and it stores fewer entries
// than the factor under the natural (mesh) order and than the RCM envelope,
// by a margin that grows with n (O(n log n) against O(n^{3/2})).
func TestSparseCholesky(t *testing.T) {
	for _, s := range []int{6, 20} {
		K := shiftedLaplacian(t, s)
		n := K.N
		perm := NestedDissection(K)
		if !isPermutation(perm, n) {
			t.Fatalf("n=%d: NestedDissection is not a permutation", n)
		}
		nd, err := NewSparseCholesky(K, perm)
		if err != nil {
			t.Fatal(err)
		}
		natural := make([]int, n)
		for i := range natural {
			natural[i] = i
		}
		nat, err := NewSparseCholesky(K, natural)
		if err != nil {
			t.Fatal(err)
		}
		env, err := NewEnvelopeCholesky(K)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("n=%d: factor entries: nested dissection %d, natural %d, RCM envelope %d", n, nd.NNZ(), nat.NNZ(), env.Profile())
		if nd.NNZ() >= nat.NNZ() || nd.NNZ() >= env.Profile() {
			t.Errorf("n=%d: nested dissection fill %d not below natural %d and envelope %d", n, nd.NNZ(), nat.NNZ(), env.Profile())
		}
		if s == 20 && float64(nd.NNZ()) > 0.6*float64(env.Profile()) {
			t.Errorf("n=%d: nested dissection fill %d, want ≤ 0.6 × envelope %d", n, nd.NNZ(), env.Profile())
		}
		rng := rand.New(rand.NewPCG(1, 2))
		const p = 4
		x := make([]float64, p*n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		b := make([]float64, p*n)
		for r := 0; r < p; r++ {
			K.MulVecTo(b[r*n:(r+1)*n], x[r*n:(r+1)*n])
		}
		ye := append([]float64(nil), b...)
		env.SolveRows(ye) // the envelope factor's block solve too
		for i := range x {
			if math.Abs(x[i]-ye[i]) > 1e-9*(1+math.Abs(x[i])) {
				t.Fatalf("n=%d: EnvelopeCholesky.SolveRows entry %d: %g, want %g", n, i, ye[i], x[i])
			}
		}
		for _, f := range []*SparseCholesky{nd, nat} {
			y := append([]float64(nil), b...)
			f.SolveRows(y)
			y1 := make([]float64, n)
			f.SolveTo(y1, b[:n])
			for i := range x {
				if math.Abs(x[i]-y[i]) > 1e-9*(1+math.Abs(x[i])) {
					t.Fatalf("n=%d: SolveRows entry %d: %g, want %g", n, i, y[i], x[i])
				}
			}
			y3 := append([]float64(nil), b[:3*n]...)
			f.SolveRows(y3) // three right-hand sides: the generic kernel
			for i := range y3 {
				if math.Abs(x[i]-y3[i]) > 1e-9*(1+math.Abs(x[i])) {
					t.Fatalf("n=%d: SolveRows (3) entry %d: %g, want %g", n, i, y3[i], x[i])
				}
			}
			for i := range y1 {
				if math.Abs(y1[i]-y[i]) > 1e-10*(1+math.Abs(y[i])) {
					t.Fatalf("n=%d: SolveTo and SolveRows differ at %d: %g vs %g", n, i, y1[i], y[i])
				}
			}
		}
	}
}

// TestSparseCholeskyDisconnected: two disjoint meshes in one matrix (two
// components) are ordered and solved exactly, and a singular matrix (a
// closed mesh's Laplacian, L·1 = 0) is refused with ErrNotPD.
func TestSparseCholeskyDisconnected(t *testing.T) {
	a, b := mesh.Icosphere(2), mesh.Icosphere(1)
	m := &mesh.Mesh{V: append(append([][3]float64(nil), a.V...), b.V...)}
	m.F = append(m.F, a.F...)
	for _, f := range b.F {
		m.F = append(m.F, [3]int{f[0] + len(a.V), f[1] + len(a.V), f[2] + len(a.V)})
	}
	L, err := CotanLaplacian(m)
	if err != nil {
		t.Fatal(err)
	}
	K := L.AddScaled(0.5, Diag(LumpedMass(m)))
	ch, err := NewSparseCholesky(K, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, K.N)
	for i := range x {
		x[i] = math.Sin(float64(i))
	}
	rhs := make([]float64, K.N)
	K.MulVecTo(rhs, x)
	ch.SolveTo(rhs, rhs)
	for i := range x {
		if math.Abs(rhs[i]-x[i]) > 1e-10 {
			t.Fatalf("entry %d: %g, want %g", i, rhs[i], x[i])
		}
	}
	if _, err := NewSparseCholesky(L, nil); !errors.Is(err, ErrNotPD) {
		t.Errorf("singular Laplacian: err = %v, want ErrNotPD", err)
	}
}

// BenchmarkSolveRows times one block of four solves with the
// nested-dissection factor of the 20k-vertex benchmark matrix.
func BenchmarkSolveRows(b *testing.B) {
	K := shiftedLaplacian(b, 58)
	ch, err := NewSparseCholesky(K, nil)
	if err != nil {
		b.Fatal(err)
	}
	x := make([]float64, 4*K.N)
	for i := range x {
		x[i] = float64(i%7) - 3
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ch.SolveRows(x)
	}
}

// BenchmarkSparseCholesky times the nested-dissection ordering and factor
// of the 20k-vertex benchmark matrix.
func BenchmarkSparseCholesky(b *testing.B) {
	K := shiftedLaplacian(b, 58)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := NewSparseCholesky(K, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAddScaled: the row merge equals assembling S + α·T from triplets, on
// random patterns with shared, disjoint and empty rows.
func TestAddScaled(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n = 40
	random := func() (*Sparse, []Triplet) {
		var ts []Triplet
		for i := 0; i < n; i++ {
			if i%7 == 3 {
				continue // an empty row
			}
			for c := 0; c < rng.IntN(6); c++ {
				ts = append(ts, Triplet{i, rng.IntN(n), rng.NormFloat64()})
			}
		}
		return NewSparse(n, ts), ts
	}
	s, ts := random()
	u, tt := random()
	const alpha = -0.37
	got := s.AddScaled(alpha, u)
	for _, x := range tt {
		ts = append(ts, Triplet{x.I, x.J, alpha * x.V})
	}
	want := NewSparse(n, ts)
	if len(got.Col) != len(want.Col) {
		t.Fatalf("%d entries, want %d", len(got.Col), len(want.Col))
	}
	for i := 0; i <= n; i++ {
		if got.RowPtr[i] != want.RowPtr[i] {
			t.Fatalf("RowPtr[%d] = %d, want %d", i, got.RowPtr[i], want.RowPtr[i])
		}
	}
	for q := range want.Col {
		if got.Col[q] != want.Col[q] || math.Abs(got.Val[q]-want.Val[q]) > 1e-15 {
			t.Fatalf("entry %d: (%d, %g), want (%d, %g)", q, got.Col[q], got.Val[q], want.Col[q], want.Val[q])
		}
	}
}
