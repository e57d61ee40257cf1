package matching

import (
	"errors"
	"fmt"
	"math"

	"genlab/data/mesh"
)

// ErrMesh reports a mesh the operators cannot be built on.
var ErrMesh = errors.New("matching: unusable mesh")

// CotanLaplacian returns the cotangent Laplacian (stiffness matrix) of m:
// for each edge ij with opposite angles α, β in its one or two faces,
//
//	w_ij = ½(cot α + cot β),  L_ij = −w_ij,  L_ii = Σ_j w_ij,
//
// so L is symmetric and L·1 = 0. It is the linear finite-element stiffness
// matrix, a sum over faces of positive semi-definite 3×3 blocks, so it is
// positive semi-definite for any mesh of non-degenerate triangles (obtuse
// angles make weights negative, not eigenvalues). In floating point a face
// of quality q (mesh.Quality) has weights up to 1/q, and for q below about
// 3e-10 the assembled matrix loses definiteness: LaplaceBeltrami refuses
// faces with q ≤ mesh.SliverTol before calling this. The cotangent of an
// angle in a degenerate triangle is computed with its denominator ‖e₁×e₂‖
// floored at 1e-12·‖e₁‖‖e₂‖, so it stays finite.
func CotanLaplacian(m *mesh.Mesh) (*Sparse, error) {
	n := len(m.V)
	if n == 0 || len(m.F) == 0 {
		return nil, fmt.Errorf("matching: Laplacian of a mesh with %d vertices and %d faces: %w", n, len(m.F), ErrMesh)
	}
	ts := make([]Triplet, 0, 12*len(m.F))
	for fi, f := range m.F {
		for c := 0; c < 3; c++ {
			i, j, k := f[c], f[(c+1)%3], f[(c+2)%3]
			if i < 0 || j < 0 || k < 0 || i >= n || j >= n || k >= n {
				return nil, fmt.Errorf("matching: face %d has an index out of range: %w", fi, ErrMesh)
			}
			a := mesh.Sub(m.V[i], m.V[k])
			b := mesh.Sub(m.V[j], m.V[k])
			den := mesh.Norm(mesh.Cross(a, b))
			floor := 1e-12 * mesh.Norm(a) * mesh.Norm(b)
			if den < floor {
				den = floor
			}
			if den == 0 {
				continue
			}
			w := 0.5 * mesh.Dot(a, b) / den
			ts = append(ts, Triplet{i, j, -w}, Triplet{j, i, -w}, Triplet{i, i, w}, Triplet{j, j, w})
		}
	}
	L := NewSparse(n, ts)
	for _, v := range L.Val {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("matching: non-finite cotangent weight: %w", ErrMesh)
		}
	}
	return L, nil
}

// LumpedMass returns the barycentric lumped mass m_i = ⅓ Σ_{f∋i} area(f);
// Σ_i m_i is the surface area.
func LumpedMass(m *mesh.Mesh) []float64 {
	d := make([]float64, len(m.V))
	for f, t := range m.F {
		a := m.FaceArea(f) / 3
		for _, v := range t {
			d[v] += a
		}
	}
	return d
}

// FEMMass returns the full (consistent) linear finite-element mass matrix:
// per face, area/6 on the diagonal and area/12 off it, so that 1ᵀM1 is the
// surface area and each row sums to the lumped mass.
func FEMMass(m *mesh.Mesh) *Sparse {
	ts := make([]Triplet, 0, 9*len(m.F))
	for f, t := range m.F {
		a := m.FaceArea(f)
		for p := 0; p < 3; p++ {
			for q := 0; q < 3; q++ {
				v := a / 12
				if p == q {
					v = a / 6
				}
				ts = append(ts, Triplet{t[p], t[q], v})
			}
		}
	}
	return NewSparse(len(m.V), ts)
}
