package matching

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/floats"
)

// ErrNotPD is returned when a matrix expected to be positive definite has a
// non-positive pivot.
var ErrNotPD = errors.New("matching: matrix not positive definite")

// EnvelopeCholesky is a sparse Cholesky factor P·A·Pᵀ = G·Gᵀ stored by rows
// in envelope (profile) form after a reverse Cuthill–McKee ordering P, which
// keeps the profile of a surface-mesh matrix near n·√n.
type EnvelopeCholesky struct {
	n     int
	perm  []int // perm[new] = old
	iperm []int // iperm[old] = new
	first []int // first stored column of each row
	start []int // offset of row i's entries (columns first[i]..i) in val
	val   []float64
}

// RCM returns the reverse Cuthill–McKee ordering perm (perm[new] = old) of
// the graph of the symmetric pattern of s, starting each connected component
// from a pseudo-peripheral vertex.
func RCM(s *Sparse) []int {
	n := s.N
	deg := make([]int, n)
	for i := 0; i < n; i++ {
		deg[i] = s.RowPtr[i+1] - s.RowPtr[i]
	}
	visited := make([]bool, n)
	order := make([]int, 0, n)
	bfs := func(root int, mark []int, stamp int) (last []int, levels int) {
		q := []int{root}
		mark[root] = stamp
		for len(q) > 0 {
			levels++
			last = q
			var nq []int
			for _, u := range q {
				for p := s.RowPtr[u]; p < s.RowPtr[u+1]; p++ {
					if v := s.Col[p]; mark[v] != stamp && !visited[v] {
						mark[v] = stamp
						nq = append(nq, v)
					}
				}
			}
			q = nq
		}
		return last, levels
	}
	mark := make([]int, n)
	for i := range mark {
		mark[i] = -1
	}
	stamp := 0
	byDeg := make([]int, n)
	for i := range byDeg {
		byDeg[i] = i
	}
	sort.SliceStable(byDeg, func(a, b int) bool { return deg[byDeg[a]] < deg[byDeg[b]] })
	for _, seed := range byDeg {
		if visited[seed] {
			continue
		}
		// pseudo-peripheral root: repeat BFS from a min-degree vertex of the last level
		root, best := seed, -1
		for it := 0; it < 5; it++ {
			stamp++
			last, lv := bfs(root, mark, stamp)
			if lv <= best {
				break
			}
			best = lv
			nr := last[0]
			for _, v := range last {
				if deg[v] < deg[nr] {
					nr = v
				}
			}
			root = nr
		}
		// Cuthill–McKee from root
		start := len(order)
		order = append(order, root)
		visited[root] = true
		for h := start; h < len(order); h++ {
			u := order[h]
			var nb []int
			for p := s.RowPtr[u]; p < s.RowPtr[u+1]; p++ {
				if v := s.Col[p]; !visited[v] {
					visited[v] = true
					nb = append(nb, v)
				}
			}
			sort.SliceStable(nb, func(a, b int) bool { return deg[nb[a]] < deg[nb[b]] })
			order = append(order, nb...)
		}
	}
	for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	return order
}

