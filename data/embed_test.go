package data

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func embedRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x656d626564)) }

// PᵀP = I, and a random unit vector in R³ (N = 3, n = 1) has its first
// coordinate uniform on [−1, 1] (Archimedes), checked by KS at α = 0.001.
func TestRandomOrthonormal(t *testing.T) {
	rng := embedRand(1)
	for _, c := range [][2]int{{2, 2}, {8, 2}, {64, 4}, {512, 2}} {
		p := RandomOrthonormal(c[0], c[1], rng)
		var g mat.Dense
		g.Mul(p.T(), p)
		if !mat.EqualApprox(&g, eye(c[1]), 1e-12) {
			t.Errorf("N=%d n=%d: PᵀP ≠ I", c[0], c[1])
		}
	}
	const m = 5000
	a := make([]float64, m)
	for i := range a {
		a[i] = RandomOrthonormal(3, 1, rng).At(0, 0)
	}
	sort.Float64s(a)
	d := 0.0
	for i, v := range a {
		f := (v + 1) / 2
		d = math.Max(d, math.Max(f-float64(i)/m, float64(i+1)/m-f))
	}
	if crit := 1.95 / math.Sqrt(m); d > crit {
		t.Errorf("first coordinate not uniform: KS %g > %g", d, crit)
	}
}

func eye(n int) *mat.Dense {
	e := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		e.Set(i, i, 1)
	}
	return e
}

func randDense(r, c int, rng *rand.Rand) *mat.Dense {
	x := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			x.Set(i, j, rng.NormFloat64())
		}
	}
	return x
}

// Linear: Coords∘Embed = id, norms are preserved, Residual is 0 on the
// subspace and equals ‖v‖ for an added normal component v.
func TestLinearEmbedding(t *testing.T) {
	rng := embedRand(2)
	e := NewLinearEmbedding(16, 2, rng)
	x := randDense(50, 2, rng)
	y := e.Embed(x)
	if !mat.EqualApprox(e.Coords(y), x, 1e-12) {
		t.Fatal("Coords(Embed(x)) ≠ x")
	}
	for i := 0; i < 50; i++ {
		if math.Abs(mat.Norm(y.RowView(i), 2)-mat.Norm(x.RowView(i), 2)) > 1e-12 {
			t.Fatal("embedding is not isometric")
		}
	}
	for _, r := range e.Residual(y) {
		if r > 1e-12 {
			t.Fatalf("on-manifold residual %g", r)
		}
	}
	// Add v = (I − PPᵀ)g, with known norm.
	g := randDense(50, 16, rng)
	var proj mat.Dense
	proj.Mul(e.Coords(g), e.P.T())
	var v mat.Dense
	v.Sub(g, &proj)
	var yv mat.Dense
	yv.Add(y, &v)
	res := e.Residual(&yv)
	for i := range res {
		if want := mat.Norm(v.RowView(i), 2); math.Abs(res[i]-want) > 1e-10 {
			t.Fatalf("residual %g, want %g", res[i], want)
		}
	}
}

// Curved: Coords∘Embed = id and Residual = 0 on the manifold, the points
// leave span(P) (it is curved), and N = n reduces to the linear case.
func TestCurvedEmbedding(t *testing.T) {
	rng := embedRand(3)
	c := NewCurvedEmbedding(32, 2, 0.5, 1, rng)
	if _, m := c.Q.Dims(); m != 8 {
		t.Fatalf("curved directions %d, want min(30, 8)", m)
	}
	var pq mat.Dense
	pq.Mul(c.P.T(), c.Q)
	if mat.Norm(&pq, math.Inf(1)) > 1e-12 {
		t.Fatal("P and Q not orthogonal")
	}
	x := randDense(200, 2, rng)
	y := c.Embed(x)
	if !mat.EqualApprox(c.Coords(y), x, 1e-12) {
		t.Fatal("Coords(Embed(x)) ≠ x")
	}
	for _, r := range c.Residual(y) {
		if r > 1e-12 {
			t.Fatalf("on-manifold residual %g", r)
		}
	}
	lin := &LinearEmbedding{P: c.P}
	off := lin.Residual(y)
	mean := 0.0
	for _, v := range off {
		mean += v * v / float64(len(off))
	}
	// E‖φ‖² = m·A²/2 for phases uniform: 8·0.25/2 = 1.
	if math.Abs(mean-1) > 0.25 {
		t.Errorf("mean squared distance from span(P) %g, want ≈ 1", mean)
	}
	flat := NewCurvedEmbedding(2, 2, 0.5, 1, rng)
	if flat.Q != nil {
		t.Fatal("N = n must not curve")
	}
}

// The mixture has unit variance per coordinate on average (law of total
// variance: centre spread 1 − std² plus std²).
func TestIntrinsicMixture(t *testing.T) {
	rng := embedRand(4)
	for _, n := range []int{1, 2, 4} {
		g := NewIntrinsicMixture(n, 8, 0.2, rng)
		x := g.Sample(40000, rng)
		tot := 0.0
		for j := 0; j < n; j++ {
			col := mat.Col(nil, j, x)
			m := 0.0
			for _, v := range col {
				m += v
			}
			m /= float64(len(col))
			for _, v := range col {
				tot += (v - m) * (v - m)
			}
		}
		v := tot / float64(40000*n)
		if math.Abs(v-1) > 0.05 {
			t.Errorf("n=%d: variance per coordinate %g, want 1", n, v)
		}
	}
}
