// Package prior is DiffuMatch's spectral diffusion prior for zero-shot shape
// matching at small scale: a training set of ground-truth functional maps
// stored as |C| images, priors over |C| behind diffusion.Denoiser (the exact
// empirical denoiser, a closed-form Gaussian one and a trained network), the
// mask distilled from a denoiser that replaces the Laplacian-commutativity
// weights in the row-wise map solve, and the per-pair refinement of C with a
// ZoomOut "proper" target and a sign-aware score-distillation term.
//
// Conventions follow package matching: C₁₂ is k2×k1 and maps coefficients of
// shape 1 (source) to shape 2 (target); p2p₂₁ maps target vertices to source
// vertices. An image is the row-major flattening of |C| (length k²).
package prior

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
	"genlab/matching"
)

// MapSetConfig configures BuildMapSet: Bodies limbed blobs (even-numbered
// bodies carry the symmetry-breaking tail, odd ones are exactly
// mirror-symmetric), each in Poses near-isometric poses on one icosphere,
// and optionally CGAL meshes in CGALPoses smooth near-isometric
// deformations. Every ordered pair of poses of the same body gives one
// ground-truth map (both directions), C = Φ_sᵀ M_s Φ_t[gt], gt the identity.
type MapSetConfig struct {
	K         int     // map size kept (the largest k any prior will use)
	Bodies    int     // blob bodies
	Poses     int     // poses per body (≥ 2)
	Level     int     // icosphere level of the blob meshes (3 → 642 vertices)
	MaxAngle  float64 // limb articulation range (radians)
	MaxBend   float64 // body bend range
	CGAL      []*mesh.Mesh
	CGALPoses int     // deformations per CGAL mesh (≥ 2 to give maps)
	DefBend   float64 // CGAL bend range
	DefAngle  float64 // CGAL joint angle range (radians)
	Seed      uint64  // body b draws from PCG(Seed, b); CGAL mesh i from PCG(Seed, 1e6+i)
}

// MapSet is a set of signed ground-truth functional maps (each K×K).
type MapSet struct {
	K    int
	Maps []*mat.Dense
}

// BuildMapSet computes the ground-truth maps of cfg, bodies in parallel on
// GOMAXPROCS goroutines; the result does not depend on the number of
// goroutines. ctx is checked between shapes.
func BuildMapSet(ctx context.Context, cfg MapSetConfig) (*MapSet, error) {
	if cfg.K < 1 || cfg.Poses < 2 && cfg.Bodies > 0 {
		return nil, fmt.Errorf("prior: BuildMapSet: k = %d, poses = %d", cfg.K, cfg.Poses)
	}
	type job struct {
		idx    int
		shapes func(rng *rand.Rand) []*mesh.Mesh
	}
	var jobs []job
	for b := 0; b < cfg.Bodies; b++ {
		jobs = append(jobs, job{b, func(rng *rand.Rand) []*mesh.Mesh {
			body := mesh.RandomBlob(rng, b%2 == 0)
			sphere := mesh.Icosphere(cfg.Level)
			out := make([]*mesh.Mesh, cfg.Poses)
			for p := range out {
				out[p] = mesh.OnSphere(sphere, body.Articulated(rng, cfg.MaxAngle, cfg.MaxBend).Apply)
				out[p].NormalizeArea()
			}
			return out
		}})
	}
	for i, m := range cfg.CGAL {
		jobs = append(jobs, job{1_000_000 + i, func(rng *rand.Rand) []*mesh.Mesh {
			out := make([]*mesh.Mesh, cfg.CGALPoses)
			for p := range out {
				out[p] = mesh.RandomDeformation(rng, cfg.DefBend, cfg.DefAngle).Apply(m)
				out[p].NormalizeArea()
			}
			return out
		}})
	}
	maps := make([][]*mat.Dense, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	w := runtime.GOMAXPROCS(0)
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for j := g; j < len(jobs); j += w {
				if ctx.Err() != nil {
					errs[j] = ctx.Err()
					return
				}
				rng := rand.New(rand.NewPCG(cfg.Seed, uint64(jobs[j].idx)))
				shapes := jobs[j].shapes(rng)
				maps[j], errs[j] = poseMaps(shapes, cfg.K)
			}
		}(g)
	}
	wg.Wait()
	set := &MapSet{K: cfg.K}
	for j := range jobs {
		if errs[j] != nil {
			return nil, fmt.Errorf("prior: training shape group %d: %w", jobs[j].idx, errs[j])
		}
		set.Maps = append(set.Maps, maps[j]...)
	}
	return set, nil
}

