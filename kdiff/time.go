package kdiff

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SDist is a training distribution of the path time s ∈ (0,1). Every SDist
// here also implements diffusion.SigmaDist through σ = (1−s)/s, so the EDM
// training loop draws the same noise levels through the bridge.
type SDist interface {
	SampleS(rng *rand.Rand) float64
	SampleSigma(rng *rand.Rand) float64
}

// UniformS is s ~ U(0,1) (the default of the [I] implementation). The
// endpoint s = 0 (σ = ∞) is rejected.
type UniformS struct{}

// SampleS draws s ~ U(0,1), never 0.
func (UniformS) SampleS(rng *rand.Rand) float64 {
	for {
		if s := rng.Float64(); s > 0 {
			return s
		}
	}
}

// SampleSigma draws σ = (1−s)/s for s ~ U(0,1); its density is 1/(1+σ)².
func (u UniformS) SampleSigma(rng *rand.Rand) float64 {
	s := u.SampleS(rng)
	return (1 - s) / s
}

// LogitNormalS is s = sigmoid(Mean + Std·n), n ~ N(0,1) (JiT uses
// Mean = −0.8, Std = 0.8, biased toward the noisy end). Through the bridge,
// ln σ = −(Mean + Std·n), i.e. ln σ ~ N(−Mean, Std²), EDM's log-normal.
type LogitNormalS struct{ Mean, Std float64 }

// JiTLogitNormal is JiT's time distribution.
var JiTLogitNormal = LogitNormalS{Mean: -0.8, Std: 0.8}

// SampleS draws s = sigmoid(Mean + Std·n).
func (l LogitNormalS) SampleS(rng *rand.Rand) float64 {
	return Sigmoid(l.Mean + l.Std*rng.NormFloat64())
}

// SampleSigma draws σ = (1−s)/s = exp(−(Mean + Std·n)) directly.
func (l LogitNormalS) SampleSigma(rng *rand.Rand) float64 {
	return math.Exp(-(l.Mean + l.Std*rng.NormFloat64()))
}

// ParseSDist parses "uniform" or "logitnormal" (JiT's −0.8, 0.8).
func ParseSDist(name string) (SDist, error) {
	switch name {
	case "uniform":
		return UniformS{}, nil
	case "logitnormal", "logit-normal":
		return JiTLogitNormal, nil
	}
	return nil, fmt.Errorf("kdiff: unknown time distribution %q (want uniform or logitnormal)", name)
}

// SFromSigma returns s = 1/(1+σ), the bridge from the EDM noise level.
func SFromSigma(sigma float64) float64 { return 1 / (1 + sigma) }

// SigmaFromS returns σ = (1−s)/s.
func SigmaFromS(s float64) float64 { return (1 - s) / s }
