package metrics

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// halfCircle returns L unit directions at angles π(k+½)/L, a midpoint rule
// for averages over the circle of functions with f(−θ) = f(θ).
func halfCircle(l int) *mat.Dense {
	d := mat.NewDense(l, 2, nil)
	for k := 0; k < l; k++ {
		phi := math.Pi * (float64(k) + 0.5) / float64(l)
		d.Set(k, 0, math.Cos(phi))
		d.Set(k, 1, math.Sin(phi))
	}
	return d
}

func shifted(x *mat.Dense, c []float64) *mat.Dense {
	n, d := x.Dims()
	y := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			y.Set(i, j, x.At(i, j)+c[j])
		}
	}
	return y
}

func TestSlicedWassersteinShift(t *testing.T) {
	// y = x + c: every projection is shifted by ⟨c,θ⟩, so W_p^p = |⟨c,θ⟩|^p and
	// SW1 = E|⟨c,θ⟩| = 2‖c‖/π, SW2 = (E⟨c,θ⟩²)^½ = ‖c‖/√2 for θ uniform on S¹.
	rng := newRand(10)
	x := gaussian(300, []float64{0, 0}, 1, rng)
	c := []float64{1.2, -0.5}
	nc := math.Hypot(c[0], c[1])
	y := shifted(x, c)
	dirs := halfCircle(2000)
	sw1 := SlicedWassersteinDirs(x, y, dirs, 1)
	sw2 := SlicedWassersteinDirs(x, y, dirs, 2)
	close(t, "SW1 quadrature", sw1, 2*nc/math.Pi, 1e-6)
	close(t, "SW2 quadrature", sw2, nc/math.Sqrt2, 1e-6)
	close(t, "SW2/SW1", sw2/sw1, math.Pi/(2*math.Sqrt2), 1e-6)

	// Monte Carlo directions: |⟨c,θ⟩| has sd ≈ 0.31‖c‖, so with 5000
	// directions the SW1 estimate has sd ≈ 0.0044‖c‖; allow 5σ.
	mc := SlicedWasserstein(x, y, 1, 5000, rng)
	close(t, "SW1 random directions", mc, 2*nc/math.Pi, 0.022*nc)
	// In 3-D, E|⟨c,θ⟩| = ‖c‖/2 and E⟨c,θ⟩² = ‖c‖²/3 (⟨e,θ⟩ is uniform on
	// [−1,1]); both estimates have sd ≈ 0.004‖c‖ at 5000 directions.
	x3 := gaussian(200, []float64{0, 0, 0}, 1, rng)
	c3 := []float64{0.3, 2, -1}
	nc3 := math.Sqrt(0.09 + 4 + 1)
	mc3 := SlicedWasserstein(x3, shifted(x3, c3), 1, 5000, rng)
	close(t, "SW1 3-D", mc3, nc3/2, 0.02*nc3)
	mc3p2 := SlicedWasserstein(x3, shifted(x3, c3), 2, 5000, rng)
	close(t, "SW2 3-D", mc3p2, nc3/math.Sqrt(3), 0.02*nc3)

	// Identical sets.
	if v := SlicedWasserstein(x, x, 2, 50, rng); v != 0 {
		t.Errorf("SW(x,x) = %g, want 0", v)
	}
	// Row order does not matter.
	close(t, "SW permuted", SlicedWassersteinDirs(permuteRows(x, rng.Perm(300)), y, dirs, 1), sw1, 1e-12)
}

func TestSlicedWassersteinPointMasses(t *testing.T) {
	// All of x at a (5 rows), all of y at b (3 rows): W_p^p = |⟨a−b,θ⟩|^p
	// whatever the sizes.
	a := []float64{1, 2}
	b := []float64{-1, 0.5}
	x := mat.NewDense(5, 2, nil)
	for i := 0; i < 5; i++ {
		x.SetRow(i, a)
	}
	y := mat.NewDense(3, 2, nil)
	for i := 0; i < 3; i++ {
		y.SetRow(i, b)
	}
	n := math.Hypot(a[0]-b[0], a[1]-b[1])
	dirs := halfCircle(4000)
	close(t, "SW1 point masses", SlicedWassersteinDirs(x, y, dirs, 1), 2*n/math.Pi, 1e-6)
	close(t, "SW2 point masses", SlicedWassersteinDirs(x, y, dirs, 2), n/math.Sqrt2, 1e-6)
}

