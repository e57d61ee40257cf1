package matching

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
)

func blobMesh(seed uint64, level int) *mesh.Mesh {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := mesh.RandomBlob(rng, true)
	m := mesh.OnSphere(mesh.Icosphere(level), b.Apply)
	m.NormalizeArea()
	return m
}

func TestLaplacianAndMass(t *testing.T) {
	m := blobMesh(1, 3)
	L, err := CotanLaplacian(m)
	if err != nil {
		t.Fatal(err)
	}
	n := L.N
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	r := make([]float64, n)
	L.MulVecTo(r, ones)
	for i, v := range r {
		if math.Abs(v) > 1e-10 {
			t.Fatalf("row %d sums to %g, want 0 (constants in the kernel)", i, v)
		}
	}
	for i := 0; i < n; i++ {
		for p := L.RowPtr[i]; p < L.RowPtr[i+1]; p++ {
			if math.Abs(L.Val[p]-L.At(L.Col[p], i)) > 1e-14 {
				t.Fatalf("L not symmetric at (%d,%d)", i, L.Col[p])
			}
		}
	}
	var es mat.EigenSym
	es.Factorize(L.Dense(), false)
	vals := es.Values(nil)
	if vals[0] < -1e-10*vals[n-1] {
		t.Errorf("smallest eigenvalue of L is %g: not PSD", vals[0])
	}
	if math.Abs(vals[0]) > 1e-10 || vals[1] < 1e-6 {
		t.Errorf("kernel of L: λ0=%g λ1=%g, want a single zero on a connected mesh", vals[0], vals[1])
	}
	mass := LumpedMass(m)
	s := 0.0
	for _, v := range mass {
		s += v
	}
	if math.Abs(s-m.Area()) > 1e-12 {
		t.Errorf("lumped masses sum to %g, area %g", s, m.Area())
	}
	F := FEMMass(m)
	F.MulVecTo(r, ones)
	for i := range r {
		if math.Abs(r[i]-mass[i]) > 1e-14 {
			t.Fatalf("FEM mass row %d sums to %g, lumped %g", i, r[i], mass[i])
		}
	}
}

func TestEigenbasisOrthonormal(t *testing.T) {
	m := blobMesh(2, 3)
	b, err := LaplaceBeltrami(m, 40, false, EigenOptions{Solver: Dense})
	if err != nil {
		t.Fatal(err)
	}
	var g mat.Dense
	g.Mul(b.Vectors.T(), b.M.MulDense(b.Vectors))
	for i := 0; i < 40; i++ {
		for j := 0; j < 40; j++ {
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(g.At(i, j)-want) > 1e-9 {
				t.Fatalf("ΦᵀMΦ[%d,%d] = %g", i, j, g.At(i, j))
			}
		}
	}
	if math.Abs(b.Values[0]) > 1e-9 {
		t.Errorf("λ0 = %g", b.Values[0])
	}
	for i := 0; i < b.N(); i++ {
		if math.Abs(math.Abs(b.Vectors.At(i, 0))-1/math.Sqrt(m.Area())) > 1e-8 {
			t.Fatalf("φ0[%d] = %g, want ±1/√area", i, b.Vectors.At(i, 0))
		}
	}
	for i := 1; i < 40; i++ {
		if b.Values[i] < b.Values[i-1] {
			t.Fatal("eigenvalues not ascending")
		}
	}
}

func TestCholeskySolve(t *testing.T) {
	m := blobMesh(3, 2)
	L, _ := CotanLaplacian(m)
	K := L.AddScaled(0.1, Diag(LumpedMass(m)))
	ch, err := NewEnvelopeCholesky(K)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, K.N)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	b := make([]float64, K.N)
	K.MulVecTo(b, x)
	y := make([]float64, K.N)
	ch.SolveTo(y, b)
	for i := range x {
		if math.Abs(x[i]-y[i]) > 1e-8*(1+math.Abs(x[i])) {
			t.Fatalf("solve %d: %g vs %g", i, y[i], x[i])
		}
	}
	if _, err := NewEnvelopeCholesky(L); err == nil {
		t.Error("singular Laplacian factored without error")
	}
}

