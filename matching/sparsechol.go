package matching

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
)

// ndLeaf is the subgraph size below which NestedDissection stops bisecting.
const ndLeaf = 8

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
//
// After factoring, the columns are grouped into supernodes: runs of
// consecutive columns j, j+1, … whose patterns below the diagonal block
// agree (column j's pattern is {j+1} ∪ column j+1's). Nested dissection
// makes every separator one, so most entries sit in dense blocks, and the
// solves run over a supernode's rows with one index per row instead of one
// per entry.
type SparseCholesky struct {
	n     int
	perm  []int // perm[new] = old
	nnz   int
	nodes []supernode
}

// supernode holds the columns first … first+width−1 of G: the dense lower
// triangle of its diagonal block and the rows below it.
type supernode struct {
	first, width int
	rows         []int     // rows below the diagonal block, ascending
	diag         []float64 // width×width row-major, lower triangle used
	below        []float64 // len(rows)×width row-major: G[rows[i], first+c]
}

// NewSparseCholesky factors the symmetric positive-definite matrix a under
// the ordering perm (perm[new] = old; NestedDissection(a) when nil). It
// returns an error wrapping ErrNotPD if a pivot is not positive.
//
// The pattern of G comes from the elimination tree (parent(j) = the first
// row below j with G_ij ≠ 0): row k of G is non-zero exactly on the tree
// paths from the columns of row k of C = PAPᵀ up to k. The values are
// computed supernode by supernode ("left-looking"): the columns of
// supernode J, gathered into a dense panel F_J (its rows × its width),
// start as C's entries and receive the updates −G_K·G_{K,J}ᵀ of every
// earlier supernode K with rows in J's columns (G_{K,J}: those rows of
// K's panel), each one dense product scattered into F_J through the row
// positions; then the diagonal block is factored, F_D = G_D G_Dᵀ, and the
// rows below are solved, G_B = F_B G_D⁻ᵀ. A supernode K is kept on the
// list of the supernode holding its next unused row, so each update is
// found without searching.
func NewSparseCholesky(a *Sparse, perm []int) (*SparseCholesky, error) {
	n := a.N
	if perm == nil {
		perm = NestedDissection(a)
	}
	if len(perm) != n {
		panic(fmt.Sprintf("matching: NewSparseCholesky: ordering of length %d for n=%d", len(perm), n))
	}
	c := permutedLower(a, perm)
	parent := c.eliminationTree()
	nodes, snode := c.supernodes(parent)
	ch := &SparseCholesky{n: n, perm: perm, nodes: nodes}
	for s := range nodes {
		w := nodes[s].width
		ch.nnz += w*(w+1)/2 + w*len(nodes[s].rows)
	}
	if err := ch.factor(c, snode); err != nil {
		return nil, err
	}
	return ch, nil
}

// lowerC is the lower triangle of C = PAPᵀ, by rows (row k: columns j ≤ k
// in rc[rp[k]:rp[k+1]]) and by columns (column j: rows i ≥ j and values in
// ci, cv[cp[j]:cp[j+1]]).
type lowerC struct {
	n      int
	rp, rc []int
	cp, ci []int
	cv     []float64
	mark   []int // reach: last row that visited each column
}

// permutedLower returns the lower triangle of P·a·Pᵀ for perm[new] = old.
// It panics if perm is not a permutation.
func permutedLower(a *Sparse, perm []int) *lowerC {
	n := a.N
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
	c := &lowerC{n: n, rp: make([]int, n+1), cp: make([]int, n+1), mark: make([]int, n)}
	for k := 0; k < n; k++ {
		old := perm[k]
		for q := a.RowPtr[old]; q < a.RowPtr[old+1]; q++ {
			if j := iperm[a.Col[q]]; j <= k {
				c.rp[k+1]++
				c.cp[j+1]++
			}
		}
	}
	for k := 0; k < n; k++ {
		c.rp[k+1] += c.rp[k]
		c.cp[k+1] += c.cp[k]
	}
	c.rc = make([]int, c.rp[n])
	c.ci = make([]int, c.cp[n])
	c.cv = make([]float64, c.cp[n])
	at := append([]int(nil), c.cp[:n]...)
	for k := 0; k < n; k++ {
		old, r := perm[k], c.rp[k]
		for q := a.RowPtr[old]; q < a.RowPtr[old+1]; q++ {
			if j := iperm[a.Col[q]]; j <= k {
				c.rc[r] = j
				r++
				c.ci[at[j]], c.cv[at[j]] = k, a.Val[q]
				at[j]++
			}
		}
	}
	for i := range c.mark {
		c.mark[i] = -1
	}
	return c
}

