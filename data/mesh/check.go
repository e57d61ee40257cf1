package mesh

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Tolerances of Check. With q = 2·area/ℓ² the quality of a face (ℓ its
// longest edge; √3/2 for an equilateral triangle), every angle θ of the face
// has sin θ = 2·area/(ab) ≥ q for its sides a, b ≤ ℓ, so |cot θ| < 1/q: a face
// with q > SliverTol has cotangent Laplacian weights below 1/SliverTol.
const (
	// ZeroAreaTol: a face of area ≤ ZeroAreaTol × the mean face area has
	// zero area at the precision of the coordinates.
	ZeroAreaTol = 1e-12
	// SliverTol: a face of quality q ≤ SliverTol is a sliver: it has an
	// angle within ~q rad of 0 or π, whose cotangent (up to 1/q) swamps the
	// Laplacian. In float64 the assembled operator stops being positive
	// semi-definite near q ≈ 3e-10 (a T-junction on a 162-vertex sphere:
	// the dense solver returns λ₀ ≈ −300 to −4000 and the shift-invert
	// Cholesky factor fails; at q = 0, CGAL's mpi.off, λ₀ ≈ −1.4e14), while
	// from q ≈ 5e-10 up both solvers agree; 1e-8 leaves a margin of 30.
	// Every CGAL mesh without zero-area faces has q ≥ 7e-8.
	SliverTol = 1e-8
)

// Report lists the defects found by Check, as indices into the mesh checked.
// CleanDefects drops exactly the faces and vertices it lists; RefuseDefects
// refuses a mesh with any of them (see OK). DuplicateVertices and
// BoundaryEdges are information, not defects.
type Report struct {
	// DegenerateFaces have a repeated vertex, zero area (ZeroAreaTol) or
	// are slivers (SliverTol).
	DegenerateFaces []int
	// RepeatedFaces have the vertex set of an earlier face (in either
	// orientation): the same triangle counted twice.
	RepeatedFaces []int
	// NonManifoldEdges are shared by more than two of the other faces.
	NonManifoldEdges []Edge
	// NonManifoldFaces are the faces cleaning drops to make every edge
	// manifold: in order, each face with an edge already in two kept faces.
	NonManifoldFaces []int
	// IsolatedVertices belong to no face.
	IsolatedVertices []int
	// OrphanedVertices belong only to faces listed above, so cleaning
	// drops them too.
	OrphanedVertices []int
	// OutOfRange counts face indices outside [0, len(V)) (such faces are
	// dropped too).
	OutOfRange int
	// DuplicateVertices sit at exactly the position of an earlier vertex.
	// They are kept: two faces meeting there are not joined (a cut in the
	// surface, so more boundary and possibly more connected components,
	// each with its own zero Laplace–Beltrami eigenvalue). A face using two
	// copies has a zero-length edge and is degenerate.
	DuplicateVertices []int
	// BoundaryEdges belong to exactly one kept face.
	BoundaryEdges int
	// MinQuality is the smallest quality 2·area/ℓ² of the kept faces (1 if none).
	MinQuality float64
}

// OK reports whether the mesh has none of the defects CleanDefects repairs:
// degenerate, repeated or non-manifold faces, isolated vertices or
// out-of-range indices.
func (r Report) OK() bool {
	return len(r.DegenerateFaces) == 0 && len(r.RepeatedFaces) == 0 && len(r.NonManifoldEdges) == 0 &&
		len(r.IsolatedVertices) == 0 && r.OutOfRange == 0
}

// String summarises the report with counts.
func (r Report) String() string {
	return fmt.Sprintf("%d degenerate faces, %d repeated faces, %d non-manifold edges, %d isolated vertices, %d out-of-range indices, %d duplicate vertices, %d boundary edges",
		len(r.DegenerateFaces), len(r.RepeatedFaces), len(r.NonManifoldEdges), len(r.IsolatedVertices), r.OutOfRange,
		len(r.DuplicateVertices), r.BoundaryEdges)
}

// Defects lists each defect kind present with its indices (at most 8 of
// each), e.g. "2 degenerate faces [74 111]"; "" when OK.
func (r Report) Defects() string {
	var out []string
	add := func(n int, what, list string) {
		if n > 0 {
			out = append(out, fmt.Sprintf("%d %s %s", n, what, list))
		}
	}
	add(len(r.DegenerateFaces), "degenerate (zero-area or sliver) faces", ListInts(r.DegenerateFaces, 8))
	add(len(r.RepeatedFaces), "repeated faces", ListInts(r.RepeatedFaces, 8))
	add(len(r.NonManifoldEdges), "non-manifold edges", listEdges(r.NonManifoldEdges, 8))
	add(len(r.IsolatedVertices), "unreferenced vertices", ListInts(r.IsolatedVertices, 8))
	if r.OutOfRange > 0 {
		out = append(out, fmt.Sprintf("%d out-of-range indices", r.OutOfRange))
	}
	return strings.Join(out, ", ")
}

// Warnings describes what CleanDefects dropped, one line per kind, with
// indices into the mesh as read; nil when nothing was dropped.
func (r Report) Warnings() []string {
	var w []string
	add := func(xs []int, what string) {
		if len(xs) > 0 {
			w = append(w, fmt.Sprintf("dropped %d %s %s", len(xs), what, ListInts(xs, 8)))
		}
	}
	add(r.DegenerateFaces, "degenerate (zero-area or sliver) faces")
	add(r.RepeatedFaces, "repeated faces")
	if len(r.NonManifoldEdges) > 0 {
		w = append(w, fmt.Sprintf("dropped %d faces %s on %d non-manifold edges %s", len(r.NonManifoldFaces),
			ListInts(r.NonManifoldFaces, 8), len(r.NonManifoldEdges), listEdges(r.NonManifoldEdges, 4)))
	}
	if r.OutOfRange > 0 {
		w = append(w, fmt.Sprintf("dropped faces with %d out-of-range indices", r.OutOfRange))
	}
	add(r.IsolatedVertices, "unreferenced vertices")
	add(r.OrphanedVertices, "vertices left without faces")
	return w
}

// ListInts formats up to n values of xs, e.g. "[74 111]" or "[1 2 … (9)]".
func ListInts(xs []int, n int) string {
	if len(xs) <= n {
		return fmt.Sprint(xs)
	}
	return strings.TrimSuffix(fmt.Sprint(xs[:n]), "]") + fmt.Sprintf(" … (%d)]", len(xs))
}

func listEdges(es []Edge, n int) string {
	var b strings.Builder
	b.WriteString("[")
	for i, e := range es {
		if i == n {
			fmt.Fprintf(&b, " … (%d)", len(es))
			break
		}
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d-%d", e.I, e.J)
	}
	return b.String() + "]"
}

// Quality returns 2·area/ℓ² of face f, ℓ its longest edge: √3/2 for an
// equilateral triangle, 0 for a degenerate one; every angle θ of the face
// has |cot θ| < 1/Quality.
func (m *Mesh) Quality(f int) float64 {
	t := m.F[f]
	l2 := 0.0
	for k := 0; k < 3; k++ {
		e := Sub(m.V[t[k]], m.V[t[(k+1)%3]])
		l2 = max(l2, Dot(e, e))
	}
	if l2 == 0 {
		return 0
	}
	return 2 * m.FaceArea(f) / l2
}

// Check inspects m for the defects a Report lists. It sorts instead of
// hashing (about 1 µs per face).
func (m *Mesh) Check() Report {
	r := Report{MinQuality: 1}
	n := len(m.V)
	candidate, used := m.checkFaces(&r)
	m.checkEdges(&r, candidate)
	kept := make([]bool, n)
	for f, ok := range candidate {
		if ok {
			for _, v := range m.F[f] {
				kept[v] = true
			}
			r.MinQuality = math.Min(r.MinQuality, m.Quality(f))
		}
	}
	for v := range m.V {
		switch {
		case !used[v]:
			r.IsolatedVertices = append(r.IsolatedVertices, v)
		case !kept[v]:
			r.OrphanedVertices = append(r.OrphanedVertices, v)
		}
	}
	r.DuplicateVertices = m.duplicateVertices()
	return r
}

// checkFaces fills r's OutOfRange, DegenerateFaces and RepeatedFaces and
// returns the other faces (candidate[f]) and the vertices any face uses.
func (m *Mesh) checkFaces(r *Report) (candidate, used []bool) {
	n := len(m.V)
	valid := make([]bool, len(m.F))
	mean := 0.0
	for f, t := range m.F {
		valid[f] = true
		for _, v := range t {
			if v < 0 || v >= n {
				r.OutOfRange++
				valid[f] = false
			}
		}
		if valid[f] {
			mean += m.FaceArea(f)
		}
	}
	if len(m.F) > 0 {
		mean /= float64(len(m.F))
	}
	used = make([]bool, n)
	type tri struct {
		key [3]int // sorted vertices
		f   int
	}
	var tris []tri
	for f, t := range m.F {
		if !valid[f] {
			continue
		}
		for _, v := range t {
			used[v] = true
		}
		if t[0] == t[1] || t[1] == t[2] || t[0] == t[2] || m.FaceArea(f) <= ZeroAreaTol*mean || m.Quality(f) <= SliverTol {
			r.DegenerateFaces = append(r.DegenerateFaces, f)
			continue
		}
		key := t
		sort.Ints(key[:])
		tris = append(tris, tri{key, f})
	}
	// repeated faces: equal sorted vertex triples, all but the first
	slices.SortFunc(tris, func(a, b tri) int {
		if c := slices.Compare(a.key[:], b.key[:]); c != 0 {
			return c
		}
		return a.f - b.f
	})
	candidate = make([]bool, len(m.F))
	for i, t := range tris {
		if i > 0 && tris[i-1].key == t.key {
			r.RepeatedFaces = append(r.RepeatedFaces, t.f)
		} else {
			candidate[t.f] = true
		}
	}
	sort.Ints(r.RepeatedFaces)
	return candidate, used
}

func edgeKey(a, b int) uint64 {
	e := mkEdge(a, b)
	return uint64(e.I)<<32 | uint64(e.J)
}

// checkEdges fills r's NonManifoldEdges (over the candidate faces),
// NonManifoldFaces (cleared in candidate) and BoundaryEdges (over the
// faces left).
func (m *Mesh) checkEdges(r *Report, candidate []bool) {
	var keys []uint64
	for f, ok := range candidate {
		if ok {
			t := m.F[f]
			keys = append(keys, edgeKey(t[0], t[1]), edgeKey(t[1], t[2]), edgeKey(t[2], t[0]))
		}
	}
	slices.Sort(keys)
	for i := 0; i < len(keys); {
		j := i
		for j < len(keys) && keys[j] == keys[i] {
			j++
		}
		switch {
		case j-i == 1:
			r.BoundaryEdges++
		case j-i > 2:
			r.NonManifoldEdges = append(r.NonManifoldEdges, Edge{int(keys[i] >> 32), int(keys[i] & (1<<32 - 1))})
		}
		i = j
	}
	if len(r.NonManifoldEdges) == 0 {
		return
	}
	// in order, drop each face with an edge already in two kept faces
	r.BoundaryEdges = 0
	kcount := map[uint64]int{}
	for f, ok := range candidate {
		if !ok {
			continue
		}
		t := m.F[f]
		e := [3]uint64{edgeKey(t[0], t[1]), edgeKey(t[1], t[2]), edgeKey(t[2], t[0])}
		if kcount[e[0]] >= 2 || kcount[e[1]] >= 2 || kcount[e[2]] >= 2 {
			r.NonManifoldFaces = append(r.NonManifoldFaces, f)
			candidate[f] = false
			continue
		}
		for _, k := range e {
			kcount[k]++
		}
	}
	for _, c := range kcount {
		if c == 1 {
			r.BoundaryEdges++
		}
	}
}

// duplicateVertices returns, ascending, the vertices at exactly the
// position of a vertex of lower index.
func (m *Mesh) duplicateVertices() []int {
	order := make([]int, len(m.V))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := slices.Compare(m.V[a][:], m.V[b][:]); c != 0 {
			return c
		}
		return a - b
	})
	var dup []int
	for i := 1; i < len(order); i++ {
		if m.V[order[i]] == m.V[order[i-1]] {
			dup = append(dup, order[i])
		}
	}
	sort.Ints(dup)
	return dup
}

