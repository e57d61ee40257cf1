package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// MMD2 returns the unbiased estimate of the squared maximum mean discrepancy
// between the laws of the rows of x (n×d) and y (m×d),
//
//	MMD²_u = 1/(n(n−1)) Σ_{i≠j} k(xᵢ,xⱼ) + 1/(m(m−1)) Σ_{i≠j} k(yᵢ,yⱼ) − 2/(nm) Σ_{i,j} k(xᵢ,yⱼ),
//
// (Gretton et al. 2012, eq. 3) with the sum of RBF kernels
//
//	k(a,b) = Σ_h exp(−‖a−b‖²/(2h²)),  h ∈ hs.
//
// The estimate is unbiased, so it fluctuates around 0 (and can be negative)
// when both sets come from the same law. Squared distances are computed
// exactly (no ‖a‖²+‖b‖²−2aᵀb cancellation) in O(1) extra memory per row.
// MedianHeuristic gives the usual single bandwidth. It panics if the column
// counts differ, if n < 2 or m < 2, or if hs is empty or has a
// non-positive entry.
func MMD2(x, y *mat.Dense, hs []float64) float64 {
	n, dx := x.Dims()
	m, dy := y.Dims()
	if dx != dy {
		panic(fmt.Sprintf("metrics: MMD2: dimensions differ: %d vs %d", dx, dy))
	}
	if n < 2 || m < 2 {
		panic(fmt.Sprintf("metrics: MMD2: need at least 2 rows in each set, have %d and %d", n, m))
	}
	if len(hs) == 0 {
		panic("metrics: MMD2: no bandwidths")
	}
	coef := make([]float64, len(hs))
	for i, h := range hs {
		if !(h > 0) || math.IsInf(h, 0) {
			panic(fmt.Sprintf("metrics: MMD2: bandwidth %d is %v, want finite > 0", i, h))
		}
		coef[i] = -1 / (2 * h * h)
	}
	k := func(d2 float64) float64 {
		var s float64
		for _, c := range coef {
			s += math.Exp(c * d2)
		}
		return s
	}
	kxx := 2 * pairSum(x, x, true, k)
	kyy := 2 * pairSum(y, y, true, k)
	kxy := pairSum(x, y, false, k)
	fn, fm := float64(n), float64(m)
	return kxx/(fn*(fn-1)) + kyy/(fm*(fm-1)) - 2*kxy/(fn*fm)
}

// pairSum returns Σ f(‖xᵢ−yⱼ‖²) over all (i, j), or over i < j when upper is
// true (then x and y must be the same matrix). Rows of x are shared among
// GOMAXPROCS goroutines; per-row partial sums are added in row order, so the
// result does not depend on scheduling.
func pairSum(x, y *mat.Dense, upper bool, f func(d2 float64) float64) float64 {
	n, _ := x.Dims()
	m, _ := y.Dims()
	rowSum := make([]float64, n)
	parallelRows(n, func(i int) {
		xi := x.RawRowView(i)
		start := 0
		if upper {
			start = i + 1
		}
		var s float64
		for j := start; j < m; j++ {
			s += f(sqDist(xi, y.RawRowView(j)))
		}
		rowSum[i] = s
	})
	var s float64
	for _, v := range rowSum {
		s += v
	}
	return s
}

// parallelRows calls body(i) for i in [0, n) on up to GOMAXPROCS goroutines.
// body must only write state owned by row i.
func parallelRows(n int, body func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			body(i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	const chunk = 16
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					body(i)
				}
			}
		}()
	}
	wg.Wait()
}

// sqDist is ‖a−b‖² summed directly.
func sqDist(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1 float64
	i := 0
	for ; i+1 < len(a); i += 2 {
		d0 := a[i] - b[i]
		d1 := a[i+1] - b[i+1]
		s0 += d0 * d0
		s1 += d1 * d1
	}
	if i < len(a) {
		d := a[i] - b[i]
		s0 += d * d
	}
	return s0 + s1
}

// MedianHeuristic returns the median Euclidean distance ‖xᵢ−xⱼ‖ between
// distinct rows of x, the usual bandwidth h for the RBF kernel in MMD2. If
// maxPairs ≤ 0 or n(n−1)/2 ≤ maxPairs all pairs i < j are used; otherwise
// maxPairs pairs (i, j), i ≠ j, are drawn uniformly with replacement from
// rng (which may then not be nil). For an even count the median is the mean
// of the two middle values. It panics if x has fewer than 2 rows.
func MedianHeuristic(x *mat.Dense, maxPairs int, rng *rand.Rand) float64 {
	n, _ := x.Dims()
	if n < 2 {
		panic(fmt.Sprintf("metrics: MedianHeuristic: need at least 2 rows, have %d", n))
	}
	all := int64(n) * int64(n-1) / 2
	var d []float64
	if maxPairs <= 0 || all <= int64(maxPairs) {
		d = make([]float64, 0, all)
		for i := 0; i < n; i++ {
			xi := x.RawRowView(i)
			for j := i + 1; j < n; j++ {
				d = append(d, math.Sqrt(sqDist(xi, x.RawRowView(j))))
			}
		}
	} else {
		d = make([]float64, maxPairs)
		for k := range d {
			i := rng.IntN(n)
			j := rng.IntN(n - 1)
			if j >= i {
				j++
			}
			d[k] = math.Sqrt(sqDist(x.RawRowView(i), x.RawRowView(j)))
		}
	}
	slices.Sort(d)
	h := len(d) / 2
	if len(d)%2 == 1 {
		return d[h]
	}
	return 0.5 * (d[h-1] + d[h])
}

