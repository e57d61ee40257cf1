package kdiff

import (
	"fmt"
	"math"
)

// LearnedK is the learned target parameter k = sigmoid(W): one scalar shared
// by all times and dimensions, trained jointly with the network by its own
// Adam optimiser (Kingma & Ba) on ∂L/∂W = ∂L/∂k · k(1−k).
type LearnedK struct {
	W float64 // logit of k

	LR, Beta1, Beta2, Eps float64 // Adam hyper-parameters

	m, v float64 // Adam moments
	t    int     // Adam step count
}

// DefaultKLR is the default Adam learning rate of W. The paper's value is
// unknown; 1e-2 lets k cross most of (0,1) within a few thousand steps.
const DefaultKLR = 1e-2

// NewLearnedK returns k initialised at k0 ∈ (0,1) (the [I] default is ½,
// W = 0) with Adam(lr, 0.9, 0.999, 1e-8). It panics if k0 is not in (0,1).
func NewLearnedK(k0, lr float64) *LearnedK {
	if !(k0 > 0 && k0 < 1) {
		panic(fmt.Sprintf("kdiff: learned k init %g not in (0,1)", k0))
	}
	return &LearnedK{W: Logit(k0), LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// K returns sigmoid(W).
func (l *LearnedK) K() float64 { return Sigmoid(l.W) }

// Step applies one Adam step given dL/dk; it returns dL/dW = dL/dk·k(1−k).
func (l *LearnedK) Step(dLdk float64) float64 {
	k := l.K()
	gw := dLdk * k * (1 - k)
	l.t++
	l.m = l.Beta1*l.m + (1-l.Beta1)*gw
	l.v = l.Beta2*l.v + (1-l.Beta2)*gw*gw
	mh := l.m / (1 - math.Pow(l.Beta1, float64(l.t)))
	vh := l.v / (1 - math.Pow(l.Beta2, float64(l.t)))
	l.W -= l.LR * mh / (math.Sqrt(vh) + l.Eps)
	return gw
}

// State returns (W, m, v, t) for checkpoints.
func (l *LearnedK) State() []float64 { return []float64{l.W, l.m, l.v, float64(l.t)} }

// SetState restores a State.
func (l *LearnedK) SetState(st []float64) error {
	if len(st) != 4 {
		return fmt.Errorf("kdiff: learned-k state has %d values, want 4", len(st))
	}
	for _, v := range st {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("kdiff: learned-k state %v is not finite", st)
		}
	}
	l.W, l.m, l.v, l.t = st[0], st[1], st[2], int(st[3])
	return nil
}
