package matching

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// ErrNoConvergence is returned when an eigensolver fails.
var ErrNoConvergence = errors.New("matching: eigensolver did not converge")

// Basis holds the first k generalized eigenpairs L φ = λ M φ of a shape,
// λ ascending, Φᵀ M Φ = I (M-orthonormal, not Euclidean-orthonormal).
type Basis struct {
	Values  []float64  // λ_0 ≤ λ_1 ≤ … (λ_0 ≈ 0)
	Vectors *mat.Dense // n×k, column i is φ_i
	M       *Sparse    // the mass matrix used (diagonal when lumped)
}

// K returns the number of eigenpairs.
func (b *Basis) K() int { return len(b.Values) }

// N returns the number of vertices.
func (b *Basis) N() int { r, _ := b.Vectors.Dims(); return r }

// Truncated returns a view of the first k eigenpairs. It panics if k > b.K().
func (b *Basis) Truncated(k int) *Basis {
	if k > b.K() {
		panic(fmt.Sprintf("matching: Truncated(%d) of a basis with %d eigenpairs", k, b.K()))
	}
	return &Basis{Values: b.Values[:k], Vectors: b.Vectors.Slice(0, b.N(), 0, k).(*mat.Dense), M: b.M}
}

// Project returns the spectral coefficients Φᵀ M F (k×p) of the n×p functions F.
func (b *Basis) Project(f mat.Matrix) *mat.Dense {
	mf := b.M.MulDense(f)
	var out mat.Dense
	out.Mul(b.Vectors.T(), mf)
	return &out
}

// Solver chooses the eigensolver.
type Solver int

const (
	// Auto uses Dense up to DenseLimit vertices and Lanczos beyond.
	Auto Solver = iota
	// Dense solves the full problem with gonum's EigenSym: O(n³).
	Dense
	// Lanczos runs shift-invert Lanczos with a sparse Cholesky factor.
	Lanczos
)

// DenseLimit is the vertex count up to which Auto picks the dense solver
// (gonum EigenSym takes about 5 s at 642 vertices, Lanczos under 1 s).
const DenseLimit = 300

// EigenOptions configures Eigenbasis. The zero value is usable.
type EigenOptions struct {
	Solver Solver
	// Shift σ for shift-invert Lanczos (default −0.01, as pyFM; L − σM must be
	// positive definite, so σ < 0 for a closed mesh's singular L).
	Shift float64
	// Tol is the Ritz residual tolerance relative to the Ritz value (default 1e-10).
	Tol float64
	// Rng draws the Lanczos start vector (default: a PCG seeded with 1, 1).
	Rng *rand.Rand
	// Name labels errors (the mesh file or shape); optional.
	Name string
}

// denseEigen reduces L φ = λ M φ to the standard problem S ψ = λ ψ with
// S = G⁻¹ L G⁻ᵀ, M = G Gᵀ (G = M^{½} for diagonal M), and φ = G⁻ᵀ ψ.
func denseEigen(L, M *Sparse, k int) (*Basis, error) {
	n := L.N
	S := L.Dense()
	var back func(psi *mat.Dense) *mat.Dense
	if M.IsDiagonal() {
		d := M.Diagonal()
		is := make([]float64, n)
		for i, v := range d {
			if !(v > 0) {
				return nil, fmt.Errorf("matching: mass %d is %g: %w", i, v, ErrNotPD)
			}
			is[i] = 1 / math.Sqrt(v)
		}
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				S.SetSym(i, j, S.At(i, j)*is[i]*is[j])
			}
		}
		back = func(psi *mat.Dense) *mat.Dense {
			r, c := psi.Dims()
			for i := 0; i < r; i++ {
				row := psi.RawRowView(i)
				floats.Scale(is[i], row[:c])
			}
			return psi
		}
	} else {
		var ch mat.Cholesky
		if ok := ch.Factorize(M.Dense()); !ok {
			return nil, fmt.Errorf("matching: dense Cholesky of the mass matrix: %w", ErrNotPD)
		}
		var U mat.TriDense // M = Uᵀ U, G = Uᵀ
		ch.UTo(&U)
		// S = U⁻ᵀ L U⁻¹
		var X, Y mat.Dense
		if err := X.Solve(U.T(), S); err != nil {
			return nil, fmt.Errorf("matching: mass factor solve: %w", err)
		}
		if err := Y.Solve(U.T(), X.T()); err != nil {
			return nil, fmt.Errorf("matching: mass factor solve: %w", err)
		}
		S = mat.NewSymDense(n, nil)
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				S.SetSym(i, j, 0.5*(Y.At(i, j)+Y.At(j, i)))
			}
		}
		back = func(psi *mat.Dense) *mat.Dense {
			var phi mat.Dense
			if err := phi.Solve(&U, psi); err != nil {
				return nil
			}
			return &phi
		}
	}
	var es mat.EigenSym
	if ok := es.Factorize(S, true); !ok {
		return nil, fmt.Errorf("matching: dense EigenSym on %d vertices: %w", n, ErrNoConvergence)
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	psi := mat.DenseCopyOf(vecs.Slice(0, n, 0, k))
	phi := back(psi)
	if phi == nil {
		return nil, fmt.Errorf("matching: back-substitution of eigenvectors: %w", ErrNoConvergence)
	}
	b := &Basis{Values: append([]float64(nil), vals[:k]...), Vectors: phi, M: M}
	canonicalSigns(b)
	return b, nil
}

