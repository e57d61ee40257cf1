package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// RandomDirections returns n directions drawn uniformly on the unit sphere
// S^(dim−1), one per row of the n×dim result: each row is a standard normal
// vector divided by its norm. It panics if dim < 1 or n < 1.
func RandomDirections(dim, n int, rng *rand.Rand) *mat.Dense {
	if dim < 1 || n < 1 {
		panic(fmt.Sprintf("metrics: RandomDirections: need dim ≥ 1 and n ≥ 1, have dim=%d n=%d", dim, n))
	}
	out := mat.NewDense(n, dim, nil)
	for i := 0; i < n; i++ {
		row := out.RawRowView(i)
		for {
			var ss float64
			for j := range row {
				row[j] = rng.NormFloat64()
				ss += row[j] * row[j]
			}
			if ss > 0 {
				inv := 1 / math.Sqrt(ss)
				for j := range row {
					row[j] *= inv
				}
				break
			}
		}
	}
	return out
}

// SlicedWasserstein returns the sliced p-Wasserstein distance between the
// empirical distributions of the rows of x and y,
//
//	SW_p = ( 1/L · Σ_l W_p^p(⟨x,θ_l⟩, ⟨y,θ_l⟩) )^(1/p),
//
// over L = nDirs directions θ_l drawn uniformly on the unit sphere from rng
// (see RandomDirections and SlicedWassersteinDirs). It is a Monte Carlo
// estimate of (E_θ W_p^p)^(1/p) with θ uniform on the sphere.
func SlicedWasserstein(x, y *mat.Dense, p float64, nDirs int, rng *rand.Rand) float64 {
	_, d := x.Dims()
	return SlicedWassersteinDirs(x, y, RandomDirections(d, nDirs, rng), p)
}

// SlicedWassersteinDirs is SlicedWasserstein over the given directions, one
// per row of dirs (L×d; rows are used as given, so they should have unit
// norm). For each direction both point sets are projected and sorted, and the
// 1-D distance
//
//	W_p^p(F, G) = ∫₀¹ |F⁻¹(t) − G⁻¹(t)|^p dt
//
// between the empirical quantile functions is computed exactly: with equal
// sizes n it is 1/n · Σᵢ |x₍ᵢ₎ − y₍ᵢ₎|^p; with unequal sizes n ≠ m the step
// functions F⁻¹ (steps at i/n) and G⁻¹ (steps at j/m) are merged and each
// constant piece is weighted by its length. The result is
// (mean over directions)^(1/p).
//
// p must be ≥ 1 (1 and 2 are the usual choices). It panics on p < 1, on
// column mismatch, or on an empty x or y.
func SlicedWassersteinDirs(x, y, dirs *mat.Dense, p float64) float64 {
	nx, dx := x.Dims()
	ny, dy := y.Dims()
	nd, dd := dirs.Dims()
	if dx != dy || dd != dx {
		panic(fmt.Sprintf("metrics: SlicedWasserstein: dimension mismatch: x %d, y %d, dirs %d columns", dx, dy, dd))
	}
	if nx == 0 || ny == 0 || nd == 0 {
		panic("metrics: SlicedWasserstein: empty input")
	}
	if !(p >= 1) || math.IsInf(p, 0) {
		panic(fmt.Sprintf("metrics: SlicedWasserstein: p must be finite and ≥ 1, have %v", p))
	}
	// Projections: row l of dirs·xᵀ holds every ⟨xᵢ, θ_l⟩. Directions are
	// processed in chunks to bound memory.
	const chunk = 256
	var px, py mat.Dense
	var sum float64
	w := make([]float64, nd)
	for lo := 0; lo < nd; lo += chunk {
		hi := min(lo+chunk, nd)
		db := dirs.Slice(lo, hi, 0, dd)
		px.Reset()
		py.Reset()
		px.Mul(db, x.T())
		py.Mul(db, y.T())
		parallelRows(hi-lo, func(l int) {
			a := px.RawRowView(l)
			b := py.RawRowView(l)
			slices.Sort(a)
			slices.Sort(b)
			w[lo+l] = wassersteinSorted(a, b, p)
		})
	}
	for _, v := range w { // in direction order, independent of scheduling
		sum += v
	}
	return math.Pow(sum/float64(nd), 1/p)
}

// Wasserstein1D returns W_p^p between the empirical distributions of a and b
// (the p-th power of the 1-D p-Wasserstein distance), computed exactly from
// the quantile functions as described at SlicedWassersteinDirs. a and b are
// not modified. It panics if either is empty or p < 1.
func Wasserstein1D(a, b []float64, p float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		panic("metrics: Wasserstein1D: empty input")
	}
	if !(p >= 1) || math.IsInf(p, 0) {
		panic(fmt.Sprintf("metrics: Wasserstein1D: p must be finite and ≥ 1, have %v", p))
	}
	as := slices.Clone(a)
	bs := slices.Clone(b)
	slices.Sort(as)
	slices.Sort(bs)
	return wassersteinSorted(as, bs, p)
}

// wassersteinSorted is ∫₀¹ |F⁻¹−G⁻¹|^p for sorted a, b.
func wassersteinSorted(a, b []float64, p float64) float64 {
	pow := func(v float64) float64 {
		v = math.Abs(v)
		switch p {
		case 1:
			return v
		case 2:
			return v * v
		}
		return math.Pow(v, p)
	}
	n, m := len(a), len(b)
	if n == m {
		var s float64
		for i := range a {
			s += pow(a[i] - b[i])
		}
		return s / float64(n)
	}
	// Merge the breakpoints i/n and j/m, in integer units of 1/(n·m):
	// a[i] covers (i·m, (i+1)·m], b[j] covers (j·n, (j+1)·n].
	var s float64
	i, j := 0, 0
	var t int64
	for i < n && j < m {
		ea := int64(i+1) * int64(m)
		eb := int64(j+1) * int64(n)
		e := min(ea, eb)
		s += float64(e-t) * pow(a[i]-b[j])
		t = e
		if ea == e {
			i++
		}
		if eb == e {
			j++
		}
	}
	return s / (float64(n) * float64(m))
}
