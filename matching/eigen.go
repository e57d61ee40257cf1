package matching

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

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
	// Block is the starting Lanczos block width (default BlockSize). A
	// block of p vectors finds eigenvalues of multiplicity up to p; a solve
	// whose eigenvalues hold p or more equal values is repeated with twice
	// the block (up to 64), so this only trades speed.
	Block int
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
	raw := b.Vectors.RawMatrix()
	big := make([]float64, k)
	arg := make([]int, k)
	for i := 0; i < n; i++ {
		for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+k] {
			if a := math.Abs(v); a > big[j] {
				big[j], arg[j] = a, i
			}
		}
	}
	sign := make([]float64, k)
	flip := false
	for j := range sign {
		sign[j] = 1
		if raw.Data[arg[j]*raw.Stride+j] < 0 {
			sign[j], flip = -1, true
		}
	}
	if !flip {
		return
	}
	for i := 0; i < n; i++ {
		floats.Mul(raw.Data[i*raw.Stride:i*raw.Stride+k], sign)
	}
}

// BlockSize is the starting block width of the Lanczos solver. A block of
// p vectors finds every copy of an eigenvalue of multiplicity up to p (in
// exact arithmetic the block Krylov space holds at most p independent
// vectors of any eigenspace), so a solve whose eigenvalues hold a cluster
// of p or more equal values may have missed copies, and lanczosEigen
// solves again with twice the block (the 2l+1 spherical harmonics of a
// sphere: 3 → 4, 5 → 8, 9 → 16). Generic shapes have no multiple
// eigenvalues, and a small block needs fewer vectors: about
// k + c·√(p·k) for k pairs, c ≈ 10 at Tol 1e-10 (measured at 5k
// vertices, k = 100: about 240 vectors for p = 1, 300 for p = 4, 400 for
// p = 8), and the basis costs O(n·m²) to keep orthogonal; below p = 4 the
// solves lose their blocking (docs/PERFORMANCE.md).
const BlockSize = 4

// maxBlock bounds the block width of the retries.
const maxBlock = 64

// clusterTol is the relative gap below which two computed eigenvalues count
// as copies of one multiple eigenvalue in the block-size check.
const clusterTol = 1e-6

// largestCluster returns the size of the largest run of ascending values
// vals that agree to clusterTol (relative, with an absolute floor of
// 1e-10·max|λ| so that the zero eigenvalues of several components count as
// one cluster).
func largestCluster(vals []float64) int {
	if len(vals) == 0 {
		return 0
	}
	floor := 1e-10 * math.Max(math.Abs(vals[0]), math.Abs(vals[len(vals)-1]))
	best, run := 1, 1
	for i := 1; i < len(vals); i++ {
		a, b := math.Abs(vals[i-1]), math.Abs(vals[i])
		if math.Abs(vals[i]-vals[i-1]) <= clusterTol*math.Max(a, b)+floor {
			run++
		} else {
			run = 1
		}
		best = max(best, run)
	}
	return best
}

// rowSolver solves A X = B in place for right-hand sides held as
// consecutive rows of x (SparseCholesky, EnvelopeCholesky).
type rowSolver interface{ SolveRows(x []float64) }

// lanczosInfo reports what one Lanczos solve did.
type lanczosInfo struct {
	Vectors    int // Krylov basis vectors (applications of T)
	Checks     int // projected eigenproblems solved
	SecondPass int // blocks that needed a second full reorthogonalisation pass
	// seconds spent solving, orthogonalising and in the projected
	// eigenproblems (Ritz vectors included)
	Solve, Orth, Ritz float64
}