// canonicalSigns flips each eigenvector so that its largest-magnitude entry
// is positive, making bases from different solvers comparable.
func canonicalSigns(b *Basis) {
	n, k := b.Vectors.Dims()
	for j := 0; j < k; j++ {
		big, arg := 0.0, 0
		for i := 0; i < n; i++ {
			if v := math.Abs(b.Vectors.At(i, j)); v > big {
				big, arg = v, i
			}
		}
		if b.Vectors.At(arg, j) < 0 {
			for i := 0; i < n; i++ {
				b.Vectors.Set(i, j, -b.Vectors.At(i, j))
			}
		}
	}
}

// BlockSize is the block width of the Lanczos solver; blocks of a few
// vectors find eigenvalues of multiplicity up to the block size (the 2l+1
// spherical harmonics) that a single-vector Lanczos would miss.
const BlockSize = 8

// lanczosEigen runs block Lanczos with full reorthogonalisation in the M
// inner product on the operator T = (L − σM)⁻¹M, self-adjoint in
// ⟨x,y⟩_M = xᵀMy. Its eigenvalues θ = 1/(λ − σ) are largest for the λ
// nearest σ, so the wanted pairs converge first. With Q the M-orthonormal
// Krylov basis, T·Q = Q·H + X_{j+1}B_j e_jᵀ, where H = QᵀM T Q collects the
// reorthogonalisation coefficients; a Ritz pair (θ, Qs) of H has residual
// ‖B_j s_j‖ (s_j: the last block of s). Blocks are added until the k largest
// Ritz values have residual ≤ Tol·θ; then λ = σ + 1/θ and φ = Qs.
//
// The basis cannot outgrow ℝⁿ. When a whole block no longer fits (n − m <
// BlockSize), the part of the next block M-orthogonal to Q (at most n − m
// vectors) is added as a last, partial block; once Q spans ℝⁿ, H is T in
// that basis and its Ritz pairs are exact to rounding. (Without this, every
// mesh of up to about 100 vertices failed: the basis stopped at the last
// multiple of the block size below n, with too few blocks for the wanted
// pairs to converge — 2 blocks on 19 vertices.)
func lanczosEigen(L, M *Sparse, k int, o EigenOptions) (*Basis, error) {
	n := L.N
	sigma := o.Shift
	if sigma == 0 {
		sigma = -0.01
	}
	tol := o.Tol
	if tol == 0 {
		tol = 1e-10
	}
	rng := o.Rng
	if rng == nil {
		rng = rand.New(rand.NewPCG(1, 1))
	}
	K := L.AddScaled(-sigma, M)
	ch, err := NewEnvelopeCholesky(K)
	if err != nil {
		return nil, fmt.Errorf("matching: shift-invert factor at σ=%g: %w", sigma, err)
	}
	p := min(BlockSize, n)
	maxM := n
	impl := blas64.Implementation()
	// Q holds the basis vectors as rows (m×n); H the projected operator.
	Q := make([]float64, 0, n*min(n, 3*k+4*p))
	var hcols [][]float64 // hcols[c] = column c of H (length grows)
	W := make([]float64, p*n)
	MW := make([]float64, p*n)
	coef := make([]float64, maxM*p)
	// orthogonalise the p rows of W against the m rows of Q (twice), adding
	// the coefficients into acc (m×p, row-major) when acc != nil.
	orth := func(m int, acc []float64) {
		if m == 0 {
			return
		}
		for pass := 0; pass < 2; pass++ {
			for r := 0; r < p; r++ {
				M.MulVecTo(MW[r*n:(r+1)*n], W[r*n:(r+1)*n])
			}
			impl.Dgemm(blas.NoTrans, blas.Trans, m, p, n, 1, Q, n, MW, n, 0, coef, p)
			impl.Dgemm(blas.Trans, blas.NoTrans, p, n, m, -1, coef, p, Q, n, 1, W, n)
			if acc != nil {
				floats.Add(acc[:m*p], coef[:m*p])
			}
		}
	}
	// M-orthonormalise the rows of W in place by modified Gram–Schmidt,
	// returning the p×p upper-triangular factor (W_old = Bᵀ W_new as rows).
	// Rows that vanish are replaced by fresh random vectors ⟂ Q, W (factor
	// 0) when fill is set, which needs n − m ≥ p (room for a whole block);
	// without fill they are left at zero: the factor B is all the last
	// step needs (its residuals), as no block follows it.
	mqr := func(m int, fill bool) ([]float64, error) {
		B := make([]float64, p*p)
		mv := make([]float64, n)
		for r := 0; r < p; r++ {
			wr := W[r*n : (r+1)*n]
			for tries := 0; ; tries++ {
				for c := 0; c < r; c++ {
					wc := W[c*n : (c+1)*n]
					M.MulVecTo(mv, wc)
					d := floats.Dot(wr, mv)
					if tries == 0 {
						B[c*p+r] += d
					}
					floats.AddScaled(wr, -d, wc)
				}
				M.MulVecTo(mv, wr)
				nr := math.Sqrt(math.Max(floats.Dot(wr, mv), 0))
				scale := 1.0
				if tries == 0 {
					scale = math.Max(B[r*p+r], 1)
				}
				if tries == 0 && nr > 1e-10*scale || tries > 0 && nr > 1e-8 {
					if tries == 0 {
						B[r*p+r] = nr
					}
					floats.Scale(1/nr, wr)
					break
				}
				if tries == 0 {
					B[r*p+r] = 0
				}
				if !fill {
					for i := range wr {
						wr[i] = 0
					}
					break
				}
				if tries > 3 {
					return nil, fmt.Errorf("matching: Lanczos cannot extend the Krylov basis at %d of %d vectors: %w", m+r, n, ErrNoConvergence)
				}
				for i := range wr {
					wr[i] = rng.NormFloat64()
				}
				// keep ⟂ Q as well
				save := append([]float64(nil), W...)
				for rr := 0; rr < p; rr++ {
					if rr != r {
						for i := range W[rr*n : (rr+1)*n] {
							W[rr*n+i] = 0
						}
					}
				}
				orth(m, nil)
				copy(wr, W[r*n:(r+1)*n])
				for rr := 0; rr < p; rr++ {
					if rr != r {
						copy(W[rr*n:(rr+1)*n], save[rr*n:(rr+1)*n])
					}
				}
				copy(W[r*n:(r+1)*n], wr)
			}
		}
		return B, nil
	}
	for i := range W {
		W[i] = rng.NormFloat64()
	}
	if _, err := mqr(0, true); err != nil {
		return nil, err
	}
	check := 0
	for {
		m0 := len(Q) / n
		Q = append(Q, W[:p*n]...)
		m := m0 + p
		// W = T X_j, one solve per column, in parallel
		for r := 0; r < p; r++ {
			M.MulVecTo(MW[r*n:(r+1)*n], Q[(m0+r)*n:(m0+r+1)*n])
		}
		done := make(chan struct{})
		half := (p + 1) / 2
		go func() {
			for r := half; r < p; r++ {
				ch.SolveTo(W[r*n:(r+1)*n], MW[r*n:(r+1)*n])
			}
			close(done)
		}()
		for r := 0; r < half; r++ {
			ch.SolveTo(W[r*n:(r+1)*n], MW[r*n:(r+1)*n])
		}
		<-done
		acc := make([]float64, m*p)
		orth(m, acc)
		// The basis never outgrows ℝⁿ: when a whole block no longer fits,
		// the rows of W that survive orthogonalisation (at most n − m) are
		// the last, partial block.
		last := m+p > maxM
		B, err := mqr(m, !last)
		if err != nil {
			return nil, err
		}
		for c := 0; c < p; c++ {
			col := make([]float64, m+p)
			for r := 0; r < m; r++ {
				col[r] = acc[r*p+c]
			}
			for r := 0; r < p; r++ {
				col[m+r] = B[r*p+c]
			}
			hcols = append(hcols, col)
		}
		if (m >= k+p && m-check >= 4*p) || (last && m >= k) {
			check = m
			if b, err := ritzIfConverged(Q, n, m, m0, p, hcols, B, k, tol, sigma, M); b != nil || err != nil {
				return b, err
			}
		}
		if !last {
			continue
		}
		kept := 0
		for r := 0; r < p; r++ {
			if B[r*p+r] == 0 {
				continue
			}
			copy(W[kept*n:(kept+1)*n], W[r*n:(r+1)*n])
			for c := m0; c < m; c++ {
				hcols[c][m+kept] = hcols[c][m+r]
			}
			kept++
		}
		if kept == 0 {
			return nil, fmt.Errorf("matching: Lanczos exhausted the Krylov space (%d of %d vectors) before %d eigenpairs converged: %w", m, n, k, ErrNoConvergence)
		}
		for c := m0; c < m; c++ {
			hcols[c] = hcols[c][:m+kept]
		}
		p = kept
	}
}