// The map of a mesh to its permuted copy is a signed identity and its point
// map is exact.
func TestPermutedSelfMap(t *testing.T) {
	m := blobMesh(4, 3)
	rng := rand.New(rand.NewPCG(9, 9))
	pm, perm := mesh.Permute(m, rng)
	k := 20
	b1, err := LaplaceBeltrami(m, 60, false, EigenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b2, err := LaplaceBeltrami(pm, 60, false, EigenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d1 := Descriptors(b1, DescriptorOptions{Step: 5})
	d2 := Descriptors(b2, DescriptorOptions{Step: 5})
	A := b1.Truncated(k).Project(d1)
	B := b2.Truncated(k).Project(d2)
	W := LaplacianMask(b1.Values, b2.Values, k, k, true)
	C, err := SolveFMap(A, B, W, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(math.Abs(C.At(i, j))-want) > 1e-6 {
				t.Fatalf("|C[%d,%d]| = %g, want %g", i, j, math.Abs(C.At(i, j)), want)
			}
		}
	}
	p2p := P2PFromFMap(C, b1, b2, false)
	for y, x := range p2p {
		if x != perm[y] {
			t.Fatalf("p2p[%d] = %d, want %d", y, x, perm[y])
		}
	}
	// C → p2p → C round trip on the ground truth
	Cgt := FMapFromP2P(perm, b1, b2, k, k)
	var diff mat.Dense
	diff.Sub(Cgt, C)
	if mat.Norm(&diff, 2) > 1e-6 {
		t.Errorf("FMapFromP2P(gt) differs from the solved map by %g", mat.Norm(&diff, 2))
	}
}

// The row-wise closed form minimises ½‖CA−B‖² + ½μΣW∘C², checked against L-BFGS.
func TestClosedFormMatchesMinimiser(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	k1, k2, p := 6, 5, 4 // p < k: the mask matters
	A := mat.NewDense(k1, p, nil)
	B := mat.NewDense(k2, p, nil)
	W := mat.NewDense(k2, k1, nil)
	for _, m := range []*mat.Dense{A, B, W} {
		r, c := m.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				m.Set(i, j, rng.NormFloat64())
			}
		}
	}
	W.Apply(func(_, _ int, v float64) float64 { return v * v }, W)
	mu := 0.7
	C, err := SolveFMap(A, B, W, mu)
	if err != nil {
		t.Fatal(err)
	}
	e := &MapEnergy{A: A, B: B, W12: W, W21: mat.DenseCopyOf(W.T()), Mu: mu}
	z12, z21 := mat.NewDense(k2, k1, nil), mat.NewDense(k1, k2, nil)
	c12, _, err := e.Minimize(context.Background(), z12, z21, 500)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < k2; i++ {
		for j := 0; j < k1; j++ {
			if math.Abs(C.At(i, j)-c12.At(i, j)) > 1e-6 {
				t.Fatalf("C[%d,%d]: closed form %g, L-BFGS %g", i, j, C.At(i, j), c12.At(i, j))
			}
		}
	}
}

func TestMapEnergyGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 3))
	k1, k2, p := 4, 3, 5
	rnd := func(r, c int) *mat.Dense {
		m := mat.NewDense(r, c, nil)
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				m.Set(i, j, rng.NormFloat64())
			}
		}
		return m
	}
	e := &MapEnergy{A: rnd(k1, p), B: rnd(k2, p), W12: rnd(k2, k1), W21: rnd(k1, k2), Mu: 0.3, WOrtho: 0.8, WBij: 1.3}
	x := make([]float64, 2*k1*k2)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	g := make([]float64, len(x))
	e.Grad(g, x)
	h := 1e-6
	for i := range x {
		xp := append([]float64(nil), x...)
		xm := append([]float64(nil), x...)
		xp[i] += h
		xm[i] -= h
		fd := (e.Func(xp) - e.Func(xm)) / (2 * h)
		if math.Abs(fd-g[i]) > 1e-5*(1+math.Abs(fd)) {
			t.Errorf("∂E/∂x[%d]: analytic %g, finite difference %g", i, g[i], fd)
		}
	}
}

func TestKDTreeExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, d := range []int{2, 7, 30} {
		n, m := 2000, 300
		pts := make([]float64, n*d)
		for i := range pts {
			pts[i] = rng.NormFloat64() / float64(1+i%d) // decaying scales, like spectral embeddings
		}
		q := make([]float64, m*d)
		for i := range q {
			q[i] = rng.NormFloat64() / float64(1+i%d)
		}
		tr := NewKDTree(pts, d)
		got := tr.NearestAll(q)
		guess := make([]int, m)
		for i := range guess {
			guess[i] = rng.IntN(n)
		}
		got2 := tr.NearestAllFrom(q, guess)
		for i := 0; i < m; i++ {
			best, bi := math.Inf(1), -1
			for j := 0; j < n; j++ {
				s := 0.0
				for c := 0; c < d; c++ {
					e := pts[j*d+c] - q[i*d+c]
					s += e * e
				}
				if s < best {
					best, bi = s, j
				}
			}
			if got[i] != bi || got2[i] != bi {
				t.Fatalf("d=%d query %d: kd-tree %d (from a guess %d), brute force %d", d, i, got[i], got2[i], bi)
			}
		}
	}
}

