package mesh

import (
	"math"
	"math/rand/v2"
)

// Icosphere returns the unit sphere tessellated by subdividing an
// icosahedron level times, each edge midpoint pushed onto the sphere:
// 10·4^level + 2 vertices (level 3 → 642).
func Icosphere(level int) *Mesh {
	t := (1 + math.Sqrt(5)) / 2
	m := &Mesh{V: [][3]float64{
		{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0},
		{0, -1, t}, {0, 1, t}, {0, -1, -t}, {0, 1, -t},
		{t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1},
	}, F: [][3]int{
		{0, 11, 5}, {0, 5, 1}, {0, 1, 7}, {0, 7, 10}, {0, 10, 11},
		{1, 5, 9}, {5, 11, 4}, {11, 10, 2}, {10, 7, 6}, {7, 1, 8},
		{3, 9, 4}, {3, 4, 2}, {3, 2, 6}, {3, 6, 8}, {3, 8, 9},
		{4, 9, 5}, {2, 4, 11}, {6, 2, 10}, {8, 6, 7}, {9, 8, 1},
	}}
	for i := range m.V {
		m.V[i] = Normalize(m.V[i])
	}
	for l := 0; l < level; l++ {
		mid := map[Edge]int{}
		get := func(a, b int) int {
			e := mkEdge(a, b)
			if v, ok := mid[e]; ok {
				return v
			}
			m.V = append(m.V, Normalize(Scale(0.5, Add(m.V[a], m.V[b]))))
			mid[e] = len(m.V) - 1
			return len(m.V) - 1
		}
		nf := make([][3]int, 0, 4*len(m.F))
		for _, f := range m.F {
			a, b, c := get(f[0], f[1]), get(f[1], f[2]), get(f[2], f[0])
			nf = append(nf, [3]int{f[0], a, c}, [3]int{f[1], b, a}, [3]int{f[2], c, b}, [3]int{a, b, c})
		}
		m.F = nf
	}
	orientOutward(m)
	return m
}

// CubeSphere returns the unit sphere tessellated as a cube with an s×s grid
// on each face, projected radially with the equal-angle warp
// x = tan(π/4·(2i/s − 1)), each quad split along a diagonal:
// 6s² + 2 vertices.
func CubeSphere(s int) *Mesh {
	if s < 1 {
		panic("mesh: CubeSphere needs s ≥ 1")
	}
	m := &Mesh{}
	idx := map[[3]int]int{}
	vert := func(p [3]int) int {
		if v, ok := idx[p]; ok {
			return v
		}
		var x [3]float64
		for k := 0; k < 3; k++ {
			x[k] = math.Tan(math.Pi / 4 * (2*float64(p[k])/float64(s) - 1))
		}
		m.V = append(m.V, Normalize(x))
		idx[p] = len(m.V) - 1
		return len(m.V) - 1
	}
	for axis := 0; axis < 3; axis++ {
		for _, side := range []int{0, s} {
			a1, a2 := (axis+1)%3, (axis+2)%3
			for i := 0; i < s; i++ {
				for j := 0; j < s; j++ {
					var q [4][3]int
					for c, d := range [4][2]int{{0, 0}, {1, 0}, {1, 1}, {0, 1}} {
						q[c][axis] = side
						q[c][a1] = i + d[0]
						q[c][a2] = j + d[1]
					}
					v := [4]int{vert(q[0]), vert(q[1]), vert(q[2]), vert(q[3])}
					// alternate the diagonal to avoid a global shear
					if (i+j)%2 == 0 {
						m.F = append(m.F, [3]int{v[0], v[1], v[2]}, [3]int{v[0], v[2], v[3]})
					} else {
						m.F = append(m.F, [3]int{v[0], v[1], v[3]}, [3]int{v[1], v[2], v[3]})
					}
				}
			}
		}
	}
	orientOutward(m)
	return m
}

// orientOutward flips faces of a star-shaped closed mesh around the origin
// so that their normals point away from it.
func orientOutward(m *Mesh) {
	for f, t := range m.F {
		c := Add(Add(m.V[t[0]], m.V[t[1]]), m.V[t[2]])
		n := Cross(Sub(m.V[t[1]], m.V[t[0]]), Sub(m.V[t[2]], m.V[t[0]]))
		if Dot(n, c) < 0 {
			m.F[f] = [3]int{t[0], t[2], t[1]}
		}
	}
}

