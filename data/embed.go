package data

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// RandomOrthonormal returns an N×n matrix with orthonormal columns (PᵀP = I),
// the Q factor of an N×n standard Gaussian matrix with the signs of R's
// diagonal fixed positive, i.e. a Haar-distributed frame. It panics unless
// 1 ≤ n ≤ N.
func RandomOrthonormal(N, n int, rng *rand.Rand) *mat.Dense {
	if n < 1 || n > N {
		panic(fmt.Sprintf("data: RandomOrthonormal(%d, %d) needs 1 ≤ n ≤ N", N, n))
	}
	g := mat.NewDense(N, n, nil)
	for i := 0; i < N; i++ {
		for j := 0; j < n; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	p := mat.NewDense(N, n, nil)
	for j := 0; j < n; j++ {
		sgn := 1.0
		if r.At(j, j) < 0 {
			sgn = -1
		}
		for i := 0; i < N; i++ {
			p.Set(i, j, sgn*q.At(i, j))
		}
	}
	return p
}

// LinearEmbedding is the isometric embedding y = P·x of n-dimensional data
// in R^N by a fixed random column-orthogonal P (N×n, PᵀP = I): the data lie
// on an n-dimensional subspace of the ambient space.
type LinearEmbedding struct {
	P *mat.Dense // N×n, orthonormal columns
}

// NewLinearEmbedding draws P = RandomOrthonormal(N, n, rng).
func NewLinearEmbedding(N, n int, rng *rand.Rand) *LinearEmbedding {
	return &LinearEmbedding{P: RandomOrthonormal(N, n, rng)}
}

// Dims returns the ambient and intrinsic dimensions (N, n).
func (e *LinearEmbedding) Dims() (ambient, intrinsic int) { return e.P.Dims() }

// Embed maps rows x (m×n) to rows y = P·x (m×N).
func (e *LinearEmbedding) Embed(x *mat.Dense) *mat.Dense {
	N, n := e.P.Dims()
	m, c := x.Dims()
	if c != n {
		panic(fmt.Sprintf("data: Embed got %d columns, want %d", c, n))
	}
	y := mat.NewDense(m, N, nil)
	y.Mul(x, e.P.T())
	return y
}

// Coords returns the intrinsic coordinates Pᵀ·y of each row (m×n): the
// orthogonal projection onto the data subspace, in its own basis.
func (e *LinearEmbedding) Coords(y *mat.Dense) *mat.Dense {
	N, n := e.P.Dims()
	m, c := y.Dims()
	if c != N {
		panic(fmt.Sprintf("data: Coords got %d columns, want %d", c, N))
	}
	x := mat.NewDense(m, n, nil)
	x.Mul(y, e.P)
	return x
}

// Residual returns, per row, the norm of the component normal to the data
// subspace, ‖(I − PPᵀ)y‖ = √(‖y‖² − ‖Pᵀy‖²) (computed from the projection
// itself, not the difference of squares).
func (e *LinearEmbedding) Residual(y *mat.Dense) []float64 {
	x := e.Coords(y)
	back := e.Embed(x)
	return rowDist(y, back)
}

// CurvedEmbedding is a nonlinear (curved) embedding of the same n-dimensional
// data: a graph over the subspace of P,
//
//	y = P·x + Q·φ(x),   φ_j(x) = A·sin(ω_j·x + b_j),  j = 1…m,
//
// with [P Q] orthonormal (N×(n+m)), ω_j ~ N(0, I_n/ℓ²) and b_j ~ U[0, 2π).
// It is a smooth n-manifold curving into m = min(N−n, MaxCurvedDirs·n) normal
// directions; Pᵀy = x recovers the coordinates exactly. For N = n there is
// no room to curve and it equals the linear embedding.
type CurvedEmbedding struct {
	P, Q  *mat.Dense // N×n and N×m, jointly orthonormal (Q nil if m = 0)
	Omega *mat.Dense // m×n frequencies
	Phase []float64  // m phases
	Amp   float64    // A
}

// MaxCurvedDirs caps the number of curved normal directions per intrinsic
// dimension.
const MaxCurvedDirs = 4

// NewCurvedEmbedding draws a curved embedding with amplitude amp and length
// scale ell (for unit-variance data, amp = 0.5, ell = 1 bends the sheet by
// about its own width).
func NewCurvedEmbedding(N, n int, amp, ell float64, rng *rand.Rand) *CurvedEmbedding {
	m := min(N-n, MaxCurvedDirs*n)
	frame := RandomOrthonormal(N, n+m, rng)
	c := &CurvedEmbedding{P: mat.DenseCopyOf(frame.Slice(0, N, 0, n)), Amp: amp}
	if m == 0 {
		return c
	}
	c.Q = mat.DenseCopyOf(frame.Slice(0, N, n, n+m))
	c.Omega = mat.NewDense(m, n, nil)
	c.Phase = make([]float64, m)
	for j := 0; j < m; j++ {
		for i := 0; i < n; i++ {
			c.Omega.Set(j, i, rng.NormFloat64()/ell)
		}
		c.Phase[j] = 2 * math.Pi * rng.Float64()
	}
	return c
}

// Dims returns (N, n).
func (c *CurvedEmbedding) Dims() (ambient, intrinsic int) { return c.P.Dims() }

// Embed maps rows x (m×n) to y = P·x + Q·φ(x) (m×N).
func (c *CurvedEmbedding) Embed(x *mat.Dense) *mat.Dense {
	N, n := c.P.Dims()
	rows, cols := x.Dims()
	if cols != n {
		panic(fmt.Sprintf("data: Embed got %d columns, want %d", cols, n))
	}
	y := mat.NewDense(rows, N, nil)
	y.Mul(x, c.P.T())
	if c.Q == nil {
		return y
	}
	m, _ := c.Omega.Dims()
	phi := mat.NewDense(rows, m, nil)
	phi.Mul(x, c.Omega.T())
	for i := 0; i < rows; i++ {
		r := phi.RawRowView(i)
		for j := range r {
			r[j] = c.Amp * math.Sin(r[j]+c.Phase[j])
		}
	}
	var qp mat.Dense
	qp.Mul(phi, c.Q.T())
	y.Add(y, &qp)
	return y
}

// Coords returns Pᵀ·y, the intrinsic coordinates (exact on the manifold).
func (c *CurvedEmbedding) Coords(y *mat.Dense) *mat.Dense {
	N, n := c.P.Dims()
	rows, cols := y.Dims()
	if cols != N {
		panic(fmt.Sprintf("data: Coords got %d columns, want %d", cols, N))
	}
	x := mat.NewDense(rows, n, nil)
	x.Mul(y, c.P)
	return x
}

// Residual returns, per row, ‖y − Embed(Coords(y))‖: the distance to the
// manifold point with the same coordinates (an upper bound on the distance
// to the manifold, equal to it on the manifold and for small curvature).
func (c *CurvedEmbedding) Residual(y *mat.Dense) []float64 {
	return rowDist(y, c.Embed(c.Coords(y)))
}

// IntrinsicMixture is a mixture of isotropic Gaussians in R^n with equal
// weights: the n-dimensional data for n ≠ 2 (and an alternative to the 2-D
// toys).
type IntrinsicMixture struct {
	Centers *mat.Dense // modes×n
	Std     float64    // per-coordinate standard deviation of each mode
}

// NewIntrinsicMixture places modes centres at N(0, I_n) draws rescaled so
// that the mixture has unit variance per coordinate on average:
// centre spread² + Std² = 1 (Std must be < 1).
func NewIntrinsicMixture(n, modes int, std float64, rng *rand.Rand) *IntrinsicMixture {
	if n < 1 || modes < 1 || !(std >= 0 && std < 1) {
		panic(fmt.Sprintf("data: NewIntrinsicMixture(%d, %d, %g)", n, modes, std))
	}
	c := mat.NewDense(modes, n, nil)
	for i := 0; i < modes; i++ {
		for j := 0; j < n; j++ {
			c.Set(i, j, rng.NormFloat64())
		}
	}
	// Centre and scale the centres to variance 1 − std² per coordinate.
	mean := make([]float64, n)
	for i := 0; i < modes; i++ {
		for j := 0; j < n; j++ {
			mean[j] += c.At(i, j) / float64(modes)
		}
	}
	v := 0.0
	for i := 0; i < modes; i++ {
		for j := 0; j < n; j++ {
			d := c.At(i, j) - mean[j]
			c.Set(i, j, d)
			v += d * d
		}
	}
	v /= float64(modes * n)
	if v > 0 {
		c.Scale(math.Sqrt((1-std*std)/v), c)
	}
	return &IntrinsicMixture{Centers: c, Std: std}
}

// Sample draws count points (count×n).
func (g *IntrinsicMixture) Sample(count int, rng *rand.Rand) *mat.Dense {
	modes, n := g.Centers.Dims()
	x := mat.NewDense(count, n, nil)
	for i := 0; i < count; i++ {
		c := g.Centers.RawRowView(rng.IntN(modes))
		r := x.RawRowView(i)
		for j := range r {
			r[j] = c[j] + g.Std*rng.NormFloat64()
		}
	}
	return x
}

// rowDist returns ‖a_i − b_i‖ for each row.
func rowDist(a, b *mat.Dense) []float64 {
	r, _ := a.Dims()
	out := make([]float64, r)
	for i := 0; i < r; i++ {
		ar, br := a.RawRowView(i), b.RawRowView(i)
		d := 0.0
		for j := range ar {
			t := ar[j] - br[j]
			d += t * t
		}
		out[i] = math.Sqrt(d)
	}
	return out
}
