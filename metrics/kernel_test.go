package metrics

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// bruteMMD2 is the unbiased MMD² with an explicit double loop over i ≠ j.
func bruteMMD2(x, y *mat.Dense, k func(a, b []float64) float64) float64 {
	n, _ := x.Dims()
	m, _ := y.Dims()
	var sxx, syy, sxy float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i != j {
				sxx += k(x.RawRowView(i), x.RawRowView(j))
			}
		}
	}
	for i := 0; i < m; i++ {
		for j := 0; j < m; j++ {
			if i != j {
				syy += k(y.RawRowView(i), y.RawRowView(j))
			}
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			sxy += k(x.RawRowView(i), y.RawRowView(j))
		}
	}
	fn, fm := float64(n), float64(m)
	return sxx/(fn*(fn-1)) + syy/(fm*(fm-1)) - 2*sxy/(fn*fm)
}

func TestMMD2BruteForce(t *testing.T) {
	rng := newRand(20)
	x := gaussian(23, []float64{0, 0, 0}, 1, rng)
	y := gaussian(17, []float64{0.3, 0, -1}, 1.4, rng)
	hs := []float64{0.5, 1, 2.5}
	rbf := func(a, b []float64) float64 {
		var d2 float64
		for i := range a {
			d2 += (a[i] - b[i]) * (a[i] - b[i])
		}
		var s float64
		for _, h := range hs {
			s += math.Exp(-d2 / (2 * h * h))
		}
		return s
	}
	close(t, "MMD2", MMD2(x, y, hs), bruteMMD2(x, y, rbf), 1e-12)
	// With y = x the cross term includes the diagonal k(xᵢ,xᵢ) = max k, so
	// the unbiased estimate is strictly negative.
	if v := MMD2(x, x, hs); v >= 0 {
		t.Errorf("MMD2(x,x) = %g, want < 0", v)
	}
	mustPanic(t, "empty hs", func() { MMD2(x, y, nil) })
	mustPanic(t, "h = 0", func() { MMD2(x, y, []float64{0}) })
	mustPanic(t, "columns", func() { MMD2(x, mat.NewDense(3, 2, nil), hs) })
}

// gaussMMD2 is the population MMD² between N(0, s²I) and N(Δ, s²I) in d
// dimensions for the RBF kernel of bandwidth h:
// E k(X,X') = (h²/(h²+2s²))^(d/2), E k(X,Y) = that · exp(−‖Δ‖²/(2(h²+2s²))).
func gaussMMD2(d int, s, h, delta2 float64) float64 {
	c := math.Pow(h*h/(h*h+2*s*s), float64(d)/2)
	return 2 * c * (1 - math.Exp(-delta2/(2*(h*h+2*s*s))))
}

func TestMMD2Laws(t *testing.T) {
	rng := newRand(21)
	// Unbiasedness: over 400 replicates of n = m = 10 from one law the mean
	// of MMD²_u is 0 (sd of the mean ≈ 0.003); the biased V-statistic would
	// average 2(1 − 1/3)/10 ≈ 0.13 here.
	var mean float64
	const reps = 400
	for r := 0; r < reps; r++ {
		x := gaussian(10, []float64{0, 0}, 1, rng)
		y := gaussian(10, []float64{0, 0}, 1, rng)
		mean += MMD2(x, y, []float64{1})
	}
	mean /= reps
	close(t, "mean MMD²_u under H0", mean, 0, 0.015)

	// Shifted law against the closed form 2c(1 − e^{−‖Δ‖²/(2(h²+2s²))}) = 0.1023.
	x := gaussian(1000, []float64{0, 0}, 1, rng)
	y := gaussian(1000, []float64{1, 0}, 1, rng)
	want := gaussMMD2(2, 1, 1, 1)
	close(t, "MMD² shifted", MMD2(x, y, []float64{1}), want, 0.02)
	// Same law, large sets: near 0 (sd ≈ 0.001).
	y0 := gaussian(1000, []float64{0, 0}, 1, rng)
	close(t, "MMD² same law", MMD2(x, y0, []float64{1}), 0, 0.006)
	// Two bandwidths add.
	close(t, "MMD² two bandwidths", MMD2(x, y, []float64{1, 2}),
		MMD2(x, y, []float64{1})+MMD2(x, y, []float64{2}), 1e-12)
}

