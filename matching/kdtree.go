package matching

import (
	"math"
	"runtime"
	"sort"
	"sync"
)

// KDTree is an exact nearest-neighbour index over n points in R^d (rows of a
// row-major n×d slice), split at the median of the widest coordinate.
type KDTree struct {
	d      int
	pts    []float64
	idx    []int
	sorted []float64 // the points in idx order, so leaves are contiguous
	nodes  []kdNode
}

type kdNode struct {
	lo, hi      int // range in idx (leaf if dim < 0)
	dim         int
	split       float64
	left, right int
}

const kdLeaf = 16

// NewKDTree builds a tree over the n rows of pts (len n·d). pts is not copied.
func NewKDTree(pts []float64, d int) *KDTree {
	if d <= 0 || len(pts)%d != 0 {
		panic("matching: NewKDTree: len(pts) not a multiple of d")
	}
	n := len(pts) / d
	t := &KDTree{d: d, pts: pts, idx: make([]int, n)}
	for i := range t.idx {
		t.idx[i] = i
	}
	if n > 0 {
		t.build(0, n)
	}
	t.sorted = make([]float64, len(pts))
	for r, i := range t.idx {
		copy(t.sorted[r*d:(r+1)*d], pts[i*d:(i+1)*d])
	}
	return t
}

func (t *KDTree) build(lo, hi int) int {
	id := len(t.nodes)
	t.nodes = append(t.nodes, kdNode{lo: lo, hi: hi, dim: -1})
	if hi-lo <= kdLeaf {
		return id
	}
	best, bd := -1.0, 0
	for c := 0; c < t.d; c++ {
		mn, mx := math.Inf(1), math.Inf(-1)
		for _, i := range t.idx[lo:hi] {
			v := t.pts[i*t.d+c]
			mn, mx = math.Min(mn, v), math.Max(mx, v)
		}
		if mx-mn > best {
			best, bd = mx-mn, c
		}
	}
	if best <= 0 {
		return id
	}
	sub := t.idx[lo:hi]
	sort.Slice(sub, func(a, b int) bool { return t.pts[sub[a]*t.d+bd] < t.pts[sub[b]*t.d+bd] })
	mid := lo + (hi-lo)/2
	split := t.pts[t.idx[mid]*t.d+bd]
	l := t.build(lo, mid)
	r := t.build(mid, hi)
	t.nodes[id] = kdNode{lo: lo, hi: hi, dim: bd, split: split, left: l, right: r}
	return id
}

// Nearest returns the index of the row nearest to q in Euclidean distance
// and the squared distance.
func (t *KDTree) Nearest(q []float64) (int, float64) { return t.NearestFrom(q, -1) }

// NearestFrom is Nearest with a starting guess (a row index, or −1): the
// search starts from the guess's distance, so a good guess (the previous
// ZoomOut iteration's match) lets most candidates be rejected after a few
// coordinates. The result is exact either way.
func (t *KDTree) NearestFrom(q []float64, guess int) (int, float64) {
	if len(q) != t.d {
		panic("matching: KDTree.Nearest: query dimension mismatch")
	}
	best, bi := math.Inf(1), -1
	if guess >= 0 {
		best, bi = 0, guess
		for c, v := range t.pts[guess*t.d : (guess+1)*t.d] {
			e := v - q[c]
			best += e * e
		}
	}
	var rec func(id int)
	rec = func(id int) {
		nd := &t.nodes[id]
		if nd.dim < 0 {
			for r := nd.lo; r < nd.hi; r++ {
				p := t.sorted[r*t.d : (r+1)*t.d]
				s := 0.0
				for c, v := range p {
					e := v - q[c]
					s += e * e
					if s > best {
						break
					}
				}
				if i := t.idx[r]; s < best || (s == best && i < bi) {
					best, bi = s, i
				}
			}
			return
		}
		diff := q[nd.dim] - nd.split
		near, far := nd.left, nd.right
		if diff >= 0 {
			near, far = far, near
		}
		rec(near)
		if diff*diff <= best {
			rec(far)
		}
	}
	if len(t.nodes) > 0 {
		rec(0)
	}
	return bi, best
}

// NearestAll returns the nearest row index for each of the m rows of the
// row-major m×d queries, using all CPUs.
func (t *KDTree) NearestAll(queries []float64) []int { return t.NearestAllFrom(queries, nil) }

// NearestAllFrom is NearestAll with per-query starting guesses (nil: none).
func (t *KDTree) NearestAllFrom(queries []float64, guess []int) []int {
	m := len(queries) / t.d
	if guess != nil && len(guess) != m {
		panic("matching: KDTree.NearestAllFrom: one guess per query")
	}
	out := make([]int, m)
	w := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < m; i += w {
				gs := -1
				if guess != nil {
					gs = guess[i]
				}
				out[i], _ = t.NearestFrom(queries[i*t.d:(i+1)*t.d], gs)
			}
		}(g)
	}
	wg.Wait()
	return out
}
