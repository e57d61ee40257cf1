package matching

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
)

// tJunction returns Icosphere(2) with a T-junction closed by a thin face,
// as in CGAL's mpi.off: vertex e sits at the middle of edge ab of face
// (a, b, c), lifted by h·|ab| along the normal; the face (b, a, d) across
// ab is split into (b, e, d) and (e, a, d), and the face (b, a, e) closes
// the surface. That face has quality |h| (0: zero area); its index is
// returned.
func tJunction(h float64) (*mesh.Mesh, int) {
	m := mesh.Icosphere(2)
	a, b := m.F[0][0], m.F[0][1]
	for f, t := range m.F {
		for c := 0; c < 3; c++ {
			if t[c] != b || t[(c+1)%3] != a {
				continue
			}
			d := t[(c+2)%3]
			mid := mesh.Scale(0.5, mesh.Add(m.V[a], m.V[b]))
			e := len(m.V)
			m.V = append(m.V, mesh.Add(mid, mesh.Scale(h*mesh.Norm(mesh.Sub(m.V[a], m.V[b])), mesh.Normalize(mid))))
			m.F[f] = [3]int{b, e, d}
			m.F = append(m.F, [3]int{e, a, d}, [3]int{b, a, e})
			return m, len(m.F) - 1
		}
	}
	panic("no neighbour across edge ab")
}

// TestDegenerateFaceRefusedOrCleaned: a zero-area face, or a sliver of
// quality 1e-9 (below mesh.SliverTol), is refused before assembly naming
// the face; without that check the dense solver returns a wrong spectrum
// (λ₀ ≈ −8e12 for the zero-area face) that CheckBasis and verifyBasis both
// reject; cleaning drops the face (leaving a slit) and the spectrum
// passes; a thin but sound face (quality 1e-6) is kept and both solvers
// agree on it.
func TestDegenerateFaceRefusedOrCleaned(t *testing.T) {
	for _, h := range []float64{0, 1e-9} {
		m, bad := tJunction(h)
		if r := m.Check(); !reflect1(r.DegenerateFaces, bad) {
			t.Fatalf("h=%g: degenerate faces %v, want [%d]", h, r.DegenerateFaces, bad)
		}
		_, err := LaplaceBeltrami(m, 10, false, EigenOptions{Name: "tj.off"})
		var de *mesh.DefectError
		if !errors.Is(err, ErrMesh) || !errors.As(err, &de) || !strings.Contains(err.Error(), "tj.off") ||
			!strings.Contains(err.Error(), fmt.Sprintf("[%d]", bad)) {
			t.Errorf("h=%g: %v, want a refusal naming tj.off and face %d", h, err, bad)
		}
		c, r, err := mesh.Prepare(m, "tj.off", mesh.CleanDefects)
		if err != nil || len(c.F) != len(m.F)-1 || !strings.Contains(strings.Join(r.Warnings(), ";"), fmt.Sprintf("[%d]", bad)) {
			t.Fatalf("h=%g: clean: %v, %d faces, warnings %q", h, err, len(c.F), r.Warnings())
		}
		for _, s := range []Solver{Dense, Lanczos} {
			b, err := LaplaceBeltrami(c, 10, false, EigenOptions{Solver: s})
			if err != nil {
				t.Errorf("h=%g cleaned, solver %d: %v", h, s, err)
			} else if err := verifyBasis(c, b); err != nil {
				t.Errorf("h=%g cleaned, solver %d: %v", h, s, err)
			}
		}
		if _, _, err := mesh.Prepare(m, "tj.off", mesh.RefuseDefects); !errors.As(err, &de) || !strings.Contains(err.Error(), fmt.Sprintf("[%d]", bad)) {
			t.Errorf("h=%g: RefuseDefects: %v", h, err)
		}
		if h != 0 {
			continue
		}
		// what the pre-check prevents: the bare dense solve is wrong
		L, err := CotanLaplacian(m)
		if err != nil {
			t.Fatal(err)
		}
		b, err := denseEigen(L, Diag(LumpedMass(m)), 10)
		if err != nil {
			t.Fatal(err)
		}
		if b.Values[0] > -100 {
			t.Errorf("h=%g: bare dense λ₀ = %.3g, expected a large negative value", h, b.Values[0])
		}
		if err := CheckBasis("tj.off", b, 1, m.Area()); !errors.Is(err, ErrSpectrum) {
			t.Errorf("h=%g: CheckBasis accepted λ = %.3g", h, b.Values[:3])
		}
		if err := verifyBasis(m, b); err == nil {
			t.Errorf("h=%g: verifyBasis accepted λ = %.3g", h, b.Values[:3])
		}
	}
	m, _ := tJunction(1e-6)
	if r := m.Check(); !r.OK() {
		t.Fatalf("quality 1e-6: %s", r)
	}
	bd, err := LaplaceBeltrami(m, 10, false, EigenOptions{Solver: Dense})
	if err != nil {
		t.Fatal(err)
	}
	bz, err := LaplaceBeltrami(m, 10, false, EigenOptions{Solver: Lanczos})
	if err != nil {
		t.Fatal(err)
	}
	for i := range bd.Values {
		if math.Abs(bd.Values[i]-bz.Values[i]) > 1e-8*bd.Values[9] {
			t.Errorf("quality 1e-6: λ_%d dense %.10g, Lanczos %.10g", i, bd.Values[i], bz.Values[i])
		}
	}
	if err := verifyBasis(m, bd); err != nil {
		t.Error(err)
	}
}

