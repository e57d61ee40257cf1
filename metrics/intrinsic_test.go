package metrics

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// torus returns n points uniform on the flat d-torus (cos θ, sin θ per
// angle) in R^{2d}, rotated by a random orthonormal map into R^amb: a
// d-manifold without boundary and with uniform density.
func torus(n, d, amb int, rng *rand.Rand) *mat.Dense {
	q := randomOrthonormal(amb, 2*d, rng)
	x := mat.NewDense(n, amb, nil)
	y := make([]float64, 2*d)
	for i := 0; i < n; i++ {
		for a := 0; a < d; a++ {
			th := 2 * math.Pi * rng.Float64()
			y[2*a], y[2*a+1] = math.Cos(th), math.Sin(th)
		}
		x.RowView(i).(*mat.VecDense).MulVec(q, mat.NewVecDense(2*d, y))
	}
	return x
}

func randomOrthonormal(rows, cols int, rng *rand.Rand) *mat.Dense {
	a := mat.NewDense(rows, cols, nil)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q mat.Dense
	qr.QTo(&q)
	return mat.DenseCopyOf(q.Slice(0, rows, 0, cols))
}

func TestNeighbourDistsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := mat.NewDense(300, 7, nil)
	for i := 0; i < 300; i++ {
		for j := 0; j < 7; j++ {
			x.Set(i, j, rng.NormFloat64())
		}
	}
	got, err := neighbourDists(x, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		var d []float64
		for j := 0; j < 300; j++ {
			if j != i {
				var v mat.VecDense
				v.SubVec(x.RowView(i), x.RowView(j))
				d = append(d, mat.Norm(&v, 2))
			}
		}
		sort.Float64s(d)
		for a := 0; a < 4; a++ {
			if math.Abs(got[i][a]-d[a]) > 1e-9 {
				t.Fatalf("row %d neighbour %d: %g, brute force %g", i, a, got[i][a], d[a])
			}
		}
	}
}

func TestIntrinsicDimOnTori(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, d := range []int{2, 4, 6} {
		x := torus(3000, d, 40, rng)
		tn, err := TwoNN(x)
		if err != nil {
			t.Fatal(err)
		}
		ml, err := MLEDim(x, 10, 200, rand.New(rand.NewPCG(5, 6)))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("d = %d: %v; %v", d, tn, ml)
		// The exact interval of the two-NN MLE must cover the truth; the
		// k-NN MLE (biased low by curvature at k = 10) within 15%.
		if tn.Lo > float64(d) || tn.Hi < float64(d) || tn.N != 3000 {
			t.Errorf("d = %d: two-NN %v does not cover the truth", d, tn)
		}
		if math.Abs(ml.Dim-float64(d)) > 0.15*float64(d) || !(ml.Lo < ml.Dim && ml.Dim < ml.Hi) {
			t.Errorf("d = %d: MLE %v", d, ml)
		}
		// Two routes agree.
		if math.Abs(ml.Dim-tn.Dim) > 0.2*float64(d) {
			t.Errorf("d = %d: two-NN %.2f and MLE %.2f disagree", d, tn.Dim, ml.Dim)
		}
	}
}

// TestTwoNNIntervalCoverage checks the χ² interval on exact data: over 400
// seeded draws of m = 200 ratios from the Pareto law P(μ > t) = t^−d, the
// 95% interval must cover d in 95% ± 3% of them.
func TestTwoNNIntervalCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const d, m, trials = 3.0, 200, 400
	cover := 0
	for tr := 0; tr < trials; tr++ {
		var s float64
		for i := 0; i < m; i++ {
			s += math.Log(math.Pow(1-rng.Float64(), -1/d))
		}
		lo, hi := twoNNInterval(m, s)
		if lo <= d && d <= hi {
			cover++
		}
	}
	if f := float64(cover) / trials; math.Abs(f-0.95) > 0.03 {
		t.Errorf("coverage %.3f, want 0.95", f)
	}
}

func TestIntrinsicDimBadInput(t *testing.T) {
	x := mat.NewDense(2, 3, nil)
	if _, err := TwoNN(x); err == nil {
		t.Error("two points accepted")
	}
	x = mat.NewDense(10, 2, nil) // all duplicates
	if _, err := TwoNN(x); err == nil {
		t.Error("all-duplicate points accepted")
	}
	x = mat.NewDense(10, 2, []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, math.NaN(), 18, 19})
	if _, err := MLEDim(x, 3, 0, nil); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := MLEDim(mat.NewDense(10, 2, nil), 2, 0, nil); err == nil {
		t.Error("k = 2 accepted")
	}
}
