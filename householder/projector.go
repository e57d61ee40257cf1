package householder

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// InitStd is the standard deviation of the random N(0, 0.05²) initialisation
// of P_U and P_V (HouseholderGAN code).
const InitStd = 0.05

// BuildW returns the C×d projector weight
//
//	W = O(P_U)·S·O(P_V) = U_k·V_kᵀ,
//
// with P_U C×C, P_V d×d, S the C×d selector with S_ii = 1 for i < k, U_k the
// first k columns of O(P_U) and V_kᵀ the first k rows of O(P_V). W has rank
// k and all k non-zero singular values equal 1. This one function builds W
// for the forward pass, the gradient and the read-off of directions. It
// panics unless 1 ≤ k ≤ min(C, d) and P_U, P_V are square.
func BuildW(pu, pv *mat.Dense, k int) *mat.Dense {
	c, cu := pu.Dims()
	d, dv := pv.Dims()
	if c != cu || d != dv || k < 1 || k > c || k > d {
		panic(fmt.Sprintf("householder: BuildW: P_U %d×%d, P_V %d×%d, k %d", c, cu, d, dv, k))
	}
	u := Orthogonal(pu)
	v := Orthogonal(pv)
	w := mat.NewDense(c, d, nil)
	w.Mul(u.Slice(0, c, 0, k), v.Slice(0, k, 0, d))
	return w
}

// BuildWBackward returns ∂L/∂P_U and ∂L/∂P_V given gW = ∂L/∂W for
// W = BuildW(P_U, P_V, k). With U = O(P_U), V = O(P_V) and W = U·S·V:
//
//	∂L/∂U = gW·(S·V)ᵀ  (only the first k columns are non-zero),
//	∂L/∂V = Sᵀ·Uᵀ·gW   (only the first k rows are non-zero),
//
// then each is pulled back through the reflections by OrthogonalBackward
// with X = I.
func BuildWBackward(pu, pv *mat.Dense, k int, gw *mat.Dense) (gpu, gpv *mat.Dense) {
	c, _ := pu.Dims()
	d, _ := pv.Dims()
	if r, cc := gw.Dims(); r != c || cc != d {
		panic(fmt.Sprintf("householder: BuildWBackward: gW %d×%d, want %d×%d", r, cc, c, d))
	}
	u := Orthogonal(pu)
	v := Orthogonal(pv)
	gu := mat.NewDense(c, c, nil)
	gu.Slice(0, c, 0, k).(*mat.Dense).Mul(gw, v.Slice(0, k, 0, d).T())
	gv := mat.NewDense(d, d, nil)
	gv.Slice(0, k, 0, d).(*mat.Dense).Mul(u.Slice(0, c, 0, k).T(), gw)
	gpu, _ = OrthogonalBackward(pu, u, gu)
	gpv, _ = OrthogonalBackward(pv, v, gv)
	return gpu, gpv
}

// RandomP returns an n×n reflector matrix with entries N(0, InitStd²).
func RandomP(n int, rng *rand.Rand) *mat.Dense {
	p := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			p.Set(i, j, InitStd*rng.NormFloat64())
		}
	}
	return p
}

// ReflectorsOf returns the n×n reflector matrix P of an orthogonal Q (n×n)
// from Householder QR, and the sign s ∈ {±1} such that
//
//	O(P) = Q·diag(1, …, 1, s).
//
// Reflector j maps the j-th column of the partly reduced Q to +e_j; when the
// column already is e_j a reflector orthogonal to it (e_{j+1}) keeps it. A
// product of n reflections has determinant (−1)^n, so s = det(Q)·(−1)^n is
// forced: only the last column can come out negated.
func ReflectorsOf(q *mat.Dense) (p *mat.Dense, s float64) {
	n, m := q.Dims()
	if n != m {
		panic(fmt.Sprintf("householder: ReflectorsOf: Q is %d×%d", n, m))
	}
	a := mat.DenseCopyOf(q)
	p = mat.NewDense(n, n, nil)
	v := make([]float64, n)
	col := make([]float64, n)
	for j := 0; j < n; j++ {
		for i := range v {
			v[i] = 0
		}
		var dist float64
		for i := j; i < n; i++ {
			v[i] = a.At(i, j)
		}
		v[j] -= 1
		for i := j; i < n; i++ {
			dist += v[i] * v[i]
		}
		if math.Sqrt(dist) < 1e-6 {
			for i := range v {
				v[i] = 0
			}
			if j+1 < n {
				v[j+1] = 1
			} else {
				v[j] = 1
			}
		}
		var nv float64
		for _, x := range v {
			nv += x * x
		}
		nv = math.Sqrt(nv)
		for i := range v {
			v[i] /= nv
		}
		p.SetCol(j, v)
		for c := 0; c < n; c++ {
			mat.Col(col, c, a)
			reflectInPlace(col, v)
			a.SetCol(c, col)
		}
	}
	return p, math.Copysign(1, a.At(n-1, n-1))
}

// InitFromSVD returns P_U (C×C) and P_V (d×d) such that BuildW(P_U, P_V, k)
// equals U_k·V_kᵀ from the SVD A = U·Σ·Vᵀ of a pretrained C×d affine (the
// singular values are discarded: S is 0/1). Each side is exact up to the
// sign of its last singular vector (see ReflectorsOf); V is factorised first
// and a forced flip of its last row is moved onto the matching column of U
// when that column is kept. mismatched is the number of kept pairs (0 or 1)
// whose signs still disagree, which can happen only when k = min(C, d).
func InitFromSVD(a *mat.Dense, k int) (pu, pv *mat.Dense, mismatched int, err error) {
	c, d := a.Dims()
	if k < 1 || k > c || k > d {
		return nil, nil, 0, fmt.Errorf("householder: InitFromSVD: k = %d outside [1, min(%d, %d)]", k, c, d)
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDFull) {
		return nil, nil, 0, fmt.Errorf("householder: InitFromSVD: SVD of the %d×%d affine did not converge", c, d)
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	// O(P_V) must have rows v_iᵀ. With Q = V, ReflectorsOf gives
	// H(q_1)···H(q_d) = V·D, so reversing the reflectors gives
	// H(q_d)···H(q_1) = D·Vᵀ.
	q, sv := ReflectorsOf(&v)
	pv = mat.NewDense(d, d, nil)
	for j := 0; j < d; j++ {
		pv.SetCol(j, mat.Col(nil, d-1-j, q))
	}
	if sv < 0 && d-1 < k {
		for i := 0; i < c; i++ { // move the flip of v_{d−1} onto u_{d−1}
			u.Set(i, d-1, -u.At(i, d-1))
		}
	}
	var su float64
	pu, su = ReflectorsOf(&u)
	if su < 0 && c-1 < k {
		mismatched++
	}
	return pu, pv, mismatched, nil
}

// Directions returns the edit directions of an HP layer: the first k right
// singular vectors of W = BuildW(P_U, P_V, k), as the columns of a d×k
// matrix (HouseholderGAN's closed-form read-off). All k singular values are
// 1, so any orthonormal basis of W's row space is an equally valid output.
func Directions(pu, pv *mat.Dense, k int) (*mat.Dense, error) {
	w := BuildW(pu, pv, k)
	var svd mat.SVD
	if !svd.Factorize(w, mat.SVDFull) {
		return nil, fmt.Errorf("householder: Directions: SVD did not converge")
	}
	var v mat.Dense
	svd.VTo(&v)
	_, d := w.Dims()
	return mat.DenseCopyOf(v.Slice(0, d, 0, k)), nil
}