// lanczosEigen runs block Lanczos with full reorthogonalisation in the M
// inner product on the operator T = (L − σM)⁻¹M, self-adjoint in
// ⟨x,y⟩_M = xᵀMy. Its eigenvalues θ = 1/(λ − σ) are largest for the λ
// nearest σ, so the wanted pairs converge first. With Q the M-orthonormal
// Krylov basis, T·Q = Q·H + X_{j+1}B_j e_jᵀ, where H = QᵀM T Q collects the
// orthogonalisation coefficients; a Ritz pair (θ, Qs) of H has residual
// ‖B_j s_j‖ (s_j: the last block of s). Blocks are added until the k largest
// Ritz values have residual ≤ Tol·θ; then λ = σ + 1/θ and φ = Qs.
//
// Each new block W = T X_j is first orthogonalised against the last two
// blocks (the block three-term recurrence, which removes almost all of W),
// then once against the whole basis (full reorthogonalisation: it removes
// the rounding-level components the recurrence leaves along converged Ritz
// vectors). A second full pass is made only when the first one shrinks a
// row's M-norm below 1/√2 of its value (the Daniel–Gragg–Kaufman–Stewart
// test: only then can the pass have lost orthogonality by cancellation),
// so Q stays M-orthonormal to rounding at about half the cost of always
// orthogonalising twice. The p solves of a block go through the factor
// together (SolveRows). The shift-invert factor is a sparse Cholesky factor
// of L − σM under a nested-dissection ordering (NewSparseCholesky).
//
// Convergence is checked at basis sizes extrapolated from the previous
// check (nextStep), from the k largest eigenpairs of H computed without its
// full eigendecomposition (ritzPairs), which also give the Ritz vectors.
//
// If the eigenvalues hold a cluster of p or more equal values (see
// BlockSize: copies beyond p may be missing), the solve is repeated with
// twice the block, reusing the factor.
//
// The basis cannot outgrow ℝⁿ. When a whole block no longer fits (n − m <
// BlockSize), the part of the next block M-orthogonal to Q (at most n − m
// vectors) is added as a last, partial block; once Q spans ℝⁿ, H is T in
// that basis and its Ritz pairs are exact to rounding. (Without this, every
// mesh of up to about 100 vertices failed: the basis stopped at the last
// multiple of the block size below n, with too few blocks for the wanted
// pairs to converge — 2 blocks on 19 vertices.)
func lanczosEigen(L, M *Sparse, k int, o EigenOptions) (*Basis, error) {
	sigma := o.Shift
	if sigma == 0 {
		sigma = -0.01
	}
	K := L.AddScaled(-sigma, M)
	ch, err := NewSparseCholesky(K, NestedDissection(K))
	if err != nil {
		return nil, fmt.Errorf("matching: shift-invert factor at σ=%g: %w", sigma, err)
	}
	p := BlockSize
	if o.Block > 0 {
		p = o.Block
	}
	for {
		o.Block = p
		b, _, err := lanczos(L, M, ch, k, o)
		if err != nil || p >= min(L.N, maxBlock) || largestCluster(b.Values) < p {
			return b, err
		}
		p *= 2
	}
}

// dgks is the Daniel–Gragg–Kaufman–Stewart threshold: a reorthogonalisation
// pass that leaves less than this fraction of a vector's norm is repeated.
const dgks = 0.7071067811865476