// Clean returns a copy of m without the faces and vertices Check reports
// (out-of-range, degenerate, repeated and non-manifold faces, then every
// vertex no remaining face uses). keep[i] is the index in m of the cleaned
// mesh's vertex i.
func (m *Mesh) Clean() (c *Mesh, keep []int) {
	c, keep, _ = m.clean(m.Check())
	return c, keep
}

func (m *Mesh) clean(r Report) (c *Mesh, keep []int, rep Report) {
	n := len(m.V)
	drop := make([]bool, len(m.F))
	for _, fs := range [][]int{r.DegenerateFaces, r.RepeatedFaces, r.NonManifoldFaces} {
		for _, f := range fs {
			drop[f] = true
		}
	}
	var faces [][3]int
	used := make([]bool, n)
	for f, t := range m.F {
		if drop[f] || t[0] < 0 || t[1] < 0 || t[2] < 0 || t[0] >= n || t[1] >= n || t[2] >= n {
			continue
		}
		faces = append(faces, t)
		for _, v := range t {
			used[v] = true
		}
	}
	newIdx := make([]int, n)
	c = &Mesh{}
	for v := 0; v < n; v++ {
		newIdx[v] = -1
		if used[v] {
			newIdx[v] = len(c.V)
			c.V = append(c.V, m.V[v])
			keep = append(keep, v)
		}
	}
	c.F = make([][3]int, len(faces))
	for f, t := range faces {
		c.F[f] = [3]int{newIdx[t[0]], newIdx[t[1]], newIdx[t[2]]}
	}
	return c, keep, r
}

