package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// GaussianStats are the statistics the Fréchet distance needs from a feature
// set: the number of rows N, the mean μ and the unbiased covariance Σ (N−1
// divisor), stored as plain slices so reference statistics (for example of
// the MNIST test split for fid_lenet) can be written once as JSON and read
// back bit-exactly.
type GaussianStats struct {
	N    int       `json:"n"`
	Mean []float64 `json:"mean"` // length d
	Cov  []float64 `json:"cov"`  // d×d, row-major, symmetric
}

// FitGaussian returns the GaussianStats of the rows of x (see MeanCov). It
// panics if x has fewer than 2 rows.
func FitGaussian(x *mat.Dense) GaussianStats {
	n, d := x.Dims()
	mu, cov := MeanCov(x)
	c := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			c[i*d+j] = cov.At(i, j)
		}
	}
	return GaussianStats{N: n, Mean: mu, Cov: c}
}

// Validate reports whether s is well formed: N ≥ 2, len(Cov) = len(Mean)²,
// Cov symmetric (to 1e-12 relative), all values finite.
func (s GaussianStats) Validate() error {
	d := len(s.Mean)
	if d == 0 {
		return fmt.Errorf("metrics: GaussianStats: empty mean")
	}
	if s.N < 2 {
		return fmt.Errorf("metrics: GaussianStats: n = %d, want ≥ 2", s.N)
	}
	if len(s.Cov) != d*d {
		return fmt.Errorf("metrics: GaussianStats: len(cov) = %d, want %d×%d", len(s.Cov), d, d)
	}
	if !finiteSlice(s.Mean) || !finiteSlice(s.Cov) {
		return fmt.Errorf("metrics: GaussianStats: %w", ErrNonFinite)
	}
	for i := 0; i < d; i++ {
		for j := i + 1; j < d; j++ {
			a, b := s.Cov[i*d+j], s.Cov[j*d+i]
			if math.Abs(a-b) > 1e-12*math.Max(math.Abs(a), math.Abs(b)) {
				return fmt.Errorf("metrics: GaussianStats: cov[%d,%d] = %g but cov[%d,%d] = %g", i, j, a, j, i, b)
			}
		}
	}
	return nil
}

// Covariance returns Cov as a *mat.SymDense (upper triangle used). It panics
// if len(Cov) ≠ len(Mean)²; call Validate first on data read from files.
func (s GaussianStats) Covariance() *mat.SymDense {
	d := len(s.Mean)
	if len(s.Cov) != d*d {
		panic(fmt.Sprintf("metrics: GaussianStats: len(cov) = %d, want %d", len(s.Cov), d*d))
	}
	out := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			out.SetSym(i, j, s.Cov[i*d+j])
		}
	}
	return out
}

// FrechetStats returns the squared Fréchet distance (see Frechet) between two
// sets of statistics. It returns an error if either fails Validate or their
// dimensions differ.
func FrechetStats(a, b GaussianStats) (float64, error) {
	if err := a.Validate(); err != nil {
		return 0, fmt.Errorf("metrics: FrechetStats: first: %w", err)
	}
	if err := b.Validate(); err != nil {
		return 0, fmt.Errorf("metrics: FrechetStats: second: %w", err)
	}
	if len(a.Mean) != len(b.Mean) {
		return 0, fmt.Errorf("metrics: FrechetStats: dimensions differ: %d vs %d", len(a.Mean), len(b.Mean))
	}
	d2, err := Frechet(a.Mean, a.Covariance(), b.Mean, b.Covariance())
	if err != nil {
		return d2, fmt.Errorf("metrics: FrechetStats: %w", err)
	}
	return d2, nil
}