// On a flat grid, graph distances are upper bounds of the Euclidean ones;
// face-diagonal shortcuts shrink the metrication error.
func TestGeodesicsFlatGrid(t *testing.T) {
	s := 30
	m := &mesh.Mesh{}
	h := 1.0 / float64(s)
	for i := 0; i <= s; i++ { // equilateral lattice: rows offset by half a step
		for j := 0; j <= s; j++ {
			m.V = append(m.V, [3]float64{(float64(j) + 0.5*float64(i%2)) * h, float64(i) * h * math.Sqrt(3) / 2, 0})
		}
	}
	id := func(i, j int) int { return i*(s+1) + j }
	for i := 0; i < s; i++ {
		for j := 0; j < s; j++ {
			if i%2 == 0 {
				m.F = append(m.F, [3]int{id(i, j), id(i, j+1), id(i+1, j)}, [3]int{id(i, j+1), id(i+1, j+1), id(i+1, j)})
			} else {
				m.F = append(m.F, [3]int{id(i, j), id(i+1, j+1), id(i+1, j)}, [3]int{id(i, j), id(i, j+1), id(i+1, j+1)})
			}
		}
	}
	src := id(s/2, s/2)
	maxRel := map[bool]float64{}
	for _, sc := range []bool{false, true} {
		d := NewGraph(m, sc).Distances(src)
		for v, dv := range d {
			e := mesh.Norm(mesh.Sub(m.V[v], m.V[src]))
			if dv < e-1e-12 {
				t.Fatalf("shortcuts=%v: graph distance %g below Euclidean %g", sc, dv, e)
			}
			if e > 0.2 {
				maxRel[sc] = math.Max(maxRel[sc], dv/e-1)
			}
		}
	}
	// edges only: 6 directions, worst excess 1/cos 30° − 1 ≈ 0.155; with the
	// shortcuts: 12 directions, worst 1/cos 15° − 1 ≈ 0.035 (plus boundary effects)
	if maxRel[false] > 0.16 || maxRel[true] > 0.04 || maxRel[true] >= maxRel[false] {
		t.Errorf("max relative excess: edges %.4f, with shortcuts %.4f", maxRel[false], maxRel[true])
	}
	t.Logf("max relative excess over Euclidean: edges %.4f, shortcuts %.4f", maxRel[false], maxRel[true])
}

func TestWKSHKSProperties(t *testing.T) {
	// on a round sphere every vertex is alike up to discretisation: HKS and
	// WKS are nearly constant over vertices
	m := mesh.Icosphere(3)
	b, err := LaplaceBeltrami(m, 49, false, EigenOptions{}) // l ≤ 6: whole eigenspaces
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]*mat.Dense{"HKS": AutoHKS(b, 10), "WKS": AutoWKS(b, 10)} {
		n, c := d.Dims()
		for j := 0; j < c; j++ {
			col := mat.Col(nil, j, d)
			mean := Mean(col)
			for i := 0; i < n; i++ {
				if math.Abs(col[i]-mean) > 0.05*mean {
					t.Fatalf("%s column %d varies over the sphere: %g vs mean %g", name, j, col[i], mean)
				}
			}
		}
	}
	// HKS at t → 0 of the scaled form tends to 1/area·… : check the sum rule
	// Σ_x m_x h(x,t) = Σ_k e^{−λt}/Σ_k e^{−λt} = 1 for M-normalised φ.
	h := HKS(b, []float64{0.01, 0.1})
	mass := LumpedMass(m)
	for j := 0; j < 2; j++ {
		s := 0.0
		for i, mi := range mass {
			s += mi * h.At(i, j)
		}
		if math.Abs(s-1) > 1e-9 {
			t.Errorf("Σ m_x h(x,t) = %g, want 1", s)
		}
	}
}

// ZoomOut from a noisy initial map recovers the ground truth better than
// the raw map on a near-isometric blob pair.
func TestZoomOutImproves(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	p := mesh.BlobPair(rng, mesh.BlobPairOptions{SrcLevel: 3, TgtCube: 10, MaxAngle: 0.5, MaxBend: 0.15, Asym: true, Permute: true, NormalArea: true})
	b1, err := LaplaceBeltrami(p.Src, 60, false, EigenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b2, err := LaplaceBeltrami(p.Tgt, 60, false, EigenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	k := 20
	A := b1.Truncated(k).Project(Descriptors(b1, DescriptorOptions{Step: 5}))
	B := b2.Truncated(k).Project(Descriptors(b2, DescriptorOptions{Step: 5}))
	C, err := SolveFMap(A, B, LaplacianMask(b1.Values, b2.Values, k, k, false), 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	g := NewGraph(p.Src, true)
	e0, err := GeodesicErrors(context.Background(), g, p.Src.Area(), P2PFromFMap(C, b1, b2, false), p.GT, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, pz, err := ZoomOut(context.Background(), C, b1, b2, 60, 1)
	if err != nil {
		t.Fatal(err)
	}
	ez, _ := GeodesicErrors(context.Background(), g, p.Src.Area(), pz, p.GT, nil)
	eo, _ := GeodesicErrors(context.Background(), g, p.Src.Area(), P2PFromFMap(FMapFromP2P(p.GT, b1, b2, k, k), b1, b2, false), p.GT, nil)
	t.Logf("mean geodesic error ×100: raw %.2f, ZoomOut %.2f, oracle k=20 %.2f", 100*Mean(e0), 100*Mean(ez), 100*Mean(eo))
	if !(Mean(ez) < Mean(e0)) || Mean(ez) > 0.04 || Mean(eo) > 0.03 {
		t.Errorf("ZoomOut error %.4f vs raw %.4f", Mean(ez), Mean(e0))
	}
	if cc := CumulativeCurve(ez, []float64{0, 1}); cc[1] != 1 {
		t.Errorf("cumulative curve at 1: %g", cc[1])
	}
}
