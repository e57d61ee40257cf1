package kdiff

import "fmt"

// LossSpace is the space in which the regression error is measured. It is a
// knob separate from the prediction target k (JiT predicts x but measures
// the loss in v).
type LossSpace int

const (
	// LossU is plain MSE on the network output: ‖û − u_k‖² (the paper's
	// [I] default).
	LossU LossSpace = iota
	// LossV is MSE on the velocity: ‖v̂ − v‖² = ‖û − u_k‖²/g_c², v = x − e
	// (JiT's choice).
	LossV
	// LossX is MSE on the data estimate: ‖x̂ − x‖² = ((1−s)/g_c)²·‖û − u_k‖².
	LossX
)

// String returns "u", "v" or "x".
func (l LossSpace) String() string {
	switch l {
	case LossU:
		return "u"
	case LossV:
		return "v"
	case LossX:
		return "x"
	}
	return fmt.Sprintf("LossSpace(%d)", int(l))
}

// ParseLossSpace parses "u", "v" or "x".
func ParseLossSpace(s string) (LossSpace, error) {
	switch s {
	case "u":
		return LossU, nil
	case "v":
		return LossV, nil
	case "x":
		return LossX, nil
	}
	return 0, fmt.Errorf("kdiff: unknown loss space %q (want u, v or x)", s)
}

// Set implements flag.Value.
func (l *LossSpace) Set(s string) error {
	v, err := ParseLossSpace(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// LossWeight returns λ such that the loss of one sample in space l equals
// λ·‖û − u_k‖², with g_c = max(g(s,k), clamp):
//
//	u: λ = 1,   v: λ = 1/g_c²,   x: λ = (1−s)²/g_c².
//
// Hence u-loss = g²·v-loss = (g/(1−s))²·x-loss where the clamp is inactive.
func LossWeight(l LossSpace, s, k, clamp float64) float64 {
	g := clampG(G(s, k), clamp)
	switch l {
	case LossU:
		return 1
	case LossV:
		return 1 / (g * g)
	case LossX:
		return (1 - s) * (1 - s) / (g * g)
	}
	panic(fmt.Sprintf("kdiff: unknown loss space %d", int(l)))
}

// dLossWeightDK returns ∂λ/∂k at fixed s (0 where the clamp is active, since
// g_c is then constant in k): ∂g/∂k = 1 − 2s.
func dLossWeightDK(l LossSpace, s, k, clamp float64) float64 {
	g := G(s, k)
	if l == LossU || g < clamp {
		return 0
	}
	dg := 1 - 2*s
	switch l {
	case LossV:
		return -2 * dg / (g * g * g)
	case LossX:
		return -2 * (1 - s) * (1 - s) * dg / (g * g * g)
	}
	panic(fmt.Sprintf("kdiff: unknown loss space %d", int(l)))
}

// SampleLoss returns the loss of one sample, λ·‖û − u_k‖², and its
// derivative with respect to k at fixed network output û, clean x and noise e:
//
//	∂L/∂k = λ'(k)·‖r‖² − 2λ·⟨r, x + e⟩,   r = û − u_k,   ∂u_k/∂k = x + e.
//
// (For the v-loss this equals 2⟨v̂ − v, ∂v̂/∂k⟩ with ∂v̂/∂k = −[2z + (1−2s)v̂]/g.)
func SampleLoss(l LossSpace, uhat, x, e []float64, s, k, clamp float64) (loss, dk float64) {
	if len(uhat) != len(x) || len(x) != len(e) {
		panic("kdiff: SampleLoss length mismatch")
	}
	var r2, rxe float64
	for i := range uhat {
		r := uhat[i] - (k*x[i] - (1-k)*e[i])
		r2 += r * r
		rxe += r * (x[i] + e[i])
	}
	lam := LossWeight(l, s, k, clamp)
	return lam * r2, dLossWeightDK(l, s, k, clamp)*r2 - 2*lam*rxe
}
