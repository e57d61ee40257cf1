package matching

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
)

// ErrSpectrum is wrapped by the error of a solve whose eigenpairs fail
// CheckBasis.
var ErrSpectrum = errors.New("matching: implausible Laplace–Beltrami spectrum")

// SpectrumTol is the relative tolerance of CheckSpectrum.
const SpectrumTol = 1e-8

// CheckSpectrum checks the k smallest eigenvalues vals (ascending) of a
// Laplacian whose graph has the given number of connected components:
// λ ≥ −SpectrumTol·s, and the number of near-zero eigenvalues (|λ| ≤
// SpectrumTol·s) equals min(components, k), with s = max(λ_max, 1/area) the
// scale of the spectrum. It returns nil or an error wrapping ErrSpectrum
// that names the mesh and the likely cause.
func CheckSpectrum(name string, vals []float64, components int, area float64) error {
	if len(vals) == 0 {
		return nil
	}
	if name == "" {
		name = "(unnamed mesh)"
	}
	s := math.Max(math.Abs(vals[len(vals)-1]), 1/area)
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return fmt.Errorf("matching: mesh %s: non-finite eigenvalue scale %g: %w", name, s, ErrSpectrum)
	}
	zeros := 0
	for i, v := range vals {
		if math.IsNaN(v) || v < -SpectrumTol*s {
			return fmt.Errorf("matching: mesh %s: eigenvalue %d is %.3g < −%g·%.3g (likely degenerate or sliver faces: drop them with mesh.Prepare): %w",
				name, i, v, SpectrumTol, s, ErrSpectrum)
		}
		if math.Abs(v) <= SpectrumTol*s {
			zeros++
		}
	}
	if want := min(components, len(vals)); zeros != want {
		return fmt.Errorf("matching: mesh %s: %d near-zero eigenvalues for %d connected components (likely degenerate faces, a disconnected piece, or the solver missed a mode): %w",
			name, zeros, components, ErrSpectrum)
	}
	return nil
}

// components returns the number of connected components of the graph of
// L's off-diagonal non-zeros.
func components(L *Sparse) int {
	_, n := mesh.ComponentLabels(L.N, func(join func(i, j int)) {
		for i := 0; i < L.N; i++ {
			for p := L.RowPtr[i]; p < L.RowPtr[i+1]; p++ {
				if L.Col[p] != i && L.Val[p] != 0 {
					join(i, L.Col[p])
				}
			}
		}
	})
	return n
}

// LaplaceBeltrami builds the cotangent Laplacian and the lumped mass of m
// (the full FEM mass when full is true) and returns its first k eigenpairs,
// checked by CheckBasis with the connected components of m's faces.
//
// Before assembly the mesh is checked (mesh.Check) and refused, with an
// error wrapping ErrMesh and a *mesh.DefectError that names the mesh
// (o.Name) and the indices, if it has faces that break the operator:
// degenerate ones (zero area, or slivers whose cotangent weights exceed
// 1/mesh.SliverTol; a dense solve then returns eigenvalues like −1.4e14),
// repeated ones (counted twice), indices out of range, or vertices in no
// face (zero mass, so M is singular). LaplaceBeltrami never drops them
// itself, as that would renumber the vertices behind the caller's back:
// prepare the mesh first with mesh.Prepare or mesh.LoadWith, whose Policy
// says whether to drop them (mesh.CleanDefects, with warnings; what
// mesh.Load does) or refuse the file (mesh.RefuseDefects). Non-manifold
// edges and coincident vertices are accepted: the operator is well defined
// on them.
//
// A mesh whose area is outside [½, 2] is solved at unit area — λ scales as
// 1/area and φ as 1/√area — so the solver's tolerances (Lanczos shift
// −0.01, breakdown thresholds) do not depend on the mesh's units; nearer 1
// the mesh is solved as it is, so area-normalised meshes (every
// experiment's, jittered targets included) give the same bits as before
// this rescaling existed.
func LaplaceBeltrami(m *mesh.Mesh, k int, full bool, o EigenOptions) (*Basis, error) {
	name := o.Name
	if name == "" {
		name = "(unnamed mesh)"
	}
	r := m.Check()
	if bad := (mesh.Report{DegenerateFaces: r.DegenerateFaces, RepeatedFaces: r.RepeatedFaces,
		IsolatedVertices: r.IsolatedVertices, OutOfRange: r.OutOfRange}); !bad.OK() {
		de := &mesh.DefectError{File: name, Report: r, Msg: "refused before Laplacian assembly: " + bad.Defects()}
		return nil, fmt.Errorf("matching: %w (drop them with mesh.Prepare or mesh.Load): %w", de, ErrMesh)
	}
	L, err := CotanLaplacian(m)
	if err != nil {
		return nil, fmt.Errorf("matching: mesh %s: %w", name, err)
	}
	M := Diag(LumpedMass(m))
	if full {
		M = FEMMass(m)
	}
	_, comps := m.Components()
	area := m.Area()
	if (area >= 0.5 && area <= 2) || !(area > 0) {
		return eigenChecked(L, M, k, comps, o)
	}
	unit := &Sparse{N: M.N, RowPtr: M.RowPtr, Col: M.Col, Val: make([]float64, len(M.Val))}
	for i, v := range M.Val {
		unit.Val[i] = v / area
	}
	b, err := eigenChecked(L, unit, k, comps, o)
	if err != nil {
		return nil, err
	}
	b.M = M
	for i := range b.Values {
		b.Values[i] /= area
	}
	b.Vectors.Scale(1/math.Sqrt(area), b.Vectors)
	return b, nil
}

