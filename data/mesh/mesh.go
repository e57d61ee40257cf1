// Package mesh holds triangle meshes: readers and writers for OFF, OBJ and
// ASCII PLY, consistency checks and cleaning, area normalisation, procedural
// shapes (spheres, tori, tubes, the "limbed blob" family) and ground-truth
// shape pairs (near-isometric deformations, vertex permutations, remeshing).
//
// Coordinates are float64; faces index vertices from 0.
package mesh

import (
	"math"
	"sort"
)

// Mesh is a triangle mesh: V holds vertex positions, F the vertex indices
// of each triangle, counter-clockwise seen from outside.
type Mesh struct {
	V [][3]float64
	F [][3]int
}

// NumVertices returns len(m.V).
func (m *Mesh) NumVertices() int { return len(m.V) }

// NumFaces returns len(m.F).
func (m *Mesh) NumFaces() int { return len(m.F) }

// Clone returns a deep copy of m.
func (m *Mesh) Clone() *Mesh {
	c := &Mesh{V: make([][3]float64, len(m.V)), F: make([][3]int, len(m.F))}
	copy(c.V, m.V)
	copy(c.F, m.F)
	return c
}

// Sub returns a − b.
func Sub(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

// Add returns a + b.
func Add(a, b [3]float64) [3]float64 { return [3]float64{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }

// Scale returns s·a.
func Scale(s float64, a [3]float64) [3]float64 { return [3]float64{s * a[0], s * a[1], s * a[2]} }

// Dot returns a·b.
func Dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

// Cross returns a×b.
func Cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// Norm returns the Euclidean norm ‖a‖.
func Norm(a [3]float64) float64 { return math.Sqrt(Dot(a, a)) }

// Normalize returns a/‖a‖ (a itself if a = 0).
func Normalize(a [3]float64) [3]float64 {
	n := Norm(a)
	if n == 0 {
		return a
	}
	return Scale(1/n, a)
}

// FaceArea returns the area ½‖(b−a)×(c−a)‖ of face f.
func (m *Mesh) FaceArea(f int) float64 {
	t := m.F[f]
	return 0.5 * Norm(Cross(Sub(m.V[t[1]], m.V[t[0]]), Sub(m.V[t[2]], m.V[t[0]])))
}

// FaceNormal returns the unit normal of face f (zero for a degenerate face).
func (m *Mesh) FaceNormal(f int) [3]float64 {
	t := m.F[f]
	return Normalize(Cross(Sub(m.V[t[1]], m.V[t[0]]), Sub(m.V[t[2]], m.V[t[0]])))
}

// Area returns the total surface area Σ_f area(f).
func (m *Mesh) Area() float64 {
	s := 0.0
	for f := range m.F {
		s += m.FaceArea(f)
	}
	return s
}

// Centroid returns the area-weighted centroid Σ_f area(f)·(a+b+c)/3 / Σ_f area(f).
func (m *Mesh) Centroid() [3]float64 {
	var c [3]float64
	tot := 0.0
	for f, t := range m.F {
		a := m.FaceArea(f)
		for _, v := range t {
			c = Add(c, Scale(a/3, m.V[v]))
		}
		tot += a
	}
	if tot == 0 {
		return c
	}
	return Scale(1/tot, c)
}

// NormalizeArea translates m so that its area-weighted centroid is at the
// origin and scales it by 1/√area so that its area becomes 1, as pyFM and
// DiffuMatch do before matching. It returns the scale factor applied.
func (m *Mesh) NormalizeArea() float64 {
	c := m.Centroid()
	a := m.Area()
	if a == 0 {
		return 1
	}
	s := 1 / math.Sqrt(a)
	for i := range m.V {
		m.V[i] = Scale(s, Sub(m.V[i], c))
	}
	return s
}

// VertexNormals returns area-weighted vertex normals (unit length).
func (m *Mesh) VertexNormals() [][3]float64 {
	n := make([][3]float64, len(m.V))
	for _, t := range m.F {
		fn := Cross(Sub(m.V[t[1]], m.V[t[0]]), Sub(m.V[t[2]], m.V[t[0]]))
		for _, v := range t {
			n[v] = Add(n[v], fn)
		}
	}
	for i := range n {
		n[i] = Normalize(n[i])
	}
	return n
}

// Edge is an undirected edge with I < J.
type Edge struct{ I, J int }

func mkEdge(a, b int) Edge {
	if a > b {
		a, b = b, a
	}
	return Edge{a, b}
}

// Edges returns the unique undirected edges of m, sorted.
func (m *Mesh) Edges() []Edge {
	set := make(map[Edge]struct{}, 3*len(m.F)/2+1)
	for _, t := range m.F {
		for k := 0; k < 3; k++ {
			set[mkEdge(t[k], t[(k+1)%3])] = struct{}{}
		}
	}
	out := make([]Edge, 0, len(set))
	for e := range set {
		out = append(out, e)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].I != out[b].I {
			return out[a].I < out[b].I
		}
		return out[a].J < out[b].J
	})
	return out
}

// Adjacency returns, for each vertex, its sorted neighbours along edges.
func (m *Mesh) Adjacency() [][]int {
	adj := make([][]int, len(m.V))
	for _, e := range m.Edges() {
		adj[e.I] = append(adj[e.I], e.J)
		adj[e.J] = append(adj[e.J], e.I)
	}
	for i := range adj {
		sort.Ints(adj[i])
	}
	return adj
}

// Components labels each vertex with its connected component along the
// edges of the faces (0, 1, … in order of each component's lowest vertex)
// and returns the labels and the number of components. A vertex in no face
// is a component of its own. It panics if a face index is out of range.
func (m *Mesh) Components() (label []int, n int) {
	return ComponentLabels(len(m.V), func(join func(i, j int)) {
		for _, t := range m.F {
			join(t[0], t[1])
			join(t[0], t[2])
		}
	})
}

// ComponentLabels returns the connected components of the graph on n nodes
// whose edges edges passes to join: each node's label (0, 1, … in order of
// each component's lowest node) and the number of components.
func ComponentLabels(n int, edges func(join func(i, j int))) (label []int, count int) {
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	edges(func(i, j int) {
		if a, b := find(i), find(j); a != b {
			parent[max(a, b)] = min(a, b)
		}
	})
	label = make([]int, n)
	for i := range label {
		if r := find(i); r == i {
			label[i] = count
			count++
		} else {
			label[i] = label[r]
		}
	}
	return label, count
}