// PolyMMD2 returns the unbiased MMD² (see MMD2) between the rows of x (n×d)
// and y (m×d) with the cubic polynomial kernel of KID,
//
//	k(a,b) = (aᵀb/d + 1)³,
//
// over the whole sets; Gram matrices are formed with matrix products, so
// memory is O(n² + m² + nm). It panics if the column counts differ or a set
// has fewer than 2 rows.
func PolyMMD2(x, y *mat.Dense) float64 {
	n, dx := x.Dims()
	m, dy := y.Dims()
	if dx != dy {
		panic(fmt.Sprintf("metrics: PolyMMD2: dimensions differ: %d vs %d", dx, dy))
	}
	if n < 2 || m < 2 {
		panic(fmt.Sprintf("metrics: PolyMMD2: need at least 2 rows in each set, have %d and %d", n, m))
	}
	inv := 1 / float64(dx)
	var g mat.Dense
	offDiag := func(a *mat.Dense) float64 {
		g.Reset()
		g.Mul(a, a.T())
		r, _ := g.Dims()
		var s float64
		for i := 0; i < r; i++ {
			row := g.RawRowView(i)
			for j := i + 1; j < r; j++ {
				s += cube(row[j]*inv + 1)
			}
		}
		return 2 * s
	}
	kxx := offDiag(x)
	kyy := offDiag(y)
	g.Reset()
	g.Mul(x, y.T())
	var kxy float64
	for i := 0; i < n; i++ {
		for _, v := range g.RawRowView(i) {
			kxy += cube(v*inv + 1)
		}
	}
	fn, fm := float64(n), float64(m)
	return kxx/(fn*(fn-1)) + kyy/(fm*(fm-1)) - 2*kxy/(fn*fm)
}

func cube(v float64) float64 { return v * v * v }

// KIDSubsets returns the nSubsets per-subset estimates behind KID: for each
// subset, s = min(n, m, subsetSize) rows are drawn without replacement from
// each of x and y (rng), and PolyMMD2 is evaluated on them. It panics if s < 2,
// nSubsets < 1 or the column counts differ.
func KIDSubsets(x, y *mat.Dense, nSubsets, subsetSize int, rng *rand.Rand) []float64 {
	n, dx := x.Dims()
	m, dy := y.Dims()
	if dx != dy {
		panic(fmt.Sprintf("metrics: KID: dimensions differ: %d vs %d", dx, dy))
	}
	s := min(n, m, subsetSize)
	if s < 2 || nSubsets < 1 {
		panic(fmt.Sprintf("metrics: KID: need subset size ≥ 2 and nSubsets ≥ 1, have %d and %d", s, nSubsets))
	}
	ix := identity(n)
	iy := identity(m)
	xs := mat.NewDense(s, dx, nil)
	ys := mat.NewDense(s, dx, nil)
	out := make([]float64, nSubsets)
	for k := range out {
		partialShuffle(ix, s, rng)
		partialShuffle(iy, s, rng)
		for r := 0; r < s; r++ {
			copy(xs.RawRowView(r), x.RawRowView(ix[r]))
			copy(ys.RawRowView(r), y.RawRowView(iy[r]))
		}
		out[k] = PolyMMD2(xs, ys)
	}
	return out
}

// KID returns the kernel inception distance (Bińkowski et al. 2018) between
// the feature sets x and y: the mean and the population standard deviation
// (divisor nSubsets, as torchmetrics reports it) of the unbiased MMD² with
// kernel k(a,b) = (aᵀb/d + 1)³ over nSubsets random subsets of
// min(n, m, subsetSize) rows of each set drawn without replacement (see
// KIDSubsets). The clean-fid and torchmetrics defaults are nSubsets = 100,
// subsetSize = 1000; papers often report the mean ×10³. Memory is
// O(subsetSize²).
//
// std is NaN when there is only one distinct pair of subsets — nSubsets = 1,
// or subsetSize ≥ both n and m, so that every "subset" is the whole of x and
// of y and the spread would be rounding noise (~1e-9), not sampling error.
func KID(x, y *mat.Dense, nSubsets, subsetSize int, rng *rand.Rand) (mean, std float64) {
	v := KIDSubsets(x, y, nSubsets, subsetSize, rng)
	for _, s := range v {
		mean += s
	}
	mean /= float64(len(v))
	n, _ := x.Dims()
	m, _ := y.Dims()
	if s := min(n, m, subsetSize); len(v) < 2 || (s == n && s == m) {
		return mean, math.NaN()
	}
	for _, s := range v {
		std += (s - mean) * (s - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)))
}

func identity(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

// partialShuffle makes p[:k] a uniform random k-subset of p, in random order
// (the first k steps of a Fisher–Yates shuffle).
func partialShuffle(p []int, k int, rng *rand.Rand) {
	for i := 0; i < k; i++ {
		j := i + rng.IntN(len(p)-i)
		p[i], p[j] = p[j], p[i]
	}
}
