package matching

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/floats"
	lapackgo "gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// projected returns the m×m projected operator H (row-major, both
// triangles) from its columns, averaging the two computed triangles:
// H_rc and H_cr are the coefficients of the same product ⟨q_r, T q_c⟩_M
// taken from two different orthogonalisations.
func projected(hcols [][]float64, m int) []float64 {
	h := make([]float64, m*m)
	for c := 0; c < m; c++ {
		for r := 0; r <= c; r++ {
			v := hcols[c][r]
			if c < len(hcols[r]) {
				v = 0.5 * (v + hcols[r][c])
			}
			h[r*m+c], h[c*m+r] = v, v
		}
	}
	return h
}

// ritzPairs computes the k largest eigenvalues θ_i of the m×m symmetric
// projected operator h (destroyed), descending, and for each the scaled
// residual of the Ritz pair (θ_i, Q s_i),
//
//	r_i = √(‖H s_i − θ_i s_i‖² + ‖B s_i,last‖²) / (tol·|θ_i|),
//
// where s_i,last is the block of rows m0…m0+p−1 of s_i and B (p×p upper
// triangular, row-major) the residual factor of the last block: with Q
// M-orthonormal and the next block M-orthogonal to it, the two terms are
// the parts of T·Qs − θ·Qs inside and outside span Q. It returns the θ_i,
// max_i r_i, and, when that is ≤ 1 or vectors is set, the m×k matrix of
// the s_i (nil otherwise).
//
// H = Q_t T Q_tᵀ is reduced to tridiagonal T by Householder reflectors
// (⁴⁄₃m³ flops); the eigenvalues of T come from the QL iteration without
// vectors, each wanted eigenvector z_i of T from three steps of inverse
// iteration on T − θ_i I (O(m) each), orthogonalised against the previous
// z_j at every step (so eigenvalues that agree to rounding, as copies of a
// multiple one do, get orthonormal vectors), and s_i = Q_t z_i by applying
// the reflectors (2m²k flops) — a sixth of the work of the full
// eigendecomposition (≈ 9m³) that the caller would otherwise need at every
// check. Only the p rows m0… of Q_t are formed before the test.
func ritzPairs(h []float64, m, m0, p int, B []float64, k int, tol float64, vectors bool) (theta []float64, worst float64, S *mat.Dense, err error) {
	var lp lapackgo.Implementation
	d := make([]float64, m)
	e := make([]float64, max(m-1, 1))
	tau := make([]float64, max(m-1, 1))
	work := make([]float64, 1)
	lp.Dsytrd(blas.Lower, m, h, m, d, e, tau, work, -1)
	work = make([]float64, int(work[0]))
	lp.Dsytrd(blas.Lower, m, h, m, d, e, tau, work, len(work))
	// reflect applies H_i = I − τ_i v vᵀ (v[:i+1] = 0, v[i+1] = 1,
	// v[i+2:] = h[i+2:, i]) to x.
	reflect := func(x []float64, i int) {
		if tau[i] == 0 {
			return
		}
		s := x[i+1]
		for j := i + 2; j < m; j++ {
			s += x[j] * h[j*m+i]
		}
		s *= tau[i]
		x[i+1] -= s
		for j := i + 2; j < m; j++ {
			x[j] -= s * h[j*m+i]
		}
	}
	// rows m0…m0+p−1 of Q_t = H_0 H_1 ⋯ H_{m−2}: e_rᵀ H_0 ⋯ H_{m−2}
	qb := make([]float64, p*m)
	for r := 0; r < p; r++ {
		x := qb[r*m : (r+1)*m]
		x[m0+r] = 1
		for i := 0; i < m-1; i++ {
			reflect(x, i)
		}
	}
	all := append([]float64(nil), d...)
	ee := append([]float64(nil), e...)
	if ok := lp.Dsterf(m, all, ee); !ok {
		return nil, 0, nil, fmt.Errorf("matching: Lanczos projected eigenproblem (%d×%d): %w", m, m, ErrNoConvergence)
	}
	norm := math.Max(math.Abs(all[0]), math.Abs(all[m-1]))
	k = min(k, m)
	theta = make([]float64, k)
	z := make([]float64, k*m) // z_i in row i
	y := make([]float64, p)
	tz := make([]float64, m)
	tg := newTridiagLU(m)
	for i := 0; i < k; i++ {
		th := all[m-1-i]
		theta[i] = th
		zi := z[i*m : (i+1)*m]
		tg.eigenvector(zi, d, e, th, norm, i, z[:i*m])
		// ‖T z − θ z‖
		for j := 0; j < m; j++ {
			v := (d[j] - th) * zi[j]
			if j > 0 {
				v += e[j-1] * zi[j-1]
			}
			if j < m-1 {
				v += e[j] * zi[j+1]
			}
			tz[j] = v
		}
		in := floats.Dot(tz, tz)
		for r := 0; r < p; r++ {
			y[r] = floats.Dot(qb[r*m:(r+1)*m], zi)
		}
		out := 0.0
		for r := 0; r < p; r++ {
			s := 0.0
			for c := r; c < p; c++ {
				s += B[r*p+c] * y[c]
			}
			out += s * s
		}
		worst = math.Max(worst, math.Sqrt(in+out)/(tol*math.Abs(th)))
	}
	if worst > 1 && !vectors {
		return theta, worst, nil, nil
	}
	// s_i = Q_t z_i = H_0 (H_1 (⋯ H_{m−2} z_i))
	S = mat.NewDense(m, k, nil)
	for i := 0; i < k; i++ {
		zi := z[i*m : (i+1)*m]
		for j := m - 2; j >= 0; j-- {
			reflect(zi, j)
		}
		for r, v := range zi {
			S.Set(r, i, v)
		}
	}
	return theta, worst, S, nil
}

