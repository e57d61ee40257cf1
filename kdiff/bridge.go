package kdiff

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"genlab/diffusion"
)

// Bridge adapts the k-Diff target family to the EDM core. For y = x + σ·e
// (diffusion.Gaussian) set
//
//	s = 1/(1+σ),   z = y/(1+σ) = s·x + (1−s)·e,
//
// so the network F(z; s) regresses u_k and the denoiser D(y;σ) = x̂(z, s) is
//
//	D = [(1−k)·y + σ·F] / (kσ + 1 − k):
//	c_skip = (1−k)/(kσ+1−k),  c_out = σ/(kσ+1−k),  c_in = s,  c_noise = s.
//
// (k = 1: D = F; k = 0: D = y + σ·F, ε-prediction with F = −e.) These
// scalings use the exact, unclamped inversion, which is finite for every
// σ ∈ (0,∞) and k ∈ [0,1]; the clamped x̂ at k = 1 would shrink the estimate
// toward 0 as σ → 0. The clamp g ≥ Clamp enters only the loss weight, where
// JiT puts it:
//
//	Weight(σ) = LossWeight(Loss, s, k, Clamp)/c_out²,
//
// so the trainer's per-sample loss Weight·c_out²·‖F − u_k‖² is the loss in
// space Loss. With Learned non-nil, k = sigmoid(Learned.W) and Bridge implements
// diffusion.Learnable: after every network step it takes one Adam step on W.
//
// A Bridge with a learned k carries mutable state; use it from one goroutine.
type Bridge struct {
	K       float64   // fixed k ∈ [0,1], used when Learned is nil
	Learned *LearnedK // learned k, or nil
	Loss    LossSpace // loss space (LossU by default)
	Clamp   float64   // lower bound on g in the loss weight (DefaultClamp)
}

var (
	_ diffusion.Target    = (*Bridge)(nil)
	_ diffusion.Learnable = (*Bridge)(nil)
)

// NewBridge returns the bridge for k (a learned k starts at kInit with Adam
// learning rate kLR), loss space loss and the paper's clamp.
func NewBridge(k K, loss LossSpace, kInit, kLR float64) *Bridge {
	b := &Bridge{K: k.Value, Loss: loss, Clamp: DefaultClamp}
	if k.Learned {
		b.Learned = NewLearnedK(kInit, kLR)
	}
	return b
}

// KValue returns the current k.
func (b *Bridge) KValue() float64 {
	if b.Learned != nil {
		return b.Learned.K()
	}
	return b.K
}

// Scalings implements diffusion.Target.
func (b *Bridge) Scalings(sigma float64) diffusion.Scalings {
	k := b.KValue()
	den := k*sigma + 1 - k
	s := SFromSigma(sigma)
	return diffusion.Scalings{CSkip: (1 - k) / den, COut: sigma / den, CIn: s, CNoise: s}
}

// Weight implements diffusion.Target: LossWeight(Loss, s, k, Clamp)/c_out².
func (b *Bridge) Weight(sigma float64) float64 {
	k := b.KValue()
	c := sigma / (k*sigma + 1 - k)
	return LossWeight(b.Loss, SFromSigma(sigma), k, b.Clamp) / (c * c)
}

// Learn implements diffusion.Learnable. With e_i = (x_i − y_i)/σ_i it
// averages the per-sample ∂L/∂k of SampleLoss over the batch and takes one
// Adam step on W. It returns {"k", "dL_dk"}; with a fixed k it only reports k.
func (b *Bridge) Learn(y, x *mat.Dense, sigmas []float64, out []float32) map[string]float64 {
	if b.Learned == nil {
		return map[string]float64{"k": b.K}
	}
	r, c := y.Dims()
	if len(sigmas) != r || len(out) != r*c {
		panic(fmt.Sprintf("kdiff: Learn got %d σ and %d outputs for %d×%d rows", len(sigmas), len(out), r, c))
	}
	k := b.KValue()
	e := make([]float64, c)
	f := make([]float64, c)
	var dk float64
	for i := 0; i < r; i++ {
		yr, xr := y.RawRowView(i), x.RawRowView(i)
		sg := sigmas[i]
		for j := range e {
			e[j] = (xr[j] - yr[j]) / sg
			f[j] = float64(out[i*c+j])
		}
		_, d := SampleLoss(b.Loss, f, yr, e, SFromSigma(sg), k, b.Clamp)
		dk += d
	}
	dk /= float64(r)
	if math.IsNaN(dk) || math.IsInf(dk, 0) {
		// Skip a non-finite step; the trainer's own loss check reports the run.
		return map[string]float64{"k": k, "dL_dk": dk}
	}
	b.Learned.Step(dk)
	return map[string]float64{"k": b.Learned.K(), "dL_dk": dk}
}

// LearnState implements diffusion.Learnable (nil for a fixed k).
func (b *Bridge) LearnState() []float64 {
	if b.Learned == nil {
		return nil
	}
	return b.Learned.State()
}

// SetLearnState implements diffusion.Learnable.
func (b *Bridge) SetLearnState(st []float64) error {
	if b.Learned == nil {
		if len(st) != 0 {
			return fmt.Errorf("kdiff: learned-k state given to a fixed-k bridge")
		}
		return nil
	}
	return b.Learned.SetState(st)
}

// Frozen returns a fixed-k copy of b at its current k, for sampling.
func (b *Bridge) Frozen() *Bridge {
	return &Bridge{K: b.KValue(), Loss: b.Loss, Clamp: b.Clamp}
}
