package matching

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/floats"
	lapackgo "gonum.org/v1/gonum/lapack/gonum"
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

// ritzEstimate bounds the convergence of the k largest Ritz pairs of the
// m×m projected operator h (destroyed) cheaply, without its eigenvectors:
// it returns max_i ‖B s_i‖/(tol·|θ_i|) over the k largest Ritz values θ_i,
// where s_i is the eigenvector and B (p×p upper triangular, row-major) the
// residual factor of the last block (rows m0…m0+p−1). A value ≤ 1 means
// every wanted pair has converged.
//
// H = Q_t T Q_tᵀ is reduced to tridiagonal T (Householder, ⁴⁄₃m³ flops, a
// sixth of a full eigendecomposition); the eigenvalues of T come from the
// QL iteration without vectors, each wanted eigenvector z_i of T from two
// steps of inverse iteration on T − θ_i I (O(m) each), and the last block
// of s_i = Q_t z_i from the p rows of Q_t built from the reflectors
// (O(p·m²)). Inverse iteration inside a cluster of equal θ returns one
// vector of the cluster's eigenspace, whose residual does not exceed the
// cluster's largest one, so the estimate can err only towards "converged",
// and the caller confirms that with the full eigendecomposition.
func ritzEstimate(h []float64, m, m0, p int, B []float64, k int, tol float64) float64 {
	d := make([]float64, m)
	e := make([]float64, max(m-1, 1))
	tau := make([]float64, max(m-1, 1))
	work := make([]float64, 1)
	lapackgo.Implementation{}.Dsytrd(blas.Lower, m, h, m, d, e, tau, work, -1)
	work = make([]float64, int(work[0]))
	lapackgo.Implementation{}.Dsytrd(blas.Lower, m, h, m, d, e, tau, work, len(work))
	// rows m0…m0+p−1 of Q_t = H_0 H_1 ⋯ H_{m−2}, H_i = I − τ_i v vᵀ,
	// v[:i+1] = 0, v[i+1] = 1, v[i+2:] = h[i+2:, i]
	qb := make([]float64, p*m)
	for r := 0; r < p; r++ {
		x := qb[r*m : (r+1)*m]
		x[m0+r] = 1
		for i := 0; i < m-1; i++ {
			if tau[i] == 0 {
				continue
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
	}
	theta := append([]float64(nil), d...)
	ee := append([]float64(nil), e...)
	var lp lapackgo.Implementation
	if ok := lp.Dsterf(m, theta, ee); !ok {
		return math.Inf(1)
	}
	norm := math.Max(math.Abs(theta[0]), math.Abs(theta[m-1]))
	z := make([]float64, m)
	y := make([]float64, p)
	tg := newTridiagLU(m)
	worst := 0.0
	for i := 0; i < k && i < m; i++ {
		th := theta[m-1-i]
		tg.eigenvector(z, d, e, th, norm)
		for r := 0; r < p; r++ {
			y[r] = floats.Dot(qb[r*m:(r+1)*m], z)
		}
		res := 0.0
		for r := 0; r < p; r++ {
			s := 0.0
			for c := r; c < p; c++ {
				s += B[r*p+c] * y[c]
			}
			res += s * s
		}
		worst = math.Max(worst, math.Sqrt(res)/(tol*math.Abs(th)))
	}
	return worst
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
// matrix T (diagonal d, off-diagonal e) for its eigenvalue th, by two
// steps of inverse iteration: z ← (T − th·I)⁻¹z from a fixed start. A zero
// pivot (th exact to rounding) is replaced by ε·norm, the usual
// perturbation that keeps the solve finite; the solution is then dominated
// by the eigenvector, which is what inverse iteration wants.
func (t *tridiagLU) eigenvector(z, d, e []float64, th, norm float64) {
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
	for i := range z {
		z[i] = 1 + 0.5*math.Sin(float64(3*i+1)) // not orthogonal to any eigenvector in practice
	}
	for it := 0; it < 2; it++ {
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
		s := floats.Norm(z, 2)
		if !(s > 0) || math.IsInf(s, 0) {
			floats.Scale(0, z)
			return
		}
		floats.Scale(1/s, z)
	}
}