func TestMedianHeuristic(t *testing.T) {
	rng := newRand(22)
	x := gaussian(41, []float64{0, 0, 0}, 1, rng)
	var d []float64
	for i := 0; i < 41; i++ {
		for j := i + 1; j < 41; j++ {
			d = append(d, math.Sqrt(sqDist(x.RawRowView(i), x.RawRowView(j))))
		}
	}
	slices.Sort(d) // 820 pairs: median is the mean of the 410th and 411th
	close(t, "median all pairs", MedianHeuristic(x, 0, nil), 0.5*(d[409]+d[410]), 0)
	close(t, "median all pairs (maxPairs large)", MedianHeuristic(x, 10000, nil), 0.5*(d[409]+d[410]), 0)
	// For 2-D N(0,I), ‖X−X'‖ is Rayleigh with scale √2: median 2√(ln 2).
	x2 := gaussian(3000, []float64{0, 0}, 1, rng)
	close(t, "median sampled pairs", MedianHeuristic(x2, 20000, rng), 2*math.Sqrt(math.Ln2), 0.04)
}

func TestPolyMMD2BruteForce(t *testing.T) {
	rng := newRand(23)
	x := gaussian(13, []float64{0, 1, 0, 0}, 1, rng)
	y := gaussian(9, []float64{0.5, 0, 0, 2}, 0.7, rng)
	poly := func(a, b []float64) float64 {
		var dot float64
		for i := range a {
			dot += a[i] * b[i]
		}
		return math.Pow(dot/float64(len(a))+1, 3)
	}
	close(t, "PolyMMD2", PolyMMD2(x, y), bruteMMD2(x, y, poly), 1e-12)
}

// TestKIDStdNaNWithOneDistinctSubset: the standard deviation is NaN when
// every subset is the whole set or there is one subset, and a number as
// soon as one of the two sets is subsampled.
func TestKIDStdNaNWithOneDistinctSubset(t *testing.T) {
	rng := newRand(25)
	x := gaussian(30, []float64{0, 0, 0}, 1, rng)
	y := gaussian(40, []float64{1, 0, 0}, 1, rng)
	for _, c := range []struct {
		name          string
		y             *mat.Dense
		nSub, subSize int
		nan           bool
	}{
		{"whole sets", x, 5, 1000, true},
		{"one subset", y, 1, 10, true},
		{"x whole, y subsampled", y, 5, 1000, false},
		{"both subsampled", y, 5, 10, false},
	} {
		_, std := KID(x, c.y, c.nSub, c.subSize, rng)
		if math.IsNaN(std) != c.nan || (!c.nan && !(std > 0)) {
			t.Errorf("%s: std %g, want NaN %v", c.name, std, c.nan)
		}
	}
}

func TestKID(t *testing.T) {
	rng := newRand(24)
	x := gaussian(30, []float64{0, 0, 0}, 1, rng)
	y := gaussian(30, []float64{1, 0, 0}, 1, rng)
	full := PolyMMD2(x, y)
	// Subsets as large as the sets are the sets themselves (permuted): every
	// subset gives the full-set statistic, and there is no spread to report.
	mean, _ := KID(x, y, 5, 1000, rng)
	close(t, "KID, whole sets", mean, full, 1e-12)

	// Mean and (population) std over subsets match the per-subset values
	// drawn from the same stream.
	vals := KIDSubsets(x, y, 50, 8, newRand(99))
	m2, s2 := KID(x, y, 50, 8, newRand(99))
	var mv, vv float64
	for _, v := range vals {
		mv += v
	}
	mv /= float64(len(vals))
	for _, v := range vals {
		vv += (v - mv) * (v - mv)
	}
	close(t, "KID mean", m2, mv, 1e-15)
	close(t, "KID std", s2, math.Sqrt(vv/float64(len(vals))), 1e-15)

	// Uniform subsets without replacement leave the U-statistic unbiased:
	// the average over many random 6-subsets estimates the full-set value.
	many := KIDSubsets(x, y, 4000, 6, rng)
	var avg, sd float64
	for _, v := range many {
		avg += v
	}
	avg /= float64(len(many))
	for _, v := range many {
		sd += (v - avg) * (v - avg)
	}
	se := math.Sqrt(sd/float64(len(many)-1)) / math.Sqrt(float64(len(many)))
	close(t, "subset average vs full", avg, full, 4*se)

	// Same law ≈ 0, shifted clearly positive, on 1000 rows with 100 subsets
	// of 200.
	a := gaussian(1000, make([]float64, 8), 1, rng)
	b := gaussian(1000, make([]float64, 8), 1, rng)
	c := gaussian(1000, []float64{0.5, 0, 0, 0, 0, 0, 0, 0}, 1, rng)
	m0, s0 := KID(a, b, 100, 200, rng)
	m1, _ := KID(a, c, 100, 200, rng)
	if math.Abs(m0) > 0.01 || s0 <= 0 {
		t.Errorf("KID same law = %g ± %g, want ≈ 0 with positive spread", m0, s0)
	}
	if m1 < 0.05 {
		t.Errorf("KID shifted = %g, want clearly positive", m1)
	}
	mustPanic(t, "subset size 1", func() { KID(a, b, 10, 1, rng) })
}