func TestWasserstein1DUnequal(t *testing.T) {
	// F⁻¹ of {0,1} and {0,½,1} differ by ½ on (⅓,⅔]: W1 = 1/6, W2² = 1/12.
	close(t, "W1", Wasserstein1D([]float64{1, 0}, []float64{0.5, 1, 0}, 1), 1.0/6, 1e-15)
	close(t, "W2²", Wasserstein1D([]float64{1, 0}, []float64{0.5, 1, 0}, 2), 1.0/12, 1e-15)

	rng := newRand(11)
	for trial := 0; trial < 20; trial++ {
		n, m := 1+rng.IntN(12), 1+rng.IntN(12)
		a := make([]float64, n)
		b := make([]float64, m)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = 0.5 + 2*rng.NormFloat64()
		}
		// Route 1: repeating each atom m (resp. n) times gives equal sizes
		// n·m with the same laws, where W_p^p is the mean of sorted gaps.
		ar := make([]float64, 0, n*m)
		for _, v := range a {
			for r := 0; r < m; r++ {
				ar = append(ar, v)
			}
		}
		br := make([]float64, 0, n*m)
		for _, v := range b {
			for r := 0; r < n; r++ {
				br = append(br, v)
			}
		}
		for _, p := range []float64{1, 2, 3} {
			close(t, "W_p^p vs repeated atoms", Wasserstein1D(a, b, p), Wasserstein1D(ar, br, p), 1e-12)
		}
		// Route 2: W1 = ∫|F_a(x) − F_b(x)| dx over the merged support.
		pts := append(append([]float64{}, a...), b...)
		sortFloat(pts)
		var w1 float64
		for i := 0; i+1 < len(pts); i++ {
			fa, fb := ecdf(a, pts[i]), ecdf(b, pts[i])
			w1 += math.Abs(fa-fb) * (pts[i+1] - pts[i])
		}
		close(t, "W1 vs CDF integral", Wasserstein1D(a, b, 1), w1, 1e-12)
	}
	// In one dimension with θ = 1, SW is W.
	x := mat.NewDense(4, 1, []float64{3, 1, 4, 1})
	y := mat.NewDense(3, 1, []float64{5, 9, 2})
	close(t, "SW 1-D", SlicedWassersteinDirs(x, y, mat.NewDense(1, 1, []float64{1}), 2),
		math.Sqrt(Wasserstein1D([]float64{3, 1, 4, 1}, []float64{5, 9, 2}, 2)), 1e-14)

	mustPanic(t, "p < 1", func() { Wasserstein1D([]float64{1}, []float64{2}, 0.5) })
	mustPanic(t, "columns", func() { SlicedWassersteinDirs(x, mat.NewDense(2, 2, nil), halfCircle(3), 1) })
}

func ecdf(a []float64, x float64) float64 {
	c := 0
	for _, v := range a {
		if v <= x {
			c++
		}
	}
	return float64(c) / float64(len(a))
}

func sortFloat(a []float64) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func TestRandomDirections(t *testing.T) {
	rng := newRand(12)
	dirs := RandomDirections(3, 5000, rng)
	z := make([]float64, 5000)
	for i := range z {
		r := dirs.RawRowView(i)
		close(t, "norm", math.Sqrt(r[0]*r[0]+r[1]*r[1]+r[2]*r[2]), 1, 1e-12)
		z[i] = r[2]
	}
	// Archimedes: one coordinate of a uniform point on S² is uniform on [−1,1].
	_, p := KS1(z, func(v float64) float64 { return min(max((v+1)/2, 0), 1) })
	if p < 1e-3 {
		t.Errorf("z-coordinate of RandomDirections not uniform: KS p = %g", p)
	}
}
