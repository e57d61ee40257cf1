package metrics

import (
	"fmt"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// DefaultNeighbours is the k of Kynkäänniemi et al. (2019) and of the
// StyleGAN2-ADA metrics (nhood_size = 3).
const DefaultNeighbours = 3

// blockBudget is the number of float64 distances PrecisionRecall keeps in
// memory at once (32 MiB).
const blockBudget = 1 << 22

// PrecisionRecall returns the improved precision and recall of Kynkäänniemi
// et al. (2019) between a real and a fake feature set (rows are samples).
// Each set's manifold is estimated as the union of balls B(xᵢ, ρ_k(xᵢ)),
// where ρ_k(xᵢ) is the distance from xᵢ to its k-th nearest neighbour in its
// own set (xᵢ itself excluded; duplicates count as neighbours at distance 0):
//
//	precision = 1/|F| · #{f ∈ F : ∃ r ∈ R, ‖f−r‖ ≤ ρ_k(r)},
//	recall    = 1/|R| · #{r ∈ R : ∃ f ∈ F, ‖r−f‖ ≤ ρ_k(f)}.
//
// k = DefaultNeighbours (3) is the published default. Distances are computed
// in row blocks sized to hold about 4M distances at once (see
// PrecisionRecallBlocked). It panics if the column counts differ, k < 1, or a
// set has k rows or fewer.
func PrecisionRecall(real, fake *mat.Dense, k int) (precision, recall float64) {
	n, _ := real.Dims()
	m, _ := fake.Dims()
	block := max(1, min(blockBudget/max(n, m, 1), max(n, m)))
	return PrecisionRecallBlocked(real, fake, k, block)
}

// PrecisionRecallBlocked is PrecisionRecall with distance matrices formed
// blockRows rows at a time, so memory is O(blockRows·max(|R|,|F|)) beyond the
// inputs. Squared distances come from ‖a‖² + ‖b‖² − 2aᵀb (a matrix product);
// any comparison with a radius that lies within the rounding bound of that
// formula, 4(d+2)·ε·(‖a‖²+‖b‖²), is redone with the directly summed
// distance, and each radius is the directly summed distance to the k-th
// nearest neighbour, so the result does not depend on blockRows. It panics
// if blockRows < 1, and as PrecisionRecall does.
func PrecisionRecallBlocked(real, fake *mat.Dense, k, blockRows int) (precision, recall float64) {
	n, d := real.Dims()
	m, df := fake.Dims()
	if d != df {
		panic(fmt.Sprintf("metrics: PrecisionRecall: dimensions differ: %d vs %d", d, df))
	}
	if k < 1 {
		panic(fmt.Sprintf("metrics: PrecisionRecall: k = %d, want ≥ 1", k))
	}
	if n <= k || m <= k {
		panic(fmt.Sprintf("metrics: PrecisionRecall: need more than k = %d rows in each set, have %d real and %d fake", k, n, m))
	}
	if blockRows < 1 {
		panic(fmt.Sprintf("metrics: PrecisionRecall: blockRows = %d, want ≥ 1", blockRows))
	}
	nr := rowSqNorms(real)
	nf := rowSqNorms(fake)
	tolScale := 4 * float64(d+2) * eps
	rr := kthNeighbourSq(real, nr, k, blockRows, tolScale)
	rf := kthNeighbourSq(fake, nf, k, blockRows, tolScale)

	fakeIn := make([]bool, m) // fake f lies in some real ball
	realIn := make([]bool, n) // real r lies in some fake ball
	var g mat.Dense
	for lo := 0; lo < m; lo += blockRows {
		hi := min(lo+blockRows, m)
		fb := fake.Slice(lo, hi, 0, d)
		g.Reset()
		g.Mul(fb, real.T())
		// Precision: each fake row of the block against every real ball
		// (rows in parallel).
		parallelRows(hi-lo, func(b int) {
			a := lo + b
			row := g.RawRowView(b)
			fa := fake.RawRowView(a)
			for r, dot := range row {
				if within(nf[a]+nr[r]-2*dot, rr[r], tolScale*(nf[a]+nr[r]), fa, real.RawRowView(r)) {
					fakeIn[a] = true
					return
				}
			}
		})
		// Recall: each real column against the block's fake balls (column
		// chunks in parallel, so every realIn entry has one writer).
		const cols = 256
		parallelRows((n+cols-1)/cols, func(c int) {
			c0, c1 := c*cols, min((c+1)*cols, n)
			for b := 0; b < hi-lo; b++ {
				a := lo + b
				row := g.RawRowView(b)
				fa := fake.RawRowView(a)
				for r := c0; r < c1; r++ {
					if !realIn[r] && within(nf[a]+nr[r]-2*row[r], rf[a], tolScale*(nf[a]+nr[r]), fa, real.RawRowView(r)) {
						realIn[r] = true
					}
				}
			}
		})
	}
	return fraction(fakeIn), fraction(realIn)
}

const eps = 0x1p-52

// within reports whether ‖a−b‖² ≤ r2, given approx = ‖a‖²+‖b‖²−2aᵀb with
// |approx − ‖a−b‖²| ≤ tol. The exact distance is computed only when the
// approximation cannot decide.
func within(approx, r2, tol float64, a, b []float64) bool {
	if approx < r2-tol {
		return true
	}
	if approx > r2+tol {
		return false
	}
	return sqDist(a, b) <= r2
}

// kthNeighbourSq returns, for each row i of x, the squared distance to its
// k-th nearest other row, exactly as sqDist would give it: candidates are
// ranked by the Gram-matrix distance, then every row that could be among the
// k nearest in exact arithmetic is re-measured directly.
func kthNeighbourSq(x *mat.Dense, norms []float64, k, blockRows int, tolScale float64) []float64 {
	n, d := x.Dims()
	out := make([]float64, n)
	type cand struct {
		d2 float64
		j  int
	}
	var g mat.Dense
	for lo := 0; lo < n; lo += blockRows {
		hi := min(lo+blockRows, n)
		g.Reset()
		g.Mul(x.Slice(lo, hi, 0, d), x.T())
		parallelRows(hi-lo, func(b int) {
			i := lo + b
			row := g.RawRowView(b)
			best := make([]cand, 0, k)
			for j, dot := range row {
				if j == i {
					continue
				}
				a := norms[i] + norms[j] - 2*dot
				if len(best) == k && a >= best[k-1].d2 {
					continue
				}
				// Insert in ascending order, keep k.
				pos, _ := slices.BinarySearchFunc(best, a, func(c cand, t float64) int {
					if c.d2 < t {
						return -1
					}
					if c.d2 > t {
						return 1
					}
					return 0
				})
				if len(best) < k {
					best = append(best, cand{})
				}
				copy(best[pos+1:], best[pos:len(best)-1])
				best[pos] = cand{a, j}
			}
			// Second look. The k candidates are exactly within kth+tolK, so
			// the exact k-th distance D_k ≤ kth+tolK, and every row nearer
			// than D_k has approx ≤ D_k+tol ≤ kth+tolK+tol. Measuring all of
			// those directly makes the k-th smallest exactly D_k.
			kth := best[k-1].d2
			var tolK float64 // largest rounding bound among the k candidates
			for _, c := range best {
				tolK = max(tolK, tolScale*(norms[i]+norms[c.j]))
			}
			xi := x.RawRowView(i)
			exact := make([]float64, 0, 2*k)
			for j, dot := range row {
				if j == i {
					continue
				}
				a := norms[i] + norms[j] - 2*dot
				tol := tolScale * (norms[i] + norms[j])
				if a <= kth+tolK+tol {
					exact = append(exact, sqDist(xi, x.RawRowView(j)))
				}
			}
			slices.Sort(exact)
			out[i] = exact[k-1]
		})
	}
	return out
}

func rowSqNorms(x *mat.Dense) []float64 {
	n, _ := x.Dims()
	out := make([]float64, n)
	for i := range out {
		r := x.RawRowView(i)
		var s float64
		for _, v := range r {
			s += v * v
		}
		out[i] = s
	}
	return out
}

func fraction(b []bool) float64 {
	c := 0
	for _, v := range b {
		if v {
			c++
		}
	}
	return float64(c) / float64(len(b))
}
