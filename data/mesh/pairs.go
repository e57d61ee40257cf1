package mesh

import (
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Pair is a source and a target mesh with the true correspondence:
// GT[y] is the source vertex matching target vertex y (the 2→1 direction
// of pyFM's p2p₂₁).
type Pair struct {
	Src, Tgt *Mesh
	GT       []int
}

// Permute returns a copy of m with its vertices shuffled by a uniform random
// permutation and the faces re-indexed: vertex i of the copy is vertex
// perm[i] of m.
func Permute(m *Mesh, rng *rand.Rand) (p *Mesh, perm []int) {
	n := len(m.V)
	perm = rng.Perm(n)
	inv := make([]int, n)
	for i, j := range perm {
		inv[j] = i
	}
	p = &Mesh{V: make([][3]float64, n), F: make([][3]int, len(m.F))}
	for i, j := range perm {
		p.V[i] = m.V[j]
	}
	for f, t := range m.F {
		p.F[f] = [3]int{inv[t[0]], inv[t[1]], inv[t[2]]}
	}
	return p, perm
}

// Jitter adds independent N(0, (σ·√area)²) noise to every coordinate of m in
// place, where area is the surface area of m.
func Jitter(m *Mesh, sigma float64, rng *rand.Rand) {
	s := sigma * math.Sqrt(m.Area())
	for i := range m.V {
		for k := 0; k < 3; k++ {
			m.V[i][k] += s * rng.NormFloat64()
		}
	}
}

// PrincipalAxes returns the centroid of the vertices and the unit principal
// axes of their covariance, largest variance first.
func PrincipalAxes(m *Mesh) (c [3]float64, axes [3][3]float64) {
	n := float64(len(m.V))
	for _, p := range m.V {
		c = Add(c, Scale(1/n, p))
	}
	cov := mat.NewSymDense(3, nil)
	for _, p := range m.V {
		d := Sub(p, c)
		for i := 0; i < 3; i++ {
			for j := i; j < 3; j++ {
				cov.SetSym(i, j, cov.At(i, j)+d[i]*d[j]/n)
			}
		}
	}
	var es mat.EigenSym
	es.Factorize(cov, true)
	var ev mat.Dense
	es.VectorsTo(&ev)
	for a := 0; a < 3; a++ { // eigenvalues ascend: reverse
		for k := 0; k < 3; k++ {
			axes[a][k] = ev.At(k, 2-a)
		}
	}
	return c, axes
}

// Deformation is a smooth near-isometric deformation for any mesh, set in
// the frame of its principal axes e₁ (longest), e₂, e₃ and the extent ℓ of
// the vertices along e₁:
//
//   - a bend of the whole shape about e₂ with curvature Bend/ℓ (the axis
//     line of the shape keeps its length);
//   - an articulation: the part beyond the plane e₁·(x − c) = t, with t the
//     JointQuantile quantile of e₁ coordinates, is rotated by JointAngle
//     about the axis through the joint centre along e₃, the angle blended by
//     σ((e₁·(x − c) − t)/(Blend·ℓ)).
type Deformation struct {
	Bend          float64 // dimensionless curvature × extent, 0 for none
	JointAngle    float64 // radians
	JointQuantile float64 // in (0, 1); 0.75 rotates the last quarter
	Blend         float64 // blending width as a fraction of the extent
}

// RandomDeformation draws Bend ∈ ±maxBend, JointAngle ∈ ±maxAngle,
// JointQuantile ∈ [0.6, 0.85] (mirrored to the other end half the time) and
// Blend = 0.05.
func RandomDeformation(rng *rand.Rand, maxBend, maxAngle float64) Deformation {
	q := 0.6 + 0.25*rng.Float64()
	if rng.IntN(2) == 0 {
		q = 1 - q
	}
	return Deformation{
		Bend:          maxBend * (2*rng.Float64() - 1),
		JointAngle:    maxAngle * (2*rng.Float64() - 1),
		JointQuantile: q,
		Blend:         0.05,
	}
}

// Apply returns a deformed copy of m with the same connectivity (so the true
// correspondence is the identity).
func (d Deformation) Apply(m *Mesh) *Mesh {
	c, ax := PrincipalAxes(m)
	n := len(m.V)
	loc := make([][3]float64, n)
	xs := make([]float64, n)
	for i, p := range m.V {
		q := Sub(p, c)
		loc[i] = [3]float64{Dot(q, ax[0]), Dot(q, ax[1]), Dot(q, ax[2])}
		xs[i] = loc[i][0]
	}
	sort.Float64s(xs)
	ext := xs[n-1] - xs[0]
	if ext == 0 {
		return m.Clone()
	}
	if d.JointAngle != 0 {
		qi := int(d.JointQuantile * float64(n-1))
		qi = max(0, min(n-1, qi))
		t := xs[qi]
		// joint centre: mean of the vertices near the plane
		var jc [3]float64
		cnt := 0.0
		for _, p := range loc {
			if math.Abs(p[0]-t) < 0.02*ext {
				jc = Add(jc, p)
				cnt++
			}
		}
		if cnt > 0 {
			jc = Scale(1/cnt, jc)
		} else {
			jc = [3]float64{t, 0, 0}
		}
		side := 1.0
		if d.JointQuantile < 0.5 {
			side = -1
		}
		for i, p := range loc {
			s := 1 / (1 + math.Exp(-side*(p[0]-t)/(d.Blend*ext)))
			loc[i] = Add(jc, Rotate(Sub(p, jc), [3]float64{0, 0, 1}, s*d.JointAngle))
		}
	}
	if d.Bend != 0 {
		R := ext / d.Bend
		for i, p := range loc {
			th := p[0] / R
			loc[i] = [3]float64{(R - p[2]) * math.Sin(th), p[1], R - (R-p[2])*math.Cos(th)}
		}
	}
	out := m.Clone()
	for i, p := range loc {
		out.V[i] = Add(c, Add(Add(Scale(p[0], ax[0]), Scale(p[1], ax[1])), Scale(p[2], ax[2])))
	}
	return out
}

// NearestOnSphere returns, for each unit vector in q, the index of the
// nearest unit vector in ref (largest dot product): the ground truth between
// two tessellations of the same sphere parameterisation.
func NearestOnSphere(ref, q [][3]float64) []int {
	out := make([]int, len(q))
	for i, u := range q {
		best, bi := math.Inf(-1), 0
		for j, v := range ref {
			if d := Dot(u, v); d > best {
				best, bi = d, j
			}
		}
		out[i] = bi
	}
	return out
}

// BlobPairOptions configures BlobPair.
type BlobPairOptions struct {
	SrcLevel   int     // icosphere level of the source (3 → 642 vertices)
	TgtCube    int     // cube-sphere resolution of the target (0: same icosphere as the source)
	MaxAngle   float64 // articulation range (radians) of the target pose
	MaxBend    float64 // bend curvature range of the target pose
	Asym       bool    // add the symmetry-breaking tail
	Permute    bool    // shuffle the target's vertices
	Noise      float64 // target vertex jitter, fraction of √area
	SrcPose    bool    // also articulate the source
	NormalArea bool    // normalise both meshes to unit area
}

// BlobPair draws a limbed blob and returns it (source, on an icosphere) with
// a re-posed copy (target, on a cube-sphere when TgtCube > 0, else on the
// same icosphere), with GT from the shared sphere parameterisation and the
// optional permutation.
func BlobPair(rng *rand.Rand, o BlobPairOptions) Pair {
	b := RandomBlob(rng, o.Asym)
	bs := b
	if o.SrcPose {
		bs = b.Articulated(rng, o.MaxAngle, o.MaxBend)
	}
	bt := b.Articulated(rng, o.MaxAngle, o.MaxBend)
	ss := Icosphere(o.SrcLevel)
	ts := ss
	if o.TgtCube > 0 {
		ts = CubeSphere(o.TgtCube)
	}
	src := OnSphere(ss, bs.Apply)
	tgt := OnSphere(ts, bt.Apply)
	var gt []int
	if o.TgtCube > 0 {
		gt = NearestOnSphere(ss.V, ts.V)
	} else {
		gt = make([]int, len(ts.V))
		for i := range gt {
			gt[i] = i
		}
	}
	if o.Permute {
		var perm []int
		tgt, perm = Permute(tgt, rng)
		g2 := make([]int, len(gt))
		for i, j := range perm {
			g2[i] = gt[j]
		}
		gt = g2
	}
	if o.NormalArea {
		src.NormalizeArea()
		tgt.NormalizeArea()
	}
	if o.Noise > 0 {
		Jitter(tgt, o.Noise, rng)
	}
	return Pair{Src: src, Tgt: tgt, GT: gt}
}

// DeformPair returns the pair (m, deformed and optionally permuted and
// jittered copy of m) with its true correspondence; both are normalised to
// unit area when normalArea is set.
func DeformPair(m *Mesh, d Deformation, permute bool, noise float64, normalArea bool, rng *rand.Rand) Pair {
	src := m.Clone()
	tgt := d.Apply(m)
	gt := make([]int, len(m.V))
	for i := range gt {
		gt[i] = i
	}
	if permute {
		var perm []int
		tgt, perm = Permute(tgt, rng)
		gt = perm
	}
	if normalArea {
		src.NormalizeArea()
		tgt.NormalizeArea()
	}
	if noise > 0 {
		Jitter(tgt, noise, rng)
	}
	return Pair{Src: src, Tgt: tgt, GT: gt}
}

// MirrorMap finds the extrinsic bilateral symmetry of m: for each of the
// three planes through the vertex centroid orthogonal to a principal axis,
// it reflects every vertex and takes the nearest vertex of m. It returns the
// map of the plane with the smallest mean reflection residual (mean distance
// from reflected vertex to its nearest vertex, divided by √area); a residual
// of a few 1e-3 means the shape is mirror-symmetric and sym is its symmetry.
func MirrorMap(m *Mesh) (sym []int, residual float64) {
	c, ax := PrincipalAxes(m)
	s := 1 / math.Sqrt(m.Area())
	residual = math.Inf(1)
	for a := 0; a < 3; a++ {
		cand := make([]int, len(m.V))
		tot := 0.0
		for i, p := range m.V {
			d := Dot(Sub(p, c), ax[a])
			r := Sub(p, Scale(2*d, ax[a]))
			best, bi := math.Inf(1), 0
			for j, q := range m.V {
				e := Sub(q, r)
				if v := Dot(e, e); v < best {
					best, bi = v, j
				}
			}
			cand[i] = bi
			tot += math.Sqrt(best)
		}
		if res := tot / float64(len(m.V)) * s; res < residual {
			residual, sym = res, cand
		}
	}
	return sym, residual
}

// FlipEdges returns a re-tessellated copy of m with the same vertices:
// interior edges, visited in random order, are flipped (the two triangles
// (a,b,c), (b,a,d) become (a,d,c), (d,b,c)) with probability frac when the
// two faces are nearly coplanar (normals within maxAngle radians), the flip
// keeps both new faces facing the same way as the old pair and creates no
// duplicate edge. Each face takes part in at most one flip. Because the
// vertices are untouched the identity stays the exact correspondence while
// the connectivity differs; the surface moves by at most the small fold
// allowed by maxAngle. It returns the copy and the number of flips.
func FlipEdges(m *Mesh, frac, maxAngle float64, rng *rand.Rand) (*Mesh, int) {
	out := m.Clone()
	type half struct{ f, opp int }
	faces := map[Edge][]half{}
	for f, t := range m.F {
		for c := 0; c < 3; c++ {
			e := mkEdge(t[c], t[(c+1)%3])
			faces[e] = append(faces[e], half{f, t[(c+2)%3]})
		}
	}
	edges := m.Edges()
	exists := make(map[Edge]bool, len(edges))
	for _, e := range edges {
		exists[e] = true
	}
	used := make([]bool, len(m.F))
	cosMax := math.Cos(maxAngle)
	flips := 0
	for _, i := range rng.Perm(len(edges)) {
		e := edges[i]
		h := faces[e]
		if len(h) != 2 || used[h[0].f] || used[h[1].f] || rng.Float64() >= frac {
			continue
		}
		// orient: face h[0] runs a→b→c
		t := m.F[h[0].f]
		var a, b int
		for c := 0; c < 3; c++ {
			if t[(c+2)%3] == h[0].opp {
				a, b = t[c], t[(c+1)%3]
			}
		}
		c, d := h[0].opp, h[1].opp
		if c == d || exists[mkEdge(c, d)] {
			continue
		}
		n1, n2 := m.FaceNormal(h[0].f), m.FaceNormal(h[1].f)
		if Dot(n1, n2) < cosMax {
			continue
		}
		nOld := Add(n1, n2)
		t1, t2 := [3]int{a, d, c}, [3]int{d, b, c}
		ok := true
		for _, nt := range [][3]int{t1, t2} {
			n := Cross(Sub(m.V[nt[1]], m.V[nt[0]]), Sub(m.V[nt[2]], m.V[nt[0]]))
			if Dot(n, nOld) <= 0 {
				ok = false
			}
		}
		if !ok {
			continue
		}
		out.F[h[0].f], out.F[h[1].f] = t1, t2
		used[h[0].f], used[h[1].f] = true, true
		exists[mkEdge(c, d)] = true
		flips++
	}
	return out, flips
}
