package kdiff

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"genlab/diffusion"
)

// DefaultKnots is the number of knots of a learned k(s) schedule: k is
// piecewise-linear in logit space between s = 0, ⅙, …, 1 (7 knots).
const DefaultKnots = 7

// LearnedKSchedule is a learned per-noise-level target parameter
//
//	k(s) = sigmoid(w(s)),   w(s) = Σⱼ Wⱼ·hⱼ(s),   s = 1/(1+σ) ∈ (0,1),
//
// where hⱼ are the hat functions of M equally spaced knots sⱼ = j/(M−1)
// (w is the linear interpolation of the Wⱼ; at most two hⱼ are non-zero).
// It is the per-time generalisation of LearnedK: with every Wⱼ equal it is
// the scalar k = sigmoid(W). The Wⱼ share one Adam optimiser (Kingma & Ba)
// on the batch-mean gradient
//
//	∂L/∂Wⱼ = 1/B Σᵢ ∂Lᵢ/∂k · k(sᵢ)(1−k(sᵢ)) · hⱼ(sᵢ).
//
// With LR = 0 the schedule is fixed (Bridge.Frozen's copy for sampling).
type LearnedKSchedule struct {
	W []float64 // logit of k at each knot

	LR, Beta1, Beta2, Eps float64 // Adam hyper-parameters

	m, v []float64 // Adam moments
	t    int       // Adam step count
}

// NewLearnedKSchedule returns a schedule of knots knots (≥ 2) with every
// knot at k0 ∈ (0,1) and Adam(lr, 0.9, 0.999, 1e-8). It panics on fewer
// than two knots or k0 outside (0,1).
func NewLearnedKSchedule(knots int, k0, lr float64) *LearnedKSchedule {
	if knots < 2 {
		panic(fmt.Sprintf("kdiff: k(s) schedule with %d knots, want ≥ 2", knots))
	}
	if !(k0 > 0 && k0 < 1) {
		panic(fmt.Sprintf("kdiff: learned k init %g not in (0,1)", k0))
	}
	q := &LearnedKSchedule{W: make([]float64, knots), LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8,
		m: make([]float64, knots), v: make([]float64, knots)}
	for j := range q.W {
		q.W[j] = Logit(k0)
	}
	return q
}

// hat returns the knot interval of s, clamped to [0,1]: w(s) = (1−a)·W[j]
// + a·W[j+1].
func (q *LearnedKSchedule) hat(s float64) (j int, a float64) {
	seg := float64(len(q.W) - 1)
	x := math.Min(math.Max(s, 0), 1) * seg
	j = min(int(x), len(q.W)-2)
	return j, x - float64(j)
}

// K returns k(s) = sigmoid(w(s)).
func (q *LearnedKSchedule) K(s float64) float64 {
	j, a := q.hat(s)
	return Sigmoid((1-a)*q.W[j] + a*q.W[j+1])
}

// Knots returns k at each knot sⱼ = j/(M−1).
func (q *LearnedKSchedule) Knots() []float64 {
	out := make([]float64, len(q.W))
	for j, w := range q.W {
		out[j] = Sigmoid(w)
	}
	return out
}

// Grad returns ∂L/∂W for per-sample ∂Lᵢ/∂k at sᵢ averaged over the batch.
func (q *LearnedKSchedule) Grad(s, dLdk []float64) []float64 {
	g := make([]float64, len(q.W))
	for i := range s {
		j, a := q.hat(s[i])
		k := q.K(s[i])
		d := dLdk[i] * k * (1 - k) / float64(len(s))
		g[j] += (1 - a) * d
		g[j+1] += a * d
	}
	return g
}

// Step applies one Adam step on the gradient g = ∂L/∂W (nothing when LR
// is 0).
func (q *LearnedKSchedule) Step(g []float64) {
	if q.LR == 0 {
		return
	}
	q.t++
	c1 := 1 - math.Pow(q.Beta1, float64(q.t))
	c2 := 1 - math.Pow(q.Beta2, float64(q.t))
	for j, gj := range g {
		q.m[j] = q.Beta1*q.m[j] + (1-q.Beta1)*gj
		q.v[j] = q.Beta2*q.v[j] + (1-q.Beta2)*gj*gj
		q.W[j] -= q.LR * (q.m[j] / c1) / (math.Sqrt(q.v[j]/c2) + q.Eps)
	}
}

// MeanK returns E[k(s(σ))] for ln σ ~ N(l.PMean, l.PStd²), the average
// k the training distribution of σ sees, by the midpoint rule on 256
// equal-probability quantiles of ln σ.
func (q *LearnedKSchedule) MeanK(l diffusion.LogNormal) float64 {
	const n = 256
	nd := distuv.UnitNormal
	var sum float64
	for i := 0; i < n; i++ {
		z := nd.Quantile((float64(i) + 0.5) / n)
		sum += q.K(SFromSigma(math.Exp(l.PMean + l.PStd*z)))
	}
	return sum / n
}

// State returns (W, m, v, t) flattened for checkpoints: 3M+1 values.
func (q *LearnedKSchedule) State() []float64 {
	st := append(append(append([]float64{}, q.W...), q.m...), q.v...)
	return append(st, float64(q.t))
}

// SetState restores a State of the same number of knots.
func (q *LearnedKSchedule) SetState(st []float64) error {
	m := len(q.W)
	if len(st) != 3*m+1 {
		return fmt.Errorf("kdiff: k(s) schedule state has %d values, want %d (%d knots)", len(st), 3*m+1, m)
	}
	for _, v := range st {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("kdiff: k(s) schedule state is not finite")
		}
	}
	copy(q.W, st[:m])
	copy(q.m, st[m:2*m])
	copy(q.v, st[2*m:3*m])
	q.t = int(st[3*m])
	return nil
}

// fixed returns a copy that does not learn (LR = 0).
func (q *LearnedKSchedule) fixed() *LearnedKSchedule {
	c := NewLearnedKSchedule(len(q.W), 0.5, 0)
	copy(c.W, q.W)
	return c
}