// lanczos runs one block Lanczos solve with block width o.Block (default
// BlockSize) on T = K⁻¹M, ch the factor of K = L − σM.
func lanczos(L, M *Sparse, ch rowSolver, k int, o EigenOptions) (*Basis, lanczosInfo, error) {
	var info lanczosInfo
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
	var tic time.Time
	p := BlockSize
	if o.Block > 0 {
		p = o.Block
	}
	p = min(p, n)
	maxM := n
	impl := blas64.Implementation()
	// Q holds the basis vectors as rows (m×n); H the projected operator.
	// About k + 10√(pk) vectors are needed for k pairs (BlockSize); growing
	// Q by append would copy it many times.
	Q := make([]float64, 0, n*min(n, k+4*p+int(10*math.Sqrt(float64(p*k)))))
	var hcols [][]float64 // hcols[c] = column c of H (length grows)
	W := make([]float64, p*n)
	MW := make([]float64, p*n)
	MQ := make([]float64, p*n) // M times the rows of W already orthonormalised by mqr
	// mul sets dst = M·x; a lumped (diagonal) M is a scaling.
	mul := M.MulVecTo
	if M.IsDiagonal() {
		md := M.Diagonal()
		mul = func(dst, x []float64) { floats.MulTo(dst, md, x) }
	}
	coef := make([]float64, maxM*p)
	// orth orthogonalises the p rows of W against rows lo..m−1 of Q once,
	// adding the coefficients into acc (m×p, row-major) when acc != nil.
	orth := func(lo, m int, acc []float64) {
		if m <= lo {
			return
		}
		for r := 0; r < p; r++ {
			mul(MW[r*n:(r+1)*n], W[r*n:(r+1)*n])
		}
		q := Q[lo*n : m*n]
		c := coef[:(m-lo)*p]
		impl.Dgemm(blas.NoTrans, blas.Trans, m-lo, p, n, 1, q, n, MW, n, 0, c, p)
		impl.Dgemm(blas.Trans, blas.NoTrans, p, n, m-lo, -1, c, p, q, n, 1, W, n)
		if acc != nil {
			floats.Add(acc[lo*p:m*p], c)
		}
	}
	// mnorms sets nrm[r] to the M-norm² of row r of W.
	nrm0, nrm1 := make([]float64, p), make([]float64, p)
	mnorms := func(nrm []float64) {
		for r := 0; r < p; r++ {
			wr := W[r*n : (r+1)*n]
			mul(MW[r*n:(r+1)*n], wr)
			nrm[r] = floats.Dot(wr, MW[r*n:(r+1)*n])
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
		for r := 0; r < p; r++ {
			wr := W[r*n : (r+1)*n]
			mv := MQ[r*n : (r+1)*n]
			for tries := 0; ; tries++ {
				for c := 0; c < r; c++ {
					d := floats.Dot(wr, MQ[c*n:(c+1)*n])
					if tries == 0 {
						B[c*p+r] += d
					}
					floats.AddScaled(wr, -d, W[c*n:(c+1)*n])
				}
				mul(mv, wr)
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
					floats.Scale(1/nr, mv)
					break
				}
				if tries == 0 {
					B[r*p+r] = 0
				}
				if !fill {
					for i := range wr {
						wr[i], mv[i] = 0, 0
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
				orth(0, m, nil)
				orth(0, m, nil)
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
		return nil, info, err
	}
	nextCheck, prevP := 0, 0
	prevCheck := checkPoint{}
	for {
		m0 := len(Q) / n
		if len(Q)+p*n > cap(Q) {
			grown := make([]float64, len(Q), min(n*n, cap(Q)+cap(Q)/2+p*n))
			copy(grown, Q)
			Q = grown
		}
		Q = append(Q, W[:p*n]...)
		m := m0 + p
		// W = T X_j: p solves through the factor together
		for r := 0; r < p; r++ {
			mul(W[r*n:(r+1)*n], Q[(m0+r)*n:(m0+r+1)*n])
		}
		tic = time.Now()
		ch.SolveRows(W[:p*n])
		info.Solve += time.Since(tic).Seconds()
		tic = time.Now()
		acc := make([]float64, m*p)
		orth(max(0, m0-prevP), m, acc) // the block three-term recurrence
		mnorms(nrm0)
		orth(0, m, acc) // full reorthogonalisation
		mnorms(nrm1)
		for r := 0; r < p; r++ {
			if nrm1[r] < dgks*dgks*nrm0[r] {
				orth(0, m, acc)
				info.SecondPass++
				break
			}
		}
		prevP = p
		// The basis never outgrows ℝⁿ: when a whole block no longer fits,
		// the rows of W that survive orthogonalisation (at most n − m) are
		// the last, partial block.
		last := m+p > maxM
		B, err := mqr(m, !last)
		if err != nil {
			return nil, info, err
		}
		info.Orth += time.Since(tic).Seconds()
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
		info.Vectors = m
		if last && m >= k || m >= k+p && m >= nextCheck {
			tic = time.Now()
			info.Checks++
			theta, worst, S, err := ritzPairs(projected(hcols, m), m, m0, p, B, k, tol, m >= n)
			info.Ritz += time.Since(tic).Seconds()
			if err != nil {
				return nil, info, err
			}
			if S != nil { // converged, or Q spans ℝⁿ (Rayleigh–Ritz exact to rounding)
				tic = time.Now()
				b := ritz(Q, n, m, theta, S, sigma, M)
				info.Ritz += time.Since(tic).Seconds()
				return b, info, nil
			}
			nextCheck = m + p*nextStep(m, p, worst, &prevCheck)
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
			return nil, info, fmt.Errorf("matching: Lanczos exhausted the Krylov space (%d of %d vectors) before %d eigenpairs converged: %w", m, n, k, ErrNoConvergence)
		}
		for c := m0; c < m; c++ {
			hcols[c] = hcols[c][:m+kept]
		}
		p = kept
	}
}

// checkPoint is a convergence check: the basis size and the log of the
// worst scaled residual.
type checkPoint struct {
	m      int
	logRes float64
}

// nextStep returns in how many blocks to check convergence again, after a
// check at basis size m whose worst scaled residual (residual/(tol·θ)) was
// worst. Far from convergence the residuals of Lanczos fall about
// geometrically with the basis size, so log(worst) is extrapolated linearly
// from the previous check to the size where it reaches 0, and three fifths
// of the way is taken (the decay speeds up as neighbouring pairs converge,
// so the extrapolation overshoots); without a usable previous check the
// basis grows by a quarter. Each check costs O(m³), the vectors O(m·n), so
// a few checks per solve are the aim.
func nextStep(m, p int, worst float64, prev *checkPoint) int {
	if worst <= 1 { // the estimate said converged, the exact check did not
		return 1
	}
	lw := math.Log(worst)
	step := max(2*p, m/4)
	if prev.m > 0 && prev.logRes > lw {
		rate := (prev.logRes - lw) / float64(m-prev.m)
		step = int(math.Ceil(0.6 * lw / rate))
		step = min(max(step, p), max(m/2, 2*p))
	}
	*prev = checkPoint{m, lw}
	return max(1, (step+p-1)/p)
}

// ritz returns the basis of the Ritz pairs (λ = σ + 1/θ_i, φ_i = Q s_i),
// λ ascending, from the k largest eigenvalues θ (descending) of the
// projected operator and their eigenvectors, the columns of S (m×k).
func ritz(Q []float64, n, m int, theta []float64, S *mat.Dense, sigma float64, M *Sparse) *Basis {
	k := len(theta)
	order := make([]int, k)
	for i := range order {
		order[i] = i
	}
	lam := func(i int) float64 { return sigma + 1/theta[i] }
	sort.SliceStable(order, func(a, b int) bool { return lam(order[a]) < lam(order[b]) })
	Sk := mat.NewDense(m, k, nil)
	values := make([]float64, k)
	for c, i := range order {
		values[c] = lam(i)
		Sk.SetCol(c, mat.Col(nil, i, S))
	}
	Qm := mat.NewDense(m, n, Q[:m*n])
	var phi mat.Dense
	phi.Mul(Qm.T(), Sk)
	b := &Basis{Values: values, Vectors: &phi, M: M}
	canonicalSigns(b)
	return b
}
