package mesh

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// defectMesh is Icosphere(1) (42 vertices, 80 faces) plus one defect of
// each kind, at known indices.
func defectMesh(delta float64) (m *Mesh, sliver, repeated, isolated, dup int) {
	m = Icosphere(1)
	n := len(m.V)
	f0 := m.F[3]
	repeated = len(m.F)
	m.F = append(m.F, [3]int{f0[0], f0[2], f0[1]}) // face 3 again, reversed
	// a separate needle: apex at distance delta from the middle of a unit base
	m.V = append(m.V, [3]float64{3, 0, 0}, [3]float64{4, 0, 0}, [3]float64{3.5, delta, 0})
	sliver = len(m.F)
	m.F = append(m.F, [3]int{n, n + 1, n + 2})
	isolated, dup = n+3, n+3
	m.V = append(m.V, m.V[0]) // unreferenced copy of vertex 0
	return m, sliver, repeated, isolated, dup
}

// TestCheckKinds: each defect kind is reported at its index, cleaning drops
// exactly those (the sliver's vertices with it), keeps the sphere intact,
// and Warnings names every index.
func TestCheckKinds(t *testing.T) {
	m, sliver, repeated, isolated, dup := defectMesh(1e-11)
	n := len(m.V) - 4
	r := m.Check()
	want := Report{
		DegenerateFaces:   []int{sliver},
		RepeatedFaces:     []int{repeated},
		IsolatedVertices:  []int{isolated},
		OrphanedVertices:  []int{n, n + 1, n + 2},
		DuplicateVertices: []int{dup},
		MinQuality:        r.MinQuality,
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("report\n%+v\nwant\n%+v", r, want)
	}
	if r.OK() {
		t.Error("report OK with defects")
	}
	c, keep := m.Clean()
	ico := Icosphere(1)
	if !reflect.DeepEqual(c.F, ico.F) || !reflect.DeepEqual(c.V, ico.V) || len(keep) != len(ico.V) {
		t.Errorf("cleaned mesh: %d vertices, %d faces; want the icosphere's %d, %d", len(c.V), len(c.F), len(ico.V), len(ico.F))
	}
	if r2 := c.Check(); !r2.OK() || r2.BoundaryEdges != 0 || len(r2.DuplicateVertices) != 0 {
		t.Errorf("cleaned mesh: %s", r2)
	}
	w := strings.Join(r.Warnings(), "; ")
	for _, s := range []string{
		fmt.Sprintf("1 degenerate (zero-area or sliver) faces [%d]", sliver),
		fmt.Sprintf("1 repeated faces [%d]", repeated),
		fmt.Sprintf("1 unreferenced vertices [%d]", isolated),
		fmt.Sprintf("3 vertices left without faces [%d %d %d]", n, n+1, n+2),
	} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings %q lack %q", w, s)
		}
	}
	// the same needle, thick enough, is kept
	m, _, _, _, _ = defectMesh(1e-3)
	if r := m.Check(); len(r.DegenerateFaces) != 0 || math.Abs(r.MinQuality-1e-3) > 1e-12 {
		t.Errorf("needle of quality 1e-3: %v degenerate, min quality %g", r.DegenerateFaces, r.MinQuality)
	}
}

// TestQualityBoundsCotangents: |cot θ| < 1/Quality for every angle, so a
// face that passes SliverTol has bounded cotangent weights; an equilateral
// face has quality √3/2.
func TestQualityBoundsCotangents(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	m := &Mesh{F: [][3]int{{0, 1, 2}}}
	for it := 0; it < 2000; it++ {
		m.V = nil
		scale := math.Pow(10, -12*rng.Float64())
		for i := 0; i < 3; i++ {
			m.V = append(m.V, [3]float64{rng.NormFloat64(), rng.NormFloat64(), scale * rng.NormFloat64()})
		}
		q := m.Quality(0)
		for c := 0; c < 3; c++ {
			a := Sub(m.V[c], m.V[(c+2)%3])
			b := Sub(m.V[(c+1)%3], m.V[(c+2)%3])
			if cot := math.Abs(Dot(a, b)) / Norm(Cross(a, b)); cot*q >= 1 {
				t.Fatalf("quality %g but |cot| %g", q, cot)
			}
		}
	}
	eq := &Mesh{V: [][3]float64{{0, 0, 0}, {1, 0, 0}, {0.5, math.Sqrt(3) / 2, 0}}, F: [][3]int{{0, 1, 2}}}
	if q := eq.Quality(0); math.Abs(q-math.Sqrt(3)/2) > 1e-15 {
		t.Errorf("equilateral quality %g", q)
	}
}

// TestPreparePolicy: RefuseDefects refuses a defective file with a
// *DefectError naming the file and the indices; CleanDefects drops them;
// a mesh without defects passes both unchanged.
func TestPreparePolicy(t *testing.T) {
	m, sliver, repeated, isolated, _ := defectMesh(0)
	path := filepath.Join(t.TempDir(), "bad.off")
	if err := WriteFile(path, m); err != nil {
		t.Fatal(err)
	}
	_, r, err := LoadWith(path, RefuseDefects)
	var de *DefectError
	if !errors.As(err, &de) || !errors.Is(err, ErrDefects) || de.File != path || len(r.DegenerateFaces) != 1 {
		t.Fatalf("refuse: %v, want a *DefectError for %s", err, path)
	}
	for _, s := range []string{path, fmt.Sprintf("[%d]", sliver), fmt.Sprintf("[%d]", repeated), fmt.Sprintf("[%d]", isolated)} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("refusal %q does not name %q", err, s)
		}
	}
	c, r, err := LoadWith(path, CleanDefects)
	if err != nil || len(c.V) != 42 || len(c.F) != 80 || len(r.Warnings()) != 4 {
		t.Errorf("clean: %v, %d vertices, %d faces, warnings %q", err, len(c.V), len(c.F), r.Warnings())
	}
	good := Icosphere(1)
	for _, p := range []Policy{CleanDefects, RefuseDefects} {
		g, r, err := Prepare(good, "good", p)
		if err != nil || g != good || r.Warnings() != nil {
			t.Errorf("%v on a clean mesh: %v, warnings %q", p, err, r.Warnings())
		}
		if q, err := ParsePolicy(p.String()); err != nil || q != p {
			t.Errorf("ParsePolicy(%q) = %v, %v", p, q, err)
		}
	}
	if _, err := ParsePolicy("drop"); err == nil {
		t.Error(`ParsePolicy("drop") accepted`)
	}
	// nothing usable left: a *DefectError under either policy
	flat := &Mesh{V: [][3]float64{{0, 0, 0}, {1, 0, 0}, {2, 0, 0}}, F: [][3]int{{0, 1, 2}}}
	for _, p := range []Policy{CleanDefects, RefuseDefects} {
		if _, _, err := Prepare(flat, "flat.off", p); !errors.As(err, &de) || !strings.Contains(err.Error(), "flat.off") {
			t.Errorf("%v, collinear triangle: %v", p, err)
		}
	}
}