// ritzIfConverged solves the projected problem H s = θ s on the first m
// basis vectors (the last block, of width p, starting at m0; B its
// residual factor) and returns the k Ritz pairs of largest θ if each has
// residual ‖B s_last‖ ≤ tol·θ, or if m = n (Q spans ℝⁿ, so Rayleigh–Ritz is
// exact up to rounding); otherwise nil.
func ritzIfConverged(Q []float64, n, m, m0, p int, hcols [][]float64, B []float64, k int, tol, sigma float64, M *Sparse) (*Basis, error) {
	H := mat.NewSymDense(m, nil)
	for c := 0; c < m; c++ {
		for r := 0; r <= c; r++ {
			v := hcols[c][r]
			if c < len(hcols[r]) {
				v = 0.5 * (v + hcols[r][c])
			}
			H.SetSym(r, c, v)
		}
	}
	var es mat.EigenSym
	if ok := es.Factorize(H, true); !ok {
		return nil, fmt.Errorf("matching: Lanczos projected eigenproblem: %w", ErrNoConvergence)
	}
	vals := es.Values(nil)
	var S mat.Dense
	es.VectorsTo(&S)
	conv := 0
	for i := 0; i < k; i++ {
		idx := m - 1 - i
		res := 0.0
		for r := 0; r < p; r++ {
			s := 0.0
			for c := r; c < p; c++ {
				s += B[r*p+c] * S.At(m0+c, idx)
			}
			res += s * s
		}
		if math.Sqrt(res) <= tol*math.Abs(vals[idx]) {
			conv++
		}
	}
	if conv < k && m < n {
		return nil, nil
	}
	return ritz(Q, n, m, vals, &S, k, sigma, M), nil
}

func ritz(Q []float64, n, m int, vals []float64, S *mat.Dense, k int, sigma float64, M *Sparse) *Basis {
	type pair struct {
		lam float64
		idx int
	}
	ps := make([]pair, k)
	for i := 0; i < k; i++ {
		idx := m - 1 - i
		ps[i] = pair{sigma + 1/vals[idx], idx}
	}
	sort.Slice(ps, func(a, b int) bool { return ps[a].lam < ps[b].lam })
	Sk := mat.NewDense(m, k, nil)
	values := make([]float64, k)
	for c, p := range ps {
		values[c] = p.lam
		for r := 0; r < m; r++ {
			Sk.Set(r, c, S.At(r, p.idx))
		}
	}
	Qm := mat.NewDense(m, n, Q[:m*n])
	var phi mat.Dense
	phi.Mul(Qm.T(), Sk)
	b := &Basis{Values: values, Vectors: &phi, M: M}
	canonicalSigns(b)
	return b
}