// eliminationTree returns parent[j], the first row below j with G_ij ≠ 0
// (−1 for a root), by Liu's algorithm: each entry C_kj, j < k, makes k the
// parent of the current root of j's subtree (found with path compression).
func (c *lowerC) eliminationTree() []int {
	parent := make([]int, c.n)
	anc := make([]int, c.n)
	for k := 0; k < c.n; k++ {
		parent[k], anc[k] = -1, -1
		for q := c.rp[k]; q < c.rp[k+1]; q++ {
			for r := c.rc[q]; r != -1 && r < k; {
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
	return parent
}

// reach calls visit for each column of the pattern of row k of G (columns
// < k): the tree paths from the columns of row k of C up to k.
func (c *lowerC) reach(k int, parent []int, visit func(j int)) {
	c.mark[k] = k
	for q := c.rp[k]; q < c.rp[k+1]; q++ {
		for j := c.rc[q]; c.mark[j] != k; j = parent[j] {
			c.mark[j] = k
			visit(j)
		}
	}
}

// supernodes returns G's fundamental supernodes, with their rows below the
// diagonal block and zeroed panels, and the supernode of each column.
// Column j+1 joins j's supernode when it is j's parent and has one entry
// fewer: then its pattern is j's less row j.
func (c *lowerC) supernodes(parent []int) ([]supernode, []int) {
	n := c.n
	cnt := make([]int, n) // entries of each column of G, diagonal included
	for k := 0; k < n; k++ {
		cnt[k]++
		c.reach(k, parent, func(j int) { cnt[j]++ })
	}
	var first []int
	snode := make([]int, n)
	for j := 0; j < n; j++ {
		if j == 0 || parent[j-1] != j || cnt[j-1] != cnt[j]+1 {
			first = append(first, j)
		}
		snode[j] = len(first) - 1
	}
	first = append(first, n)
	nodes := make([]supernode, len(first)-1)
	for s := range nodes {
		f, w := first[s], first[s+1]-first[s]
		nr := cnt[f]
		panel := make([]float64, nr*w)
		nodes[s] = supernode{first: f, width: w, rows: make([]int, 0, nr-w), diag: panel[:w*w], below: panel[w*w:]}
	}
	// the rows below a supernode's diagonal block are the rows k past its
	// last column whose pattern holds its first column, in increasing k
	for k := 0; k < n; k++ {
		c.reach(k, parent, func(j int) {
			if s := snode[j]; j == first[s] && k >= first[s+1] {
				nodes[s].rows = append(nodes[s].rows, k)
			}
		})
	}
	return nodes, snode
}

// factor computes the panels of ch.nodes from C, supernode by supernode
// (see NewSparseCholesky), or returns an error wrapping ErrNotPD.
func (ch *SparseCholesky) factor(c *lowerC, snode []int) error {
	nodes := ch.nodes
	ns := len(nodes)
	relpos := make([]int, c.n) // position of a row among the current supernode's rows
	head := make([]int, ns)    // supernodes waiting to update supernode s, linked through link
	link := make([]int, ns)
	next := make([]int, ns) // index (into rows) of a supernode's first row not yet used
	for s := range head {
		head[s] = -1
	}
	var upd []float64
	for s := 0; s < ns; s++ {
		sn := &nodes[s]
		f, w := sn.first, sn.width
		nr := w + len(sn.rows)
		panel := sn.diag[: nr*w : nr*w] // diag and below are one array
		for j := 0; j < w; j++ {
			relpos[f+j] = j
		}
		for t, i := range sn.rows {
			relpos[i] = w + t
		}
		for j := 0; j < w; j++ {
			for q := c.cp[f+j]; q < c.cp[f+j+1]; q++ {
				panel[relpos[c.ci[q]]*w+j] += c.cv[q]
			}
		}
		for K := head[s]; K != -1; {
			nxK := link[K]
			upd = updateFrom(panel, w, f, &nodes[K], &next[K], relpos, upd)
			if t := next[K]; t < len(nodes[K].rows) {
				J := snode[nodes[K].rows[t]]
				link[K], head[J] = head[J], K
			}
			K = nxK
		}
		// F_D = G_D G_Dᵀ (row-oriented), then G_B = F_B G_D⁻ᵀ
		for r := 0; r < w; r++ {
			pr := panel[r*w : r*w+r+1]
			for b := 0; b < r; b++ {
				pr[b] = (pr[b] - floats.Dot(pr[:b], panel[b*w:b*w+b])) / panel[b*w+b]
			}
			d := pr[r] - floats.Dot(pr[:r], pr[:r])
			if !(d > 0) {
				return fmt.Errorf("matching: sparse Cholesky pivot %d of %d is %.3g: %w", f+r, c.n, d, ErrNotPD)
			}
			pr[r] = math.Sqrt(d)
		}
		for r := w; r < nr; r++ {
			pr := panel[r*w : (r+1)*w]
			for b := 0; b < w; b++ {
				pr[b] = (pr[b] - floats.Dot(pr[:b], panel[b*w:b*w+b])) / panel[b*w+b]
			}
		}
		if len(sn.rows) > 0 {
			J := snode[sn.rows[0]]
			next[s] = 0
			link[s], head[J] = head[J], s
		}
	}
	return nil
}

// updateFrom subtracts from the panel of the supernode with columns
// f … f+w−1 (rows placed by relpos) the contribution G_K[rows ≥ f]·
// G_K[rows in f … f+w−1]ᵀ of the finished supernode K, whose unused rows
// start at *next, and advances *next past the rows in f … f+w−1. upd is
// scratch space, returned grown.
func updateFrom(panel []float64, w, f int, kn *supernode, next *int, relpos []int, upd []float64) []float64 {
	wk, rows := kn.width, kn.rows
	t0 := *next
	t1 := t0
	for t1 < len(rows) && rows[t1] < f+w {
		t1++
	}
	*next = t1
	kp := kn.below // row t of rows is kp[t*wk:(t+1)*wk]
	mr, nc := len(rows)-t0, t1-t0
	if cap(upd) < mr*nc {
		upd = make([]float64, mr*nc)
	}
	u := upd[:mr*nc]
	if mr*nc*wk >= 4096 {
		blas64.Implementation().Dgemm(blas.NoTrans, blas.Trans, mr, nc, wk, 1,
			kp[t0*wk:], wk, kp[t0*wk:], wk, 0, u, nc)
	} else {
		for x := 0; x < mr; x++ {
			rx := kp[(t0+x)*wk : (t0+x+1)*wk]
			for y := 0; y < nc && y <= x; y++ {
				u[x*nc+y] = floats.Dot(rx, kp[(t0+y)*wk:(t0+y+1)*wk])
			}
		}
	}
	// lower triangle only: row rows[t0+x] ≥ column rows[t0+y] ⇔ x ≥ y
	for x := 0; x < mr; x++ {
		pr := panel[relpos[rows[t0+x]]*w:]
		for y := 0; y < nc && y <= x; y++ {
			pr[rows[t0+y]-f] -= u[x*nc+y]
		}
	}
	return upd
}

// NNZ returns the number of non-zero entries of G (diagonal included).
func (c *SparseCholesky) NNZ() int { return c.nnz }

// Supernodes returns the number of supernodes of G.
func (c *SparseCholesky) Supernodes() int { return len(c.nodes) }

// SolveTo sets dst = A⁻¹b (dst and b may alias). It panics on a length mismatch.
func (c *SparseCholesky) SolveTo(dst, b []float64) {
	solveOne("SparseCholesky", c.n, c.SolveRows, dst, b)
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
	case 4:
		c.solve4(y)
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

// solveP solves G z = y, then Gᵀ x = z, in place on y, which holds p
// interleaved right-hand sides (y[i*p+r] is row i of vector r).
func (c *SparseCholesky) solveP(y []float64, p int) {
	for k := range c.nodes { // G z = y
		sn := &c.nodes[k]
		w := sn.width
		yf := y[sn.first*p : (sn.first+w)*p]
		for a := 0; a < w; a++ {
			ya := yf[a*p : (a+1)*p]
			row := sn.diag[a*w : a*w+a+1]
			for b, v := range row[:a] {
				yb := yf[b*p : (b+1)*p]
				for r := range ya {
					ya[r] -= v * yb[r]
				}
			}
			inv := 1 / row[a]
			for r := range ya {
				ya[r] *= inv
			}
		}
		for ii, i := range sn.rows {
			yi := y[i*p : (i+1)*p]
			for cc, v := range sn.below[ii*w : (ii+1)*w] {
				yc := yf[cc*p : (cc+1)*p]
				for r := range yi {
					yi[r] -= v * yc[r]
				}
			}
		}
	}
	for k := len(c.nodes) - 1; k >= 0; k-- { // Gᵀ x = z
		sn := &c.nodes[k]
		w := sn.width
		yf := y[sn.first*p : (sn.first+w)*p]
		for ii, i := range sn.rows {
			yi := y[i*p : (i+1)*p]
			for cc, v := range sn.below[ii*w : (ii+1)*w] {
				yc := yf[cc*p : (cc+1)*p]
				for r := range yc {
					yc[r] -= v * yi[r]
				}
			}
		}
		for a := w - 1; a >= 0; a-- {
			ya := yf[a*p : (a+1)*p]
			row := sn.diag[a*w : a*w+a+1]
			inv := 1 / row[a]
			for r := range ya {
				ya[r] *= inv
			}
			for b, v := range row[:a] {
				yb := yf[b*p : (b+1)*p]
				for r := range yb {
					yb[r] -= v * ya[r]
				}
			}
		}
	}
}

// solve1 is solveP for one right-hand side.
func (c *SparseCholesky) solve1(y []float64) {
	for k := range c.nodes {
		sn := &c.nodes[k]
		w := sn.width
		yf := y[sn.first : sn.first+w]
		for a := 0; a < w; a++ {
			row := sn.diag[a*w : a*w+a+1]
			s := yf[a]
			for b, v := range row[:a] {
				s -= v * yf[b]
			}
			yf[a] = s / row[a]
		}
		for ii, i := range sn.rows {
			s := 0.0
			for cc, v := range sn.below[ii*w : (ii+1)*w] {
				s += v * yf[cc]
			}
			y[i] -= s
		}
	}
	for k := len(c.nodes) - 1; k >= 0; k-- {
		sn := &c.nodes[k]
		w := sn.width
		yf := y[sn.first : sn.first+w]
		for ii, i := range sn.rows {
			yi := y[i]
			for cc, v := range sn.below[ii*w : (ii+1)*w] {
				yf[cc] -= v * yi
			}
		}
		for a := w - 1; a >= 0; a-- {
			row := sn.diag[a*w : a*w+a+1]
			ya := yf[a] / row[a]
			yf[a] = ya
			for b, v := range row[:a] {
				yf[b] -= v * ya
			}
		}
	}
}

// solve4 is solveP for four right-hand sides, on fixed-size rows with the
// running sums in scalars (Go keeps arrays of more than one element in
// memory, scalars in registers).
func (c *SparseCholesky) solve4(y []float64) {
	for k := range c.nodes {
		sn := &c.nodes[k]
		w := sn.width
		yf := y[sn.first*4 : (sn.first+w)*4]
		for a := 0; a < w; a++ {
			ya := (*[4]float64)(yf[a*4:])
			row := sn.diag[a*w : a*w+a+1]
			t0, t1, t2, t3 := ya[0], ya[1], ya[2], ya[3]
			for b, v := range row[:a] {
				yb := (*[4]float64)(yf[b*4:])
				t0 -= v * yb[0]
				t1 -= v * yb[1]
				t2 -= v * yb[2]
				t3 -= v * yb[3]
			}
			inv := 1 / row[a]
			ya[0], ya[1], ya[2], ya[3] = t0*inv, t1*inv, t2*inv, t3*inv
		}
		for ii, i := range sn.rows {
			var t0, t1, t2, t3 float64
			for cc, v := range sn.below[ii*w : (ii+1)*w] {
				yc := (*[4]float64)(yf[cc*4:])
				t0 += v * yc[0]
				t1 += v * yc[1]
				t2 += v * yc[2]
				t3 += v * yc[3]
			}
			yi := (*[4]float64)(y[i*4:])
			yi[0] -= t0
			yi[1] -= t1
			yi[2] -= t2
			yi[3] -= t3
		}
	}
	for k := len(c.nodes) - 1; k >= 0; k-- {
		sn := &c.nodes[k]
		w := sn.width
		yf := y[sn.first*4 : (sn.first+w)*4]
		for ii, i := range sn.rows {
			yi := (*[4]float64)(y[i*4:])
			u0, u1, u2, u3 := yi[0], yi[1], yi[2], yi[3]
			for cc, v := range sn.below[ii*w : (ii+1)*w] {
				yc := (*[4]float64)(yf[cc*4:])
				yc[0] -= v * u0
				yc[1] -= v * u1
				yc[2] -= v * u2
				yc[3] -= v * u3
			}
		}
		for a := w - 1; a >= 0; a-- {
			ya := (*[4]float64)(yf[a*4:])
			row := sn.diag[a*w : a*w+a+1]
			inv := 1 / row[a]
			u0, u1, u2, u3 := ya[0]*inv, ya[1]*inv, ya[2]*inv, ya[3]*inv
			ya[0], ya[1], ya[2], ya[3] = u0, u1, u2, u3
			for b, v := range row[:a] {
				yb := (*[4]float64)(yf[b*4:])
				yb[0] -= v * u0
				yb[1] -= v * u1
				yb[2] -= v * u2
				yb[3] -= v * u3
			}
		}
	}
}