func reflect1(xs []int, x int) bool { return len(xs) == 1 && xs[0] == x }

// TestAutoRetriesLanczos: mpi.off with the middle vertices of its two
// zero-area faces moved 1e-7 off the line passes the pre-check (quality
// 2.5e-8), but the dense solver's error then exceeds the zero eigenvalue's
// tolerance: Dense refuses with ErrSpectrum, Auto retries by shift-invert
// Lanczos and returns a basis that verifyBasis accepts.
func TestAutoRetriesLanczos(t *testing.T) {
	files := cgalMeshes(t)
	path := filepath.Join(filepath.Dir(files[0]), "mpi.off")
	m, err := mesh.ReadFile(path)
	if err != nil {
		t.Skip(err)
	}
	m.V[33][0] += 1e-7
	m.V[17][2] += 1e-7
	m.NormalizeArea()
	if r := m.Check(); !r.OK() || r.MinQuality < 1e-8 || r.MinQuality > 1e-7 {
		t.Fatalf("moved mpi.off: %s, min quality %.3g", r, r.MinQuality)
	}
	if _, err := LaplaceBeltrami(m, 10, false, EigenOptions{Solver: Dense, Name: "mpi.off"}); !errors.Is(err, ErrSpectrum) {
		t.Errorf("dense: %v, want ErrSpectrum", err)
	}
	b, err := LaplaceBeltrami(m, 10, false, EigenOptions{Name: "mpi.off"})
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyBasis(m, b); err != nil {
		t.Error(err)
	}
}

// translate returns a copy of m moved by d.
func translate(m *mesh.Mesh, d [3]float64) *mesh.Mesh {
	c := m.Clone()
	for i := range c.V {
		c.V[i] = mesh.Add(c.V[i], d)
	}
	return c
}

// union returns the disjoint union of a and b.
func union(a, b *mesh.Mesh) *mesh.Mesh {
	u := a.Clone()
	n := len(u.V)
	u.V = append(u.V, b.V...)
	for _, t := range b.F {
		u.F = append(u.F, [3]int{t[0] + n, t[1] + n, t[2] + n})
	}
	return u
}

// TestTwoComponentsTwoZeros: two disjoint spheres have exactly two zero
// eigenvalues (the indicator functions), then the l = 1 eigenvalue of each;
// a check told of one component refuses the spectrum.
func TestTwoComponentsTwoZeros(t *testing.T) {
	s := mesh.Icosphere(2)
	u := union(s, translate(mesh.Icosphere(3), [3]float64{5, 0, 0}))
	if _, c := u.Components(); c != 2 {
		t.Fatalf("%d components", c)
	}
	for _, solver := range []Solver{Dense, Lanczos} {
		b, err := LaplaceBeltrami(u, 5, false, EigenOptions{Solver: solver})
		if err != nil {
			t.Fatalf("solver %d: %v", solver, err)
		}
		// on the original scale (area 8π > 2, so solved at unit area)
		if math.Abs(b.Values[0]) > 1e-10 || math.Abs(b.Values[1]) > 1e-10 || math.Abs(b.Values[2]-2) > 0.05 {
			t.Errorf("solver %d: λ = %.4g, want 0, 0, ≈2", solver, b.Values)
		}
		if err := verifyBasis(u, b); err != nil {
			t.Errorf("solver %d: %v", solver, err)
		}
		if err := CheckBasis("two spheres", b, 1, u.Area()); !errors.Is(err, ErrSpectrum) || !strings.Contains(err.Error(), "2 near-zero eigenvalues for 1") {
			t.Errorf("solver %d: check with 1 component: %v", solver, err)
		}
	}
}