// poseMaps returns C_ab = Φ_bᵀ M_b Φ_a (maps from pose a to pose b) for
// every ordered pair a ≠ b of meshes sharing one connectivity.
func poseMaps(shapes []*mesh.Mesh, k int) ([]*mat.Dense, error) {
	bases := make([]*matching.Basis, len(shapes))
	for i, m := range shapes {
		b, err := matching.LaplaceBeltrami(m, k, false, matching.EigenOptions{Rng: rand.New(rand.NewPCG(1, 1))})
		if err != nil {
			return nil, err
		}
		bases[i] = b
	}
	id := make([]int, bases[0].N())
	for i := range id {
		id[i] = i
	}
	var out []*mat.Dense
	for a := range bases {
		for b := range bases {
			if a != b {
				out = append(out, matching.FMapFromP2P(id, bases[a], bases[b], k, k))
			}
		}
	}
	return out, nil
}

// Images returns the maps cropped to k×k as rows of |C| (len(Maps)×k²).
// It panics if k > s.K.
func (s *MapSet) Images(k int) *mat.Dense {
	if k > s.K {
		panic(fmt.Sprintf("prior: Images(%d) of a set of %d×%d maps", k, s.K, s.K))
	}
	out := mat.NewDense(len(s.Maps), k*k, nil)
	for r, c := range s.Maps {
		AbsImage(out.RawRowView(r), c, k)
	}
	return out
}

// AbsImage writes the row-major image of |C[:k,:k]| into dst (length k²).
func AbsImage(dst []float64, c mat.Matrix, k int) {
	if len(dst) != k*k {
		panic(fmt.Sprintf("prior: AbsImage: dst has %d entries, want %d", len(dst), k*k))
	}
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			dst[i*k+j] = math.Abs(c.At(i, j))
		}
	}
}

// MeanImage returns the entrywise mean of the rows of images.
func MeanImage(images *mat.Dense) []float64 {
	n, d := images.Dims()
	m := make([]float64, d)
	for i := 0; i < n; i++ {
		for j, v := range images.RawRowView(i) {
			m[j] += v / float64(n)
		}
	}
	return m
}

// RMS returns √(mean of x²) over all entries: the σ_data of the EDM
// preconditioning for data that are not centred.
func RMS(x *mat.Dense) float64 {
	s := 0.0
	d := x.RawMatrix().Data
	for _, v := range d {
		s += v * v
	}
	return math.Sqrt(s / float64(len(d)))
}

// ShiftBlob returns a limbed blob from the category-shift family: limbs = 3
// keeps only the hind leg pair and the head of mesh.RandomBlob; limbs = 6
// adds a middle leg pair (mirror-symmetric, like the others). Other values
// panic.
func ShiftBlob(rng *rand.Rand, limbs int, asym bool) mesh.Blob {
	b := mesh.RandomBlob(rng, asym)
	// RandomBlob's limbs: front pair (0, 1), hind pair (2, 3), head (4)
	switch limbs {
	case 3:
		b.Dirs, b.H, b.W = b.Dirs[2:], b.H[2:], b.W[2:]
	case 6:
		d := mesh.Normalize([3]float64{0.05, 0.55 + 0.15*rng.Float64(), -0.7})
		h, w := 0.7+0.4*rng.Float64(), 0.22+0.06*rng.Float64()
		b.Dirs = append(b.Dirs, d, [3]float64{d[0], -d[1], d[2]})
		b.H = append(b.H, h, h)
		b.W = append(b.W, w, w)
	default:
		panic(fmt.Sprintf("prior: ShiftBlob with %d limbs (want 3 or 6)", limbs))
	}
	b.Alpha = make([]float64, len(b.Dirs))
	return b
}

// BodyPair returns a pair built like mesh.BlobPair from the given body: the
// source is one pose on an icosphere of level srcLevel, the target another
// pose on a cube-sphere of resolution tgtCube (the same icosphere when 0),
// vertices permuted, both of unit area; GT[y] is the source vertex whose
// sphere point is nearest to target vertex y's.
func BodyPair(rng *rand.Rand, body mesh.Blob, srcLevel, tgtCube int, maxAngle, maxBend float64) mesh.Pair {
	bs := body.Articulated(rng, maxAngle, maxBend)
	bt := body.Articulated(rng, maxAngle, maxBend)
	ss := mesh.Icosphere(srcLevel)
	ts := ss
	if tgtCube > 0 {
		ts = mesh.CubeSphere(tgtCube)
	}
	src := mesh.OnSphere(ss, bs.Apply)
	tgt := mesh.OnSphere(ts, bt.Apply)
	gt := mesh.NearestOnSphere(ss.V, ts.V)
	tgt, perm := mesh.Permute(tgt, rng)
	g2 := make([]int, len(gt))
	for i, j := range perm {
		g2[i] = gt[j]
	}
	src.NormalizeArea()
	tgt.NormalizeArea()
	return mesh.Pair{Src: src, Tgt: tgt, GT: g2}
}
