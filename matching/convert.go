package matching

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// FMapFromP2P returns the functional map C₁₂ (k2×k1) induced by the point
// map p2p₂₁ (len n2, into shape 1): C₁₂ = Φ₂ᵀ M₂ Φ₁[p2p₂₁, :], using the
// first k1 and k2 eigenpairs. It panics if len(p2p21) != b2.N().
func FMapFromP2P(p2p21 []int, b1, b2 *Basis, k1, k2 int) *mat.Dense {
	n2 := b2.N()
	if len(p2p21) != n2 {
		panic(fmt.Sprintf("matching: FMapFromP2P: map length %d, shape 2 has %d vertices", len(p2p21), n2))
	}
	pulled := mat.NewDense(n2, k1, nil)
	for y, x := range p2p21 {
		for j := 0; j < k1; j++ {
			pulled.Set(y, j, b1.Vectors.At(x, j))
		}
	}
	return b2.Truncated(k2).Project(pulled)
}

// P2PFromFMap returns the point map p2p₂₁ of the functional map C₁₂
// (k2×k1): for each vertex y of shape 2,
//
//	p2p₂₁(y) = argmin_x ‖Φ₂[y,:k2] − Φ₁[x,:k1] C₁₂ᵀ‖,
//
// found exactly with a k-d tree over the rows of Φ₁C₁₂ᵀ. With adjoint set it
// compares Φ₂[y,:]C₁₂ with Φ₁[x,:] instead.
func P2PFromFMap(c12 *mat.Dense, b1, b2 *Basis, adjoint bool) []int {
	return P2PFromFMapFrom(c12, b1, b2, adjoint, nil)
}

// P2PFromFMapFrom is P2PFromFMap with starting guesses for the exact
// nearest-neighbour search (e.g. the previous ZoomOut map; nil: none).
func P2PFromFMapFrom(c12 *mat.Dense, b1, b2 *Basis, adjoint bool, guess []int) []int {
	k2, k1 := c12.Dims()
	e1 := b1.Vectors.Slice(0, b1.N(), 0, k1)
	e2 := b2.Vectors.Slice(0, b2.N(), 0, k2)
	var ref, q mat.Dense
	if adjoint {
		ref.CloneFrom(e1)
		q.Mul(e2, c12)
	} else {
		ref.Mul(e1, c12.T())
		q.CloneFrom(e2)
	}
	t := NewKDTree(ref.RawMatrix().Data, ref.RawMatrix().Cols)
	return t.NearestAllFrom(q.RawMatrix().Data, guess)
}

// ZoomOut refines C₁₂ (k×k) spectrally upsampling it (Melzi et al. 2019,
// pyFM's zoomout_refine): repeat p2p₂₁ ← P2PFromFMap(C), k ← k + step,
// C ← FMapFromP2P(p2p₂₁) at size k×k, until k reaches kEnd. It returns the
// final kEnd×kEnd map and its point map. ctx is checked between iterations.
func ZoomOut(ctx context.Context, c12 *mat.Dense, b1, b2 *Basis, kEnd, step int) (*mat.Dense, []int, error) {
	k2, k1 := c12.Dims()
	if kEnd > b1.K() || kEnd > b2.K() {
		return nil, nil, fmt.Errorf("matching: ZoomOut to %d with bases of %d and %d eigenpairs", kEnd, b1.K(), b2.K())
	}
	if step <= 0 {
		step = 1
	}
	c := c12
	var p2p []int
	for k1 < kEnd || k2 < kEnd {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		p2p = P2PFromFMapFrom(c, b1, b2, false, p2p)
		k1, k2 = min(k1+step, kEnd), min(k2+step, kEnd)
		c = FMapFromP2P(p2p, b1, b2, k1, k2)
	}
	return c, P2PFromFMapFrom(c, b1, b2, false, p2p), nil
}