// TestSmallMeshLanczos: block Lanczos (block size 8) used to fail on every
// mesh of ≤ 109 vertices — the Krylov basis could not grow past n, and the
// vectors it had did not converge; it now ends with a partial block
// spanning ℝⁿ. On meshes of 12 to 162 vertices and every k from 1 to n it
// converges without the dense solver and agrees with it: eigenvalues to
// 1e-8·λ_k, and, on an asymmetric blob (simple eigenvalues), the vectors.
func TestSmallMeshLanczos(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	blob := mesh.OnSphere(mesh.Icosphere(2), mesh.RandomBlob(rng, true).Apply)
	blob.NormalizeArea()
	ico := mesh.Icosphere(0)
	ico.NormalizeArea()
	sph := mesh.Icosphere(1)
	sph.NormalizeArea()
	for _, c := range []struct {
		name string
		m    *mesh.Mesh
		ks   []int
	}{
		{"icosahedron", ico, []int{1, 2, 5, 8, 12}},
		{"icosphere1", sph, []int{1, 4, 9, 16, 20, 33, 42}},
		{"blob", blob, []int{1, 10, 30, 81, 155, 162}},
	} {
		L, err := CotanLaplacian(c.m)
		if err != nil {
			t.Fatal(err)
		}
		M := Diag(LumpedMass(c.m))
		for _, k := range c.ks {
			bz, err := lanczosEigen(L, M, k, EigenOptions{})
			if err != nil {
				t.Errorf("%s (%d vertices), k=%d: %v", c.name, L.N, k, err)
				continue
			}
			bd, err := denseEigen(L, M, k)
			if err != nil {
				t.Fatal(err)
			}
			for i := range bd.Values {
				if math.Abs(bd.Values[i]-bz.Values[i]) > 1e-8*math.Max(bd.Values[k-1], 1) {
					t.Errorf("%s k=%d: λ_%d dense %.10g, Lanczos %.10g", c.name, k, i, bd.Values[i], bz.Values[i])
				}
			}
			if err := verifyBasis(c.m, bz); err != nil {
				t.Errorf("%s k=%d: %v", c.name, k, err)
			}
			if c.name != "blob" {
				continue
			}
			var g mat.Dense
			g.Mul(bd.Vectors.T(), M.MulDense(bz.Vectors))
			for i := 0; i < k; i++ {
				if v := math.Abs(g.At(i, i)); v < 1-1e-6 {
					t.Errorf("blob k=%d: |<φ_d,φ_z>_M| = %.8f for i=%d", k, v, i)
				}
			}
		}
	}
}

// TestMPIOffWithoutPrecheck reproduces issue 16's report on CGAL's mpi.off
// (two zero-area faces) with the pre-assembly check bypassed: the bare
// dense solve returns λ₀ ≈ −1.4e14 and the shift-invert factor fails; the
// spectrum check (and verifyBasis) refuse that spectrum.
func TestMPIOffWithoutPrecheck(t *testing.T) {
	files := cgalMeshes(t)
	m, err := mesh.ReadFile(filepath.Join(filepath.Dir(files[0]), "mpi.off"))
	if err != nil {
		t.Skip(err)
	}
	m.NormalizeArea()
	L, err := CotanLaplacian(m)
	if err != nil {
		t.Fatal(err)
	}
	M := Diag(LumpedMass(m))
	b, err := denseEigen(L, M, 10)
	if err != nil {
		t.Fatal(err)
	}
	if b.Values[0] > -1e13 {
		t.Errorf("bare dense λ₀ = %.3g, want the reported ≈ −1.4e14", b.Values[0])
	}
	if err := CheckBasis("mpi.off", b, 1, m.Area()); !errors.Is(err, ErrSpectrum) || !strings.Contains(err.Error(), "mpi.off") {
		t.Errorf("CheckBasis: %v", err)
	}
	if err := verifyBasis(m, b); err == nil {
		t.Error("verifyBasis accepted it")
	}
	if _, err := lanczosEigen(L, M, 10, EigenOptions{}); !errors.Is(err, ErrNotPD) {
		t.Errorf("bare Lanczos: %v, want ErrNotPD", err)
	}
	if _, err := Eigenbasis(L, M, 10, EigenOptions{Name: "mpi.off"}); !errors.Is(err, ErrSpectrum) {
		t.Errorf("Eigenbasis: %v, want ErrSpectrum", err)
	}
}