// Eigenbasis returns the k smallest generalized eigenpairs of L φ = λ M φ
// for a symmetric positive semi-definite L and symmetric positive-definite
// M, checked by CheckBasis (components from L's graph, area 1ᵀM1): a
// spectrum that fails the check is an error wrapping ErrSpectrum, never a
// result.
//
// Auto solves densely up to DenseLimit vertices; if that spectrum fails the
// check, it solves again by shift-invert Lanczos and returns that one if it
// passes. Dense EigenSym has absolute error ~ε‖M^{-½}LM^{-½}‖, and a thin
// triangle that passes mesh.SliverTol (cotangents up to 1e8) makes the
// norm large enough for the zero eigenvalue to fail the check (CGAL's
// mpi.off with a vertex moved 1e-7 off its zero-area faces), while
// shift-invert resolves the low end of the spectrum to relative accuracy.
// Dense and Lanczos solve with the solver asked for, on any n ≥ k.
func Eigenbasis(L, M *Sparse, k int, o EigenOptions) (*Basis, error) {
	return eigenChecked(L, M, k, components(L), o)
}

func eigenChecked(L, M *Sparse, k, comps int, o EigenOptions) (*Basis, error) {
	if L.N != M.N {
		panic("matching: Eigenbasis: L and M sizes differ")
	}
	name := o.Name
	if name == "" {
		name = "(unnamed mesh)"
	}
	if k <= 0 || k > L.N {
		return nil, fmt.Errorf("matching: mesh %s: Eigenbasis: k=%d for n=%d", name, k, L.N)
	}
	area := 0.0
	for _, v := range M.Val {
		area += v
	}
	solve := func(s Solver) (*Basis, error) {
		var b *Basis
		var err error
		if s == Dense {
			b, err = denseEigen(L, M, k)
		} else {
			b, err = lanczosEigen(L, M, k, o)
		}
		if err != nil {
			return nil, fmt.Errorf("matching: mesh %s: %w", name, err)
		}
		if err := CheckBasis(name, b, comps, area); err != nil {
			return nil, err
		}
		return b, nil
	}
	switch o.Solver {
	case Dense, Lanczos:
		return solve(o.Solver)
	}
	if L.N > DenseLimit {
		return solve(Lanczos)
	}
	b, err := solve(Dense)
	if errors.Is(err, ErrSpectrum) {
		if bz, errz := solve(Lanczos); errz == nil {
			return bz, nil
		}
	}
	return b, err
}

// gram returns ΦᵀMΦ; for a diagonal M as YᵀY with Y = M^{½}Φ, by a
// symmetric rank-k product (half the flops of a general product).
func gram(b *Basis) mat.Matrix {
	if !b.M.IsDiagonal() {
		var g mat.Dense
		g.Mul(b.Vectors.T(), b.M.MulDense(b.Vectors))
		return &g
	}
	n, k := b.Vectors.Dims()
	y := mat.NewDense(n, k, nil)
	for i, m := range b.M.Diagonal() {
		floats.ScaleTo(y.RawRowView(i), math.Sqrt(m), b.Vectors.RawRowView(i))
	}
	g := mat.NewSymDense(k, nil)
	g.SymOuterK(1, y.T())
	return g
}

// OrthoTol bounds max_ij |(ΦᵀMΦ − I)_ij| in CheckBasis.
const OrthoTol = 1e-8

// CheckBasis checks a computed basis: its eigenvalues with CheckSpectrum
// and the M-orthonormality of its vectors, max_ij |(ΦᵀMΦ − I)_ij| ≤ OrthoTol.
// It returns nil or an error wrapping ErrSpectrum that names the mesh.
func CheckBasis(name string, b *Basis, components int, area float64) error {
	if err := CheckSpectrum(name, b.Values, components, area); err != nil {
		return err
	}
	g := gram(b)
	k := b.K()
	worst, wi, wj := 0.0, 0, 0
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			d := g.At(i, j)
			if i == j {
				d--
			}
			if d = math.Abs(d); !(d <= worst) {
				worst, wi, wj = d, i, j
			}
		}
	}
	if worst > OrthoTol || math.IsNaN(worst) {
		return fmt.Errorf("matching: mesh %s: eigenvectors not M-orthonormal: |(ΦᵀMΦ − I)_%d,%d| = %.3g > %g: %w",
			name, wi, wj, worst, OrthoTol, ErrSpectrum)
	}
	return nil
}