// Torus returns the torus ((R + r cos v) cos u, (R + r cos v) sin u, r sin v)
// sampled on an nu×nv periodic grid (nu·nv vertices, 2·nu·nv faces).
func Torus(R, r float64, nu, nv int) *Mesh {
	m := &Mesh{}
	for i := 0; i < nu; i++ {
		u := 2 * math.Pi * float64(i) / float64(nu)
		for j := 0; j < nv; j++ {
			v := 2 * math.Pi * float64(j) / float64(nv)
			m.V = append(m.V, [3]float64{(R + r*math.Cos(v)) * math.Cos(u), (R + r*math.Cos(v)) * math.Sin(u), r * math.Sin(v)})
		}
	}
	id := func(i, j int) int { return (i%nu)*nv + j%nv }
	for i := 0; i < nu; i++ {
		for j := 0; j < nv; j++ {
			a, b, c, d := id(i, j), id(i+1, j), id(i+1, j+1), id(i, j+1)
			m.F = append(m.F, [3]int{a, b, c}, [3]int{a, c, d})
		}
	}
	return m
}

// Tube returns a closed capsule-like tube: a cylinder of the given radius
// along the x axis from −length/2 to length/2 with nAround vertices per ring
// and nAlong+1 rings, closed by hemispherical caps of nCap rings each and a
// pole vertex. The surface has genus 0.
func Tube(radius, length float64, nAround, nAlong, nCap int) *Mesh {
	m := &Mesh{}
	var rings [][]int
	ring := func(x, rad float64) {
		r := make([]int, nAround)
		for k := 0; k < nAround; k++ {
			a := 2 * math.Pi * float64(k) / float64(nAround)
			m.V = append(m.V, [3]float64{x, rad * math.Cos(a), rad * math.Sin(a)})
			r[k] = len(m.V) - 1
		}
		rings = append(rings, r)
	}
	for c := nCap; c >= 1; c-- { // left cap rings
		th := math.Pi / 2 * float64(c) / float64(nCap+1)
		ring(-length/2-radius*math.Sin(th), radius*math.Cos(th))
	}
	for i := 0; i <= nAlong; i++ {
		ring(-length/2+length*float64(i)/float64(nAlong), radius)
	}
	for c := 1; c <= nCap; c++ {
		th := math.Pi / 2 * float64(c) / float64(nCap+1)
		ring(length/2+radius*math.Sin(th), radius*math.Cos(th))
	}
	for i := 0; i+1 < len(rings); i++ {
		for k := 0; k < nAround; k++ {
			a, b := rings[i][k], rings[i][(k+1)%nAround]
			c, d := rings[i+1][(k+1)%nAround], rings[i+1][k]
			m.F = append(m.F, [3]int{a, b, c}, [3]int{a, c, d})
		}
	}
	m.V = append(m.V, [3]float64{-length/2 - radius, 0, 0})
	pl := len(m.V) - 1
	m.V = append(m.V, [3]float64{length/2 + radius, 0, 0})
	pr := len(m.V) - 1
	first, last := rings[0], rings[len(rings)-1]
	for k := 0; k < nAround; k++ {
		m.F = append(m.F, [3]int{pl, first[(k+1)%nAround], first[k]})
		m.F = append(m.F, [3]int{pr, last[k], last[(k+1)%nAround]})
	}
	// orient outward relative to the axis
	for f, t := range m.F {
		c := Scale(1.0/3, Add(Add(m.V[t[0]], m.V[t[1]]), m.V[t[2]]))
		ax := [3]float64{math.Max(-length/2, math.Min(length/2, c[0])), 0, 0}
		n := Cross(Sub(m.V[t[1]], m.V[t[0]]), Sub(m.V[t[2]], m.V[t[0]]))
		if Dot(n, Sub(c, ax)) < 0 {
			m.F[f] = [3]int{t[0], t[2], t[1]}
		}
	}
	return m
}

// Blob is one member of the parametric "limbed blob" family: a map
// f_θ: S² → R³ applied to a sphere tessellation. For u ∈ S²,
//
//  1. r(u) = 1 + Σ_k h_k·exp(−(1 − u·d_k)/w_k²) + tail bump (same form);
//  2. x = diag(A, B, C)·r(u)u (anisotropic, so eigenvalues are not degenerate);
//  3. each limb k is rotated by Alpha[k] about its base joint p_k = diag(A,B,C)d_k,
//     axis ⟂ d_k in the x–z plane, blended by s_k(u) = σ((u·d_k − c_k)/τ_k)
//     with c_k = 1 − 1.2w_k², τ_k = 0.25w_k² (the rotation angle is s_k·Alpha[k]);
//  4. a body bend of curvature Bend about the y axis.
//
// Limbs come in mirror pairs across the x–z plane (y → −y); the tail
// (TailH > 0) breaks the left/right symmetry when it is placed off-plane.
type Blob struct {
	Dirs    [][3]float64 // unit limb directions d_k
	H, W    []float64    // limb heights h_k and widths w_k
	A, B, C float64      // ellipsoid semi-axes
	Alpha   []float64    // articulation angles (radians), one per limb
	Bend    float64      // body bend curvature (1/length), 0 for none
	TailDir [3]float64   // unit direction of the symmetry-breaking bump
	TailH   float64      // its height (0: symmetric shape)
	TailW   float64      // its width
}

