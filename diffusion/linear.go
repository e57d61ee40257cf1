package diffusion

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// LinearLevel is the training loss that the best *linear* denoiser reaches
// on data with covariance eigenvalues eig under Gaussian noise: per
// direction j the optimal linear estimate λ_j/(λ_j+σ²)·x has error
// λ_j·σ²/(λ_j+σ²), so
//
//	L_lin = E_σ[ Weight(σ) · Σ_j λ_j·σ²/(λ_j+σ²) ],
//
// estimated with n draws of σ from dist. For EDM with σ_data² = λ_j for all
// j it is exactly len(eig) at every σ. A network that trains stays well
// below it; one pinned at it has learned nothing beyond the covariance (the
// initialisation pitfall of small MLP denoisers).
func LinearLevel(eig []float64, t Target, dist SigmaDist, n int, rng *rand.Rand) float64 {
	var sum float64
	for i := 0; i < n; i++ {
		s := dist.SampleSigma(rng)
		s2 := s * s
		var e float64
		for _, l := range eig {
			e += l * s2 / (l + s2)
		}
		sum += t.Weight(s) * e
	}
	return sum / float64(n)
}

// CovEigen returns the eigenvalues of the sample covariance of the rows of x.
func CovEigen(x *mat.Dense) []float64 {
	var cov mat.SymDense
	stat.CovarianceMatrix(&cov, x, nil)
	var es mat.EigenSym
	if !es.Factorize(&cov, false) {
		return nil
	}
	v := es.Values(nil)
	for i := range v {
		v[i] = max(v[i], 0)
	}
	return v
}