// Policy says what Prepare and LoadWith do with the defects Check finds.
type Policy int

const (
	// CleanDefects drops them (Clean) and reports what it dropped
	// (Report.Warnings): the default, and what Load does.
	CleanDefects Policy = iota
	// RefuseDefects returns a *DefectError naming them instead.
	RefuseDefects
)

// String returns "clean" or "refuse".
func (p Policy) String() string {
	switch p {
	case CleanDefects:
		return "clean"
	case RefuseDefects:
		return "refuse"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// ParsePolicy parses "clean" or "refuse".
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "clean":
		return CleanDefects, nil
	case "refuse":
		return RefuseDefects, nil
	}
	return 0, fmt.Errorf("mesh: defect policy %q: want clean or refuse", s)
}

// ErrDefects is wrapped by every *DefectError.
var ErrDefects = errors.New("mesh has defects")

// DefectError is a mesh refused for its defects (RefuseDefects), or left
// without a usable face by cleaning, naming the file and the defects.
type DefectError struct {
	File   string // the mesh file or name
	Report Report // what Check found
	Msg    string // what was wrong
}

func (e *DefectError) Error() string {
	return fmt.Sprintf("mesh: %s: %s", e.File, e.Msg)
}

// Unwrap returns ErrDefects, so errors.Is(err, ErrDefects) holds.
func (e *DefectError) Unwrap() error { return ErrDefects }

// Prepare checks m (Check) and applies the policy p: with CleanDefects it
// returns the cleaned mesh (m itself when OK) and the report, whose Warnings
// say what was dropped; with RefuseDefects a mesh that is not OK is a
// *DefectError naming name and the defects' indices. A mesh left with fewer
// than 3 vertices or no face is a *DefectError under either policy.
func Prepare(m *Mesh, name string, p Policy) (*Mesh, Report, error) {
	r := m.Check()
	if !r.OK() && p == RefuseDefects {
		return nil, r, &DefectError{File: name, Report: r, Msg: "refused: " + r.Defects()}
	}
	c := m
	if !r.OK() {
		c, _, _ = m.clean(r)
	}
	if len(c.V) < 3 || len(c.F) == 0 {
		return nil, r, &DefectError{File: name, Report: r,
			Msg: fmt.Sprintf("no usable faces (%d vertices, %d faces as read: %s)", len(m.V), len(m.F), r)}
	}
	return c, r, nil
}
