package nn

import (
	"fmt"
	"math"

	"genlab/nn/kern"
)

// EMA is an exponential moving average of a model's weights,
//
//	shadow ← β·shadow + (1−β)·param,
//
// kept in a shadow model of the same structure (frozen parameters are copied).
type EMA struct {
	shadow Model
}

// NewEMA returns an EMA whose shadow starts as a copy of m.
func NewEMA(m Model) *EMA { return &EMA{shadow: m.Clone()} }

// Update applies one averaging step with decay beta ∈ [0, 1] (in float32,
// kern.EMA). m must have the structure the EMA was created from;
// a mismatch panics.
func (e *EMA) Update(m Model, beta float64) {
	if beta < 0 || beta > 1 || math.IsNaN(beta) {
		panic(fmt.Sprintf("nn: EMA.Update: beta %v outside [0,1]", beta))
	}
	ps, ss := m.Params(), e.shadow.Params()
	if len(ps) != len(ss) {
		panic(fmt.Sprintf("nn: EMA.Update: model has %d params, shadow %d", len(ps), len(ss)))
	}
	for i, p := range ps {
		pd, sd := p.Data(), ss[i].Data()
		if len(pd) != len(sd) {
			panic(fmt.Sprintf("nn: EMA.Update: %s has %d values, shadow %d", p.Name, len(pd), len(sd)))
		}
		if p.Frozen {
			copy(sd, pd)
			continue
		}
		kern.EMA(sd, pd, float32(beta))
	}
}

// Model returns the shadow model (same structure as the tracked model). Its
// parameters are updated in place by Update, so Predictors built on it see
// the current average.
func (e *EMA) Model() Model { return e.shadow }

// EMABeta returns the per-step decay β = 0.5^(batch/halfLifeSamples) for an
// average whose half-life is halfLifeSamples training samples (EDM's
// ema_halflife_kimg convention). A non-positive half-life gives β = 0 (no
// averaging).
func EMABeta(halfLifeSamples, batch float64) float64 {
	if halfLifeSamples <= 0 {
		return 0
	}
	return math.Pow(0.5, batch/halfLifeSamples)
}