// RandomBlob draws a blob with 5 limbs (two mirror pairs of legs and a head
// on the symmetry plane), semi-axes A ∈ [1.6, 2], B ∈ [0.8, 1], C ∈ [0.5, 0.7],
// zero articulation and bend. asym adds an off-plane tail bump.
func RandomBlob(rng *rand.Rand, asym bool) Blob {
	u := func(a, b float64) float64 { return a + (b-a)*rng.Float64() }
	b := Blob{A: u(1.6, 2.0), B: u(0.8, 1.0), C: u(0.5, 0.7)}
	add := func(d [3]float64, h, w float64) {
		b.Dirs = append(b.Dirs, Normalize(d))
		b.H = append(b.H, h)
		b.W = append(b.W, w)
	}
	for _, front := range []float64{1, -1} {
		d := [3]float64{front * u(0.45, 0.7), u(0.45, 0.7), -u(0.5, 0.8)}
		h, w := u(0.7, 1.2), u(0.22, 0.3)
		add(d, h, w)
		add([3]float64{d[0], -d[1], d[2]}, h, w)
	}
	add([3]float64{1, 0, u(0.1, 0.5)}, u(0.4, 0.7), u(0.3, 0.4))
	b.Alpha = make([]float64, len(b.Dirs))
	if asym {
		b.TailDir = Normalize([3]float64{-1, u(0.3, 0.6), u(0.2, 0.5)})
		b.TailH, b.TailW = u(0.3, 0.45), 0.25
	}
	return b
}

// Articulated returns a copy of b with new articulation angles drawn
// uniformly in ±maxAngle and a bend curvature uniform in ±maxBend: a
// near-isometric pose of the same body.
func (b Blob) Articulated(rng *rand.Rand, maxAngle, maxBend float64) Blob {
	c := b
	c.Alpha = make([]float64, len(b.Dirs))
	for k := range c.Alpha {
		c.Alpha[k] = maxAngle * (2*rng.Float64() - 1)
	}
	c.Bend = maxBend * (2*rng.Float64() - 1)
	return c
}

// Apply returns f_θ(u) for a unit vector u.
func (b Blob) Apply(u [3]float64) [3]float64 {
	r := 1.0
	for k, d := range b.Dirs {
		r += b.H[k] * math.Exp(-(1-Dot(u, d))/(b.W[k]*b.W[k]))
	}
	if b.TailH > 0 {
		r += b.TailH * math.Exp(-(1-Dot(u, b.TailDir))/(b.TailW*b.TailW))
	}
	ax := [3]float64{b.A, b.B, b.C}
	x := [3]float64{ax[0] * r * u[0], ax[1] * r * u[1], ax[2] * r * u[2]}
	for k, d := range b.Dirs {
		if k >= len(b.Alpha) || b.Alpha[k] == 0 {
			continue
		}
		w2 := b.W[k] * b.W[k]
		s := 1 / (1 + math.Exp(-(Dot(u, d)-(1-1.2*w2))/(0.25*w2)))
		p := [3]float64{ax[0] * d[0], ax[1] * d[1], ax[2] * d[2]}
		axis := Cross(Normalize(p), [3]float64{0, 1, 0})
		if Norm(axis) < 1e-6 {
			axis = [3]float64{1, 0, 0}
		}
		x = Add(p, Rotate(Sub(x, p), Normalize(axis), s*b.Alpha[k]))
	}
	if b.Bend != 0 {
		R := 1 / b.Bend
		th := x[0] / R
		x = [3]float64{(R - x[2]) * math.Sin(th), x[1], R - (R-x[2])*math.Cos(th)}
	}
	return x
}

// Rotate returns v rotated by angle θ about the unit axis k (Rodrigues):
// v cos θ + (k×v) sin θ + k(k·v)(1 − cos θ).
func Rotate(v, k [3]float64, th float64) [3]float64 {
	c, s := math.Cos(th), math.Sin(th)
	return Add(Add(Scale(c, v), Scale(s, Cross(k, v))), Scale(Dot(k, v)*(1-c), k))
}

// OnSphere returns a mesh with the connectivity of sphere (a unit-sphere
// tessellation) and vertices f(u) for each of its vertices u.
func OnSphere(sphere *Mesh, f func([3]float64) [3]float64) *Mesh {
	m := sphere.Clone()
	for i, u := range sphere.V {
		m.V[i] = f(u)
	}
	return m
}
