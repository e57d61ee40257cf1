// Package matching implements the classical functional-map pipeline for
// shape correspondence: the cotangent Laplace–Beltrami operator and mass
// matrices, its first eigenpairs (dense or shift-invert Lanczos), HKS/WKS
// descriptors, the regularised functional-map solve with a pluggable mask,
// point maps by nearest neighbour in the spectral embedding, ZoomOut, and
// geodesic evaluation and pictures.
//
// Conventions follow pyFM: shape i has eigenbasis Φ_i (n_i×k) with
// Φ_iᵀM_iΦ_i = I; a functional map C₁₂ (k₂×k₁) sends coefficients on shape 1
// to shape 2; a point map p2p₂₁ goes the other way, p2p₂₁[y] being the vertex
// of shape 1 matched to vertex y of shape 2.
package matching

import (
	"fmt"
	"sort"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Sparse is a square sparse matrix in compressed sparse row form. Symmetric
// matrices store both triangles.
type Sparse struct {
	N      int
	RowPtr []int     // len N+1
	Col    []int     // column of each stored entry, ascending within a row
	Val    []float64 // value of each stored entry
}

// Triplet is one (I, J, V) entry; duplicates are summed.
type Triplet struct {
	I, J int
	V    float64
}

// NewSparse assembles an n×n matrix from triplets, summing duplicates.
// It panics if an index is out of range.
func NewSparse(n int, ts []Triplet) *Sparse {
	rows := make([][]Triplet, n)
	for _, t := range ts {
		if t.I < 0 || t.I >= n || t.J < 0 || t.J >= n {
			panic(fmt.Sprintf("matching: triplet (%d,%d) out of range for n=%d", t.I, t.J, n))
		}
		rows[t.I] = append(rows[t.I], t)
	}
	s := &Sparse{N: n, RowPtr: make([]int, n+1)}
	for i, r := range rows {
		sort.Slice(r, func(a, b int) bool { return r[a].J < r[b].J })
		for k := 0; k < len(r); {
			j, v := r[k].J, 0.0
			for ; k < len(r) && r[k].J == j; k++ {
				v += r[k].V
			}
			s.Col = append(s.Col, j)
			s.Val = append(s.Val, v)
		}
		s.RowPtr[i+1] = len(s.Col)
	}
	return s
}

// Diag returns the diagonal matrix diag(d).
func Diag(d []float64) *Sparse {
	n := len(d)
	s := &Sparse{N: n, RowPtr: make([]int, n+1), Col: make([]int, n), Val: make([]float64, n)}
	for i := range d {
		s.RowPtr[i+1] = i + 1
		s.Col[i] = i
		s.Val[i] = d[i]
	}
	return s
}

// IsDiagonal reports whether every stored entry is on the diagonal.
func (s *Sparse) IsDiagonal() bool {
	for i := 0; i < s.N; i++ {
		for p := s.RowPtr[i]; p < s.RowPtr[i+1]; p++ {
			if s.Col[p] != i && s.Val[p] != 0 {
				return false
			}
		}
	}
	return true
}

// Diagonal returns the diagonal entries.
func (s *Sparse) Diagonal() []float64 {
	d := make([]float64, s.N)
	for i := 0; i < s.N; i++ {
		d[i] = s.At(i, i)
	}
	return d
}

// At returns entry (i, j).
func (s *Sparse) At(i, j int) float64 {
	lo, hi := s.RowPtr[i], s.RowPtr[i+1]
	k := sort.SearchInts(s.Col[lo:hi], j)
	if k < hi-lo && s.Col[lo+k] == j {
		return s.Val[lo+k]
	}
	return 0
}

// MulVecTo sets dst = S·x. It panics on a length mismatch.
func (s *Sparse) MulVecTo(dst, x []float64) {
	if len(dst) != s.N || len(x) != s.N {
		panic("matching: Sparse.MulVecTo length mismatch")
	}
	for i := 0; i < s.N; i++ {
		v := 0.0
		for p := s.RowPtr[i]; p < s.RowPtr[i+1]; p++ {
			v += s.Val[p] * x[s.Col[p]]
		}
		dst[i] = v
	}
}

// MulDense returns S·X for an N×c dense X.
func (s *Sparse) MulDense(x mat.Matrix) *mat.Dense {
	r, c := x.Dims()
	if r != s.N {
		panic("matching: Sparse.MulDense dimension mismatch")
	}
	out := mat.NewDense(s.N, c, nil)
	if xd, ok := x.(*mat.Dense); ok { // rows of X read in place
		raw := xd.RawMatrix()
		for i := 0; i < s.N; i++ {
			row := out.RawRowView(i)
			for p := s.RowPtr[i]; p < s.RowPtr[i+1]; p++ {
				floats.AddScaled(row, s.Val[p], raw.Data[s.Col[p]*raw.Stride:s.Col[p]*raw.Stride+c])
			}
		}
		return out
	}
	for i := 0; i < s.N; i++ {
		row := out.RawRowView(i)
		for p := s.RowPtr[i]; p < s.RowPtr[i+1]; p++ {
			v, j := s.Val[p], s.Col[p]
			for q := 0; q < c; q++ {
				row[q] += v * x.At(j, q)
			}
		}
	}
	return out
}

// AddScaled returns S + α·T, merging the rows (columns ascending in
// both, as NewSparse and Diag store them).
func (s *Sparse) AddScaled(alpha float64, t *Sparse) *Sparse {
	if s.N != t.N {
		panic("matching: Sparse.AddScaled dimension mismatch")
	}
	n := s.N
	out := &Sparse{N: n, RowPtr: make([]int, n+1),
		Col: make([]int, 0, len(s.Col)+len(t.Col)), Val: make([]float64, 0, len(s.Col)+len(t.Col))}
	for i := 0; i < n; i++ {
		p, pe := s.RowPtr[i], s.RowPtr[i+1]
		q, qe := t.RowPtr[i], t.RowPtr[i+1]
		for p < pe || q < qe {
			switch {
			case q == qe || p < pe && s.Col[p] < t.Col[q]:
				out.Col, out.Val = append(out.Col, s.Col[p]), append(out.Val, s.Val[p])
				p++
			case p == pe || t.Col[q] < s.Col[p]:
				out.Col, out.Val = append(out.Col, t.Col[q]), append(out.Val, alpha*t.Val[q])
				q++
			default:
				out.Col, out.Val = append(out.Col, s.Col[p]), append(out.Val, s.Val[p]+alpha*t.Val[q])
				p++
				q++
			}
		}
		out.RowPtr[i+1] = len(out.Col)
	}
	return out
}

// Dense returns S as a dense symmetric matrix (the upper triangle is read).
func (s *Sparse) Dense() *mat.SymDense {
	d := mat.NewSymDense(s.N, nil)
	for i := 0; i < s.N; i++ {
		for p := s.RowPtr[i]; p < s.RowPtr[i+1]; p++ {
			if j := s.Col[p]; j >= i {
				d.SetSym(i, j, s.Val[p])
			}
		}
	}
	return d
}