// NewEnvelopeCholesky factors the symmetric positive-definite matrix a.
// It returns an error wrapping ErrNotPD if a pivot is not positive.
func NewEnvelopeCholesky(a *Sparse) (*EnvelopeCholesky, error) {
	n := a.N
	c := &EnvelopeCholesky{n: n, perm: RCM(a), iperm: make([]int, n), first: make([]int, n), start: make([]int, n+1)}
	for nw, old := range c.perm {
		c.iperm[old] = nw
	}
	for i := 0; i < n; i++ {
		c.first[i] = i
	}
	for old := 0; old < n; old++ {
		i := c.iperm[old]
		for p := a.RowPtr[old]; p < a.RowPtr[old+1]; p++ {
			if j := c.iperm[a.Col[p]]; j < c.first[i] {
				c.first[i] = j
			}
		}
	}
	for i := 0; i < n; i++ {
		c.start[i+1] = c.start[i] + i - c.first[i] + 1
	}
	c.val = make([]float64, c.start[n])
	for old := 0; old < n; old++ {
		i := c.iperm[old]
		for p := a.RowPtr[old]; p < a.RowPtr[old+1]; p++ {
			if j := c.iperm[a.Col[p]]; j <= i {
				c.val[c.start[i]+j-c.first[i]] += a.Val[p]
			}
		}
	}
	// row-oriented envelope factorisation:
	// G_ij = (A_ij − Σ_{k<j} G_ik G_jk)/G_jj,  G_ii = √(A_ii − Σ_{k<i} G_ik²)
	for i := 0; i < n; i++ {
		fi := c.first[i]
		ri := c.val[c.start[i]:c.start[i+1]] // columns fi..i
		for j := fi; j < i; j++ {
			fj := c.first[j]
			rj := c.val[c.start[j]:c.start[j+1]]
			lo := max(fi, fj)
			s := floats.Dot(ri[lo-fi:j-fi], rj[lo-fj:j-fj])
			ri[j-fi] = (ri[j-fi] - s) / rj[j-fj]
		}
		d := ri[i-fi] - floats.Dot(ri[:i-fi], ri[:i-fi])
		if !(d > 0) {
			return nil, fmt.Errorf("matching: Cholesky pivot %d is %.3g: %w", i, d, ErrNotPD)
		}
		ri[i-fi] = math.Sqrt(d)
	}
	return c, nil
}

// Profile returns the number of stored factor entries.
func (c *EnvelopeCholesky) Profile() int { return len(c.val) }

// SolveTo sets dst = A⁻¹b (dst and b may alias). It panics on a length mismatch.
func (c *EnvelopeCholesky) SolveTo(dst, b []float64) {
	solveOne("EnvelopeCholesky", c.n, c.SolveRows, dst, b)
}

// solveOne solves for one right-hand side through a factor's block solve:
// dst = A⁻¹b with dst and b of length n (they may alias). It panics,
// naming the factor, on a length mismatch.
func solveOne(factor string, n int, solveRows func([]float64), dst, b []float64) {
	if len(dst) != n || len(b) != n {
		panic("matching: " + factor + ".SolveTo length mismatch")
	}
	copy(dst, b)
	solveRows(dst)
}

// SolveRows overwrites each of the len(x)/n consecutive length-n vectors
// b_r held in x with A⁻¹b_r. The right-hand sides go through each factor
// row together, so a block of them reads the factor from memory once
// instead of once per vector. It panics if len(x) is not a multiple of n.
func (c *EnvelopeCholesky) SolveRows(x []float64) {
	n := c.n
	if n == 0 || len(x)%n != 0 {
		panic("matching: EnvelopeCholesky.SolveRows length is not a multiple of n")
	}
	p := len(x) / n
	y := make([]float64, len(x))
	for r := 0; r < p; r++ {
		yr, xr := y[r*n:(r+1)*n], x[r*n:(r+1)*n]
		for i, old := range c.perm {
			yr[i] = xr[old]
		}
	}
	for i := 0; i < n; i++ { // G y = Pb
		fi := c.first[i]
		ri := c.val[c.start[i]:c.start[i+1]]
		g, d := ri[:i-fi], ri[i-fi]
		for r := 0; r < p; r++ {
			yr := y[r*n : (r+1)*n]
			yr[i] = (yr[i] - floats.Dot(g, yr[fi:i])) / d
		}
	}
	for i := n - 1; i >= 0; i-- { // Gᵀ x = y
		fi := c.first[i]
		ri := c.val[c.start[i]:c.start[i+1]]
		g, d := ri[:i-fi], ri[i-fi]
		for r := 0; r < p; r++ {
			yr := y[r*n : (r+1)*n]
			yr[i] /= d
			floats.AddScaled(yr[fi:i], -yr[i], g)
		}
	}
	for r := 0; r < p; r++ {
		yr, xr := y[r*n:(r+1)*n], x[r*n:(r+1)*n]
		for i, old := range c.perm {
			xr[old] = yr[i]
		}
	}
}
