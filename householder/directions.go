package householder

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
)

// eigDesc returns the eigenvalues of the symmetric s in descending order and
// the matching unit eigenvectors as columns.
func eigDesc(s *mat.SymDense) ([]float64, *mat.Dense, error) {
	var es mat.EigenSym
	if !es.Factorize(s, true) {
		return nil, nil, fmt.Errorf("eigendecomposition did not converge")
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	n := len(vals)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return vals[idx[a]] > vals[idx[b]] })
	outV := make([]float64, n)
	out := mat.NewDense(n, n, nil)
	for j, i := range idx {
		outV[j] = vals[i]
		out.SetCol(j, mat.Col(nil, i, &vecs))
	}
	return outV, out, nil
}

// SeFa returns the top-k SeFa directions (Shen & Zhou 2021, genforce recipe)
// of the style affines A_ℓ (each C_ℓ×d, s_ℓ = A_ℓ·w + b_ℓ): stack the rows of
// all A_ℓ, rescale every row (one output channel) to unit ℓ2 norm, giving
// M (ΣC_ℓ×d), and return the eigenvectors of MᵀM with the k largest
// eigenvalues, as the columns of a d×k matrix, and all d eigenvalues in
// descending order. Each direction n maximises Σ_ℓ ‖Â_ℓ·n‖² (Â: row-normalised)
// among unit vectors orthogonal to the previous ones.
func SeFa(affines []*mat.Dense, k int) (*mat.Dense, []float64, error) {
	if len(affines) == 0 {
		return nil, nil, fmt.Errorf("householder: SeFa: no affine layers")
	}
	_, d := affines[0].Dims()
	if k < 1 || k > d {
		return nil, nil, fmt.Errorf("householder: SeFa: k = %d outside [1, %d]", k, d)
	}
	s := mat.NewSymDense(d, nil)
	row := make([]float64, d)
	for li, a := range affines {
		c, dd := a.Dims()
		if dd != d {
			return nil, nil, fmt.Errorf("householder: SeFa: layer %d has %d inputs, layer 0 has %d", li, dd, d)
		}
		for i := 0; i < c; i++ {
			mat.Row(row, i, a)
			var nn float64
			for _, v := range row {
				nn += v * v
			}
			if nn == 0 {
				continue
			}
			s.SymRankOne(s, 1/nn, mat.NewVecDense(d, row))
		}
	}
	vals, vecs, err := eigDesc(s)
	if err != nil {
		return nil, nil, fmt.Errorf("householder: SeFa: %w", err)
	}
	return mat.DenseCopyOf(vecs.Slice(0, d, 0, k)), vals, nil
}

// GANSpace returns the top-k principal components of the latent samples ws
// (N×d rows w = mapping(z)), as the columns of a d×k matrix, and their
// standard deviations σ_j (GANSpace's `--use_w` mode; exact PCA of the
// sample covariance instead of incremental PCA, which for d ≤ 64 is the
// same decomposition).
func GANSpace(ws *mat.Dense, k int) (*mat.Dense, []float64, error) {
	n, d := ws.Dims()
	if k < 1 || k > d {
		return nil, nil, fmt.Errorf("householder: GANSpace: k = %d outside [1, %d]", k, d)
	}
	if n < 2 {
		return nil, nil, fmt.Errorf("householder: GANSpace: %d samples", n)
	}
	cov := Covariance(ws)
	vals, vecs, err := eigDesc(cov)
	if err != nil {
		return nil, nil, fmt.Errorf("householder: GANSpace: %w", err)
	}
	sd := make([]float64, k)
	for j := range sd {
		sd[j] = math.Sqrt(math.Max(vals[j], 0))
	}
	return mat.DenseCopyOf(vecs.Slice(0, d, 0, k)), sd, nil
}

// Covariance returns the unbiased sample covariance (d×d) of the rows of x.
func Covariance(x *mat.Dense) *mat.SymDense {
	n, d := x.Dims()
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			mean[j] += x.At(i, j)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	c := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			c.Set(i, j, x.At(i, j)-mean[j])
		}
	}
	s := mat.NewSymDense(d, nil)
	s.SymOuterK(1/float64(n-1), c.T())
	return s
}

// RandomOrthonormal returns k orthonormal directions in R^d (columns of a
// d×k matrix), Haar-distributed: data.RandomOrthonormal, the Q factor of a
// Gaussian matrix with the signs of R's diagonal made positive.
func RandomOrthonormal(d, k int, rng *rand.Rand) *mat.Dense {
	if k < 1 || k > d {
		panic(fmt.Sprintf("householder: RandomOrthonormal: k = %d, d = %d", k, d))
	}
	return data.RandomOrthonormal(d, k, rng)
}

// RandomRotation returns a Haar-distributed k×k rotation (determinant +1).
func RandomRotation(k int, rng *rand.Rand) *mat.Dense {
	q := RandomOrthonormal(k, k, rng)
	if mat.Det(q) < 0 {
		for i := 0; i < k; i++ {
			q.Set(i, 0, -q.At(i, 0))
		}
	}
	return q
}
