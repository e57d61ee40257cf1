package diffusion

import (
	"math"
	"math/rand/v2"
)

// Gaussian is the EDM noise kernel p_σ(x|y) = N(x; y, σ²I), the D → ∞ limit
// of the PFGM++ kernel. Its prior at σ_max is N(0, σ_max²I).
type Gaussian struct{}

var _ Kernel = Gaussian{}

// Perturb sets dst = y + σ·g with g ~ N(0, I).
func (Gaussian) Perturb(dst, y []float64, sigma float64, rng *rand.Rand) {
	if len(dst) != len(y) {
		panic("diffusion: Gaussian.Perturb length mismatch")
	}
	for i, v := range y {
		dst[i] = v + sigma*rng.NormFloat64()
	}
}

// Prior fills dst with a draw of N(0, σ_max²I).
func (Gaussian) Prior(dst []float64, sigmaMax float64, rng *rand.Rand) {
	for i := range dst {
		dst[i] = sigmaMax * rng.NormFloat64()
	}
}

// LogWeight returns −d2/(2σ²), the log Gaussian density up to a σ-only term.
func (Gaussian) LogWeight(d2 float64, _ int, sigma float64) float64 {
	return -d2 / (2 * sigma * sigma)
}

// LogNormal is EDM's training distribution of noise levels,
// ln σ ~ N(PMean, PStd²); EDM uses PMean = −1.2, PStd = 1.2.
type LogNormal struct {
	PMean, PStd float64
}

// DefaultLogNormal is EDM's σ distribution.
var DefaultLogNormal = LogNormal{PMean: -1.2, PStd: 1.2}

// SampleSigma draws σ = exp(PMean + PStd·n), n ~ N(0,1).
func (l LogNormal) SampleSigma(rng *rand.Rand) float64 {
	return math.Exp(l.PMean + l.PStd*rng.NormFloat64())
}
