package matching

import (
	"fmt"
	"math"
)

// ndLeaf is the subgraph size below which NestedDissection stops bisecting.
const ndLeaf = 24

// NestedDissection returns a fill-reducing ordering perm (perm[new] = old)
// of the graph of s's symmetric pattern, by recursive bisection with level
// structures (George's automatic nested dissection): in each connected
// piece a breadth-first search from a pseudo-peripheral vertex splits the
// vertices into levels; the level holding the median vertex, less its
// vertices with no neighbour in the next level, is a vertex separator S.
// The two sides are ordered first, recursively, and S last, so eliminating
// a side never fills the other: the factor's fill stays within each side
// and the dense block of S. On a surface mesh of n vertices the separators
// are rings of O(√n) vertices, the factor has O(n log n) entries and
// O(n^{3/2}) factorisation flops, against O(n^{3/2}) entries and O(n²)
// flops for a banded (RCM envelope) ordering.
func NestedDissection(s *Sparse) []int {
	n := s.N
	label := make([]int, n) // subgraph id of each vertex while it is being split
	for i := range label {
		label[i] = -1
	}
	lev := make([]int, n)
	order := make([]int, 0, n)
	next := 0
	// bfs runs a breadth-first search from root inside subgraph id,
	// writing levels into lev and the vertices reached, level by level,
	// into dst; it returns dst and the number of levels.
	bfs := func(dst []int, root, id int) ([]int, int) {
		dst = append(dst[:0], root)
		lev[root] = 0
		seen := label[root] // mark visited by a temporary label
		label[root] = -2 - id
		for h := 0; h < len(dst); h++ {
			u := dst[h]
			for q := s.RowPtr[u]; q < s.RowPtr[u+1]; q++ {
				if v := s.Col[q]; label[v] == seen {
					label[v] = -2 - id
					lev[v] = lev[u] + 1
					dst = append(dst, v)
				}
			}
		}
		for _, v := range dst {
			label[v] = seen
		}
		return dst, lev[dst[len(dst)-1]] + 1
	}
	deg := func(u int) int { return s.RowPtr[u+1] - s.RowPtr[u] }
	var split func(verts []int)
	split = func(verts []int) {
		id := next
		next++
		for _, v := range verts {
			label[v] = id
		}
		var comp []int
		done := 0
		for _, seed := range verts {
			if label[seed] != id {
				continue // already in an earlier component of this set
			}
			comp, _ = bfs(comp, seed, id)
			// this component leaves the set: relabel so the next seed skips it
			cid := next
			next++
			for _, v := range comp {
				label[v] = cid
			}
			done += len(comp)
			if len(comp) <= ndLeaf {
				for i := len(comp) - 1; i >= 0; i-- {
					order = append(order, comp[i])
				}
				continue
			}
			// pseudo-peripheral root: restart from a minimum-degree vertex of
			// the last level while the number of levels grows
			levels := 0
			root := comp[0]
			var lv []int
			for it := 0; it < 4; it++ {
				var nl int
				lv, nl = bfs(lv, root, cid)
				if nl <= levels {
					break
				}
				levels = nl
				last := lv[len(lv)-1]
				for h := len(lv) - 1; h >= 0 && lev[lv[h]] == nl-1; h-- {
					if deg(lv[h]) < deg(last) {
						last = lv[h]
					}
				}
				root = last
			}
			lv, levels = bfs(lv, root, cid)
			if levels < 3 {
				for i := len(lv) - 1; i >= 0; i-- {
					order = append(order, lv[i])
				}
				continue
			}
			// median level, kept off the first and last level
			j, cum := 0, 0
			for h, v := range lv {
				if cum = h + 1; 2*cum >= len(lv) {
					j = lev[v]
					break
				}
			}
			j = min(max(j, 1), levels-2)
			var a, b, sep []int
			for _, v := range lv {
				switch {
				case lev[v] < j:
					a = append(a, v)
				case lev[v] > j:
					b = append(b, v)
				default:
					inSep := false
					for q := s.RowPtr[v]; q < s.RowPtr[v+1]; q++ {
						if u := s.Col[q]; label[u] == cid && lev[u] == j+1 {
							inSep = true
							break
						}
					}
					if inSep {
						sep = append(sep, v)
					} else {
						a = append(a, v)
					}
				}
			}
			split(a)
			split(b)
			order = append(order, sep...)
		}
		_ = done
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	split(all)
	return order
}

// SparseCholesky is a sparse Cholesky factor P·A·Pᵀ = G·Gᵀ of a symmetric
// positive-definite matrix, G lower triangular and stored by columns (the
// diagonal entry first, then the rows below it in increasing order), under
// a fill-reducing ordering P.
type SparseCholesky struct {
	n      int
	perm   []int // perm[new] = old
	colPtr []int // column j of G is rowIdx/val[colPtr[j]:colPtr[j+1]]
	rowIdx []int
	val    []float64
}

// NewSparseCholesky factors the symmetric positive-definite matrix a under
// the ordering perm (perm[new] = old; NestedDissection(a) when nil). It
// returns an error wrapping ErrNotPD if a pivot is not positive.
//
// The pattern of G comes from the elimination tree (parent(j) = the first
// row below j with G_ij ≠ 0): row k of G is non-zero exactly on the tree
// paths from the columns of row k of PAPᵀ up to k. The values are computed
// row by row ("up-looking"): row k solves G_{0:k,0:k}·g = (PAPᵀ)_{0:k,k} by
// a sparse triangular solve along those paths, taken children first, and
// G_kk = √(a_kk − ‖g‖²).
func NewSparseCholesky(a *Sparse, perm []int) (*SparseCholesky, error) {
	n := a.N
	if perm == nil {
		perm = NestedDissection(a)
	}
	if len(perm) != n {
		panic(fmt.Sprintf("matching: NewSparseCholesky: ordering of length %d for n=%d", len(perm), n))
	}
	iperm := make([]int, n)
	for i := range iperm {
		iperm[i] = -1
	}
	for nw, old := range perm {
		if old < 0 || old >= n || iperm[old] >= 0 {
			panic("matching: NewSparseCholesky: ordering is not a permutation")
		}
		iperm[old] = nw
	}
	// lower triangle of C = PAPᵀ by rows: row k holds columns j ≤ k
	rp := make([]int, n+1)
	for k := 0; k < n; k++ {
		old := perm[k]
		for q := a.RowPtr[old]; q < a.RowPtr[old+1]; q++ {
			if iperm[a.Col[q]] <= k {
				rp[k+1]++
			}
		}
	}
	for k := 0; k < n; k++ {
		rp[k+1] += rp[k]
	}
	rc := make([]int, rp[n])
	rv := make([]float64, rp[n])
	for k := 0; k < n; k++ {
		old, at := perm[k], rp[k]
		for q := a.RowPtr[old]; q < a.RowPtr[old+1]; q++ {
			if j := iperm[a.Col[q]]; j <= k {
				rc[at], rv[at] = j, a.Val[q]
				at++
			}
		}
	}
	// elimination tree, with path compression through anc
	parent := make([]int, n)
	anc := make([]int, n)
	for k := 0; k < n; k++ {
		parent[k], anc[k] = -1, -1
		for q := rp[k]; q < rp[k+1]; q++ {
			for r := rc[q]; r != -1 && r < k; {
				nx := anc[r]
				anc[r] = k
				if nx == -1 {
					parent[r] = k
					break
				}
				r = nx
			}
		}
	}
	// reach writes the pattern of row k of G (columns < k) into stack[top:],
	// children before parents, and returns top.
	mark := make([]int, n)
	for i := range mark {
		mark[i] = -1
	}
	stack := make([]int, n)
	path := make([]int, n)
	reach := func(k int) int {
		top := n
		mark[k] = k
		for q := rp[k]; q < rp[k+1]; q++ {
			ln := 0
			for j := rc[q]; mark[j] != k; j = parent[j] {
				path[ln] = j
				ln++
				mark[j] = k
			}
			for ln > 0 {
				ln--
				top--
				stack[top] = path[ln]
			}
		}
		return top
	}
	cnt := make([]int, n) // entries of each column of G, diagonal included
	for k := 0; k < n; k++ {
		cnt[k]++
		for t := reach(k); t < n; t++ {
			cnt[stack[t]]++
		}
	}
	c := &SparseCholesky{n: n, perm: perm, colPtr: make([]int, n+1)}
	for j := 0; j < n; j++ {
		c.colPtr[j+1] = c.colPtr[j] + cnt[j]
	}
	c.rowIdx = make([]int, c.colPtr[n])
	c.val = make([]float64, c.colPtr[n])
	fill := make([]int, n) // next free slot of each column
	x := make([]float64, n)
	for k := 0; k < n; k++ {
		top := reach(k)
		for q := rp[k]; q < rp[k+1]; q++ {
			x[rc[q]] += rv[q]
		}
		d := x[k]
		x[k] = 0
		for t := top; t < n; t++ {
			j := stack[t]
			g := x[j] / c.val[c.colPtr[j]]
			x[j] = 0
			for q := c.colPtr[j] + 1; q < fill[j]; q++ {
				x[c.rowIdx[q]] -= c.val[q] * g
			}
			d -= g * g
			c.rowIdx[fill[j]], c.val[fill[j]] = k, g
			fill[j]++
		}
		if !(d > 0) {
			return nil, fmt.Errorf("matching: sparse Cholesky pivot %d of %d is %.3g: %w", k, n, d, ErrNotPD)
		}
		c.rowIdx[c.colPtr[k]], c.val[c.colPtr[k]] = k, math.Sqrt(d)
		fill[k] = c.colPtr[k] + 1
	}
	return c, nil
}

// NNZ returns the number of stored entries of G (diagonal included).
func (c *SparseCholesky) NNZ() int { return len(c.val) }

// SolveTo sets dst = A⁻¹b (dst and b may alias). It panics on a length mismatch.
func (c *SparseCholesky) SolveTo(dst, b []float64) {
	if len(dst) != c.n || len(b) != c.n {
		panic("matching: SparseCholesky.SolveTo length mismatch")
	}
	copy(dst, b)
	c.SolveRows(dst)
}

// SolveRows overwrites each of the len(x)/n consecutive length-n vectors
// b_r held in x with A⁻¹b_r, solving G y = P b_r and then Gᵀ P x_r = y. The
// right-hand sides are interleaved while they go through the factor, so
// each factor entry is read once for all of them. It panics if len(x) is
// not a multiple of n.
func (c *SparseCholesky) SolveRows(x []float64) {
	n := c.n
	if n == 0 || len(x)%n != 0 {
		panic("matching: SparseCholesky.SolveRows length is not a multiple of n")
	}
	p := len(x) / n
	y := make([]float64, len(x)) // y[i*p+r] = row i of the permuted block
	for r := 0; r < p; r++ {
		xr := x[r*n : (r+1)*n]
		for i, old := range c.perm {
			y[i*p+r] = xr[old]
		}
	}
	switch p {
	case 1:
		c.solve1(y)
	case 2:
		c.solve2(y)
	case 4:
		c.solve4(y)
	case 8:
		c.solve8(y)
	default:
		c.solveP(y, p)
	}
	for r := 0; r < p; r++ {
		xr := x[r*n : (r+1)*n]
		for i, old := range c.perm {
			xr[old] = y[i*p+r]
		}
	}
}

func (c *SparseCholesky) solve1(y []float64) {
	for j := 0; j < c.n; j++ { // G z = y
		lo, hi := c.colPtr[j], c.colPtr[j+1]
		yj := y[j] / c.val[lo]
		y[j] = yj
		rows, vals := c.rowIdx[lo+1:hi], c.val[lo+1:hi]
		for q, i := range rows {
			y[i] -= vals[q] * yj
		}
	}
	for j := c.n - 1; j >= 0; j-- { // Gᵀ x = z
		lo, hi := c.colPtr[j], c.colPtr[j+1]
		s := y[j]
		rows, vals := c.rowIdx[lo+1:hi], c.val[lo+1:hi]
		for q, i := range rows {
			s -= vals[q] * y[i]
		}
		y[j] = s / c.val[lo]
	}
}

func (c *SparseCholesky) solveP(y []float64, p int) {
	for j := 0; j < c.n; j++ { // G z = y
		lo, hi := c.colPtr[j], c.colPtr[j+1]
		yj := y[j*p : j*p+p]
		inv := 1 / c.val[lo]
		for r := range yj {
			yj[r] *= inv
		}
		rows, vals := c.rowIdx[lo+1:hi], c.val[lo+1:hi]
		for q, i := range rows {
			v := vals[q]
			yi := y[i*p : i*p+p]
			for r, t := range yj {
				yi[r] -= v * t
			}
		}
	}
	for j := c.n - 1; j >= 0; j-- { // Gᵀ x = z
		lo, hi := c.colPtr[j], c.colPtr[j+1]
		yj := y[j*p : j*p+p]
		rows, vals := c.rowIdx[lo+1:hi], c.val[lo+1:hi]
		for q, i := range rows {
			v := vals[q]
			yi := y[i*p : i*p+p]
			for r := range yj {
				yj[r] -= v * yi[r]
			}
		}
		inv := 1 / c.val[lo]
		for r := range yj {
			yj[r] *= inv
		}
	}
}

// solve2 is solveP for p = 2, on fixed-size rows (one bounds check a row).
func (c *SparseCholesky) solve2(y []float64) {
	for j := 0; j < c.n; j++ { // G z = y
		lo, hi := c.colPtr[j], c.colPtr[j+1]
		yj := (*[2]float64)(y[j*2:])
		inv := 1 / c.val[lo]
		for r := range yj {
			yj[r] *= inv
		}
		t := *yj
		rows, vals := c.rowIdx[lo+1:hi], c.val[lo+1:hi]
		for q, i := range rows {
			v := vals[q]
			yi := (*[2]float64)(y[i*2:])
			yi[0] -= v * t[0]
			yi[1] -= v * t[1]
		}
	}
	for j := c.n - 1; j >= 0; j-- { // Gᵀ x = z
		lo, hi := c.colPtr[j], c.colPtr[j+1]
		yj := (*[2]float64)(y[j*2:])
		t := *yj
		rows, vals := c.rowIdx[lo+1:hi], c.val[lo+1:hi]
		for q, i := range rows {
			v := vals[q]
			yi := (*[2]float64)(y[i*2:])
			t[0] -= v * yi[0]
			t[1] -= v * yi[1]
		}
		inv := 1 / c.val[lo]
		for r := range yj {
			yj[r] = t[r] * inv
		}
	}
}

// solve4 is solveP for p = 4, on fixed-size rows (one bounds check a row).
func (c *SparseCholesky) solve4(y []float64) {
	for j := 0; j < c.n; j++ { // G z = y
		lo, hi := c.colPtr[j], c.colPtr[j+1]
		yj := (*[4]float64)(y[j*4:])
		inv := 1 / c.val[lo]
		for r := range yj {
			yj[r] *= inv
		}
		t := *yj
		rows, vals := c.rowIdx[lo+1:hi], c.val[lo+1:hi]
		for q, i := range rows {
			v := vals[q]
			yi := (*[4]float64)(y[i*4:])
			yi[0] -= v * t[0]
			yi[1] -= v * t[1]
			yi[2] -= v * t[2]
			yi[3] -= v * t[3]
		}
	}
	for j := c.n - 1; j >= 0; j-- { // Gᵀ x = z
		lo, hi := c.colPtr[j], c.colPtr[j+1]
		yj := (*[4]float64)(y[j*4:])
		t := *yj
		rows, vals := c.rowIdx[lo+1:hi], c.val[lo+1:hi]
		for q, i := range rows {
			v := vals[q]
			yi := (*[4]float64)(y[i*4:])
			t[0] -= v * yi[0]
			t[1] -= v * yi[1]
			t[2] -= v * yi[2]
			t[3] -= v * yi[3]
		}
		inv := 1 / c.val[lo]
		for r := range yj {
			yj[r] = t[r] * inv
		}
	}
}

// solve8 is solveP for p = 8, on fixed-size rows (one bounds check a row).
func (c *SparseCholesky) solve8(y []float64) {
	for j := 0; j < c.n; j++ { // G z = y
		lo, hi := c.colPtr[j], c.colPtr[j+1]
		yj := (*[8]float64)(y[j*8:])
		inv := 1 / c.val[lo]
		for r := range yj {
			yj[r] *= inv
		}
		t := *yj
		rows, vals := c.rowIdx[lo+1:hi], c.val[lo+1:hi]
		for q, i := range rows {
			v := vals[q]
			yi := (*[8]float64)(y[i*8:])
			yi[0] -= v * t[0]
			yi[1] -= v * t[1]
			yi[2] -= v * t[2]
			yi[3] -= v * t[3]
			yi[4] -= v * t[4]
			yi[5] -= v * t[5]
			yi[6] -= v * t[6]
			yi[7] -= v * t[7]
		}
	}
	for j := c.n - 1; j >= 0; j-- { // Gᵀ x = z
		lo, hi := c.colPtr[j], c.colPtr[j+1]
		yj := (*[8]float64)(y[j*8:])
		t := *yj
		rows, vals := c.rowIdx[lo+1:hi], c.val[lo+1:hi]
		for q, i := range rows {
			v := vals[q]
			yi := (*[8]float64)(y[i*8:])
			t[0] -= v * yi[0]
			t[1] -= v * yi[1]
			t[2] -= v * yi[2]
			t[3] -= v * yi[3]
			t[4] -= v * yi[4]
			t[5] -= v * yi[5]
			t[6] -= v * yi[6]
			t[7] -= v * yi[7]
		}
		inv := 1 / c.val[lo]
		for r := range yj {
			yj[r] = t[r] * inv
		}
	}
}