// tridiagLU holds the LU factors with partial pivoting of a symmetric
// tridiagonal matrix minus a shift: L has unit diagonal and one
// subdiagonal (dl), U the diagonal dd and two superdiagonals (du, du2);
// piv[i] records whether rows i and i+1 were swapped.
type tridiagLU struct {
	dl, dd, du, du2 []float64
	piv             []bool
}

func newTridiagLU(m int) *tridiagLU {
	return &tridiagLU{dl: make([]float64, m), dd: make([]float64, m), du: make([]float64, m),
		du2: make([]float64, m), piv: make([]bool, m)}
}

// eigenvector sets z to a unit eigenvector of the symmetric tridiagonal
// matrix T (diagonal d, off-diagonal e) for its eigenvalue th, by three
// steps of inverse iteration z ← (T − th·I)⁻¹z from a start that depends
// on seed, each followed by Gram–Schmidt against the unit vectors held in
// prev (consecutive length-m rows). A zero pivot (th exact to rounding) is
// replaced by ε·norm, the usual perturbation that keeps the solve finite;
// the solution is then dominated by the eigenvector, which is what inverse
// iteration wants.
func (t *tridiagLU) eigenvector(z, d, e []float64, th, norm float64, seed int, prev []float64) {
	m := len(z)
	if m == 1 {
		z[0] = 1
		return
	}
	tiny := 1e-16 * math.Max(norm, 1e-300)
	for i := 0; i < m; i++ {
		t.dd[i] = d[i] - th
		t.du2[i] = 0
		t.piv[i] = false
		if i < m-1 {
			t.dl[i], t.du[i] = e[i], e[i]
		}
	}
	for i := 0; i < m-1; i++ {
		if math.Abs(t.dd[i]) >= math.Abs(t.dl[i]) {
			if t.dd[i] == 0 {
				t.dd[i] = tiny
			}
			f := t.dl[i] / t.dd[i]
			t.dl[i] = f
			t.dd[i+1] -= f * t.du[i]
			continue
		}
		// swap rows i and i+1, then eliminate
		f := t.dd[i] / t.dl[i]
		t.dd[i] = t.dl[i]
		t.dl[i] = f
		u := t.du[i]
		t.du[i] = t.dd[i+1]
		t.dd[i+1] = u - f*t.dd[i+1]
		if i < m-2 {
			t.du2[i] = t.du[i+1]
			t.du[i+1] = -f * t.du[i+1]
		}
		t.piv[i] = true
	}
	if t.dd[m-1] == 0 {
		t.dd[m-1] = tiny
	}
	for i := range z { // a fixed pseudo-random start, different for each seed
		z[i] = math.Sin(float64(i+1)*(0.7+0.37*float64(seed)) + float64(seed))
	}
	for it := 0; it < 3; it++ {
		for i := 0; i < m-1; i++ { // L
			if t.piv[i] {
				z[i], z[i+1] = z[i+1], z[i]-t.dl[i]*z[i+1]
			} else {
				z[i+1] -= t.dl[i] * z[i]
			}
		}
		z[m-1] /= t.dd[m-1] // U
		z[m-2] = (z[m-2] - t.du[m-2]*z[m-1]) / t.dd[m-2]
		for i := m - 3; i >= 0; i-- {
			z[i] = (z[i] - t.du[i]*z[i+1] - t.du2[i]*z[i+2]) / t.dd[i]
		}
		// rescale before Gram–Schmidt: the solve may have grown z by 1/ε
		if s := floats.Norm(z, 2); s > 0 && !math.IsInf(s, 0) {
			floats.Scale(1/s, z)
		}
		for j := 0; j+m <= len(prev); j += m {
			floats.AddScaled(z, -floats.Dot(z, prev[j:j+m]), prev[j:j+m])
		}
		s := floats.Norm(z, 2)
		if !(s > 0) || math.IsInf(s, 0) {
			floats.Scale(0, z)
			return
		}
		floats.Scale(1/s, z)
	}
}
