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
// With Schedule non-nil, k = k(s) varies with the noise level (a learned
// per-σ schedule, LearnedKSchedule) and the formulas above hold per sample
// with k = k(s(σ)); it takes precedence over Learned and K.
//
// A Bridge with a learned k carries mutable state; use it from one goroutine.
type Bridge struct {
	K       float64   // fixed k ∈ [0,1], used when Learned is nil
	Learned *LearnedK // learned k, or nil
	// Schedule is a learned k(s) per noise level, or nil.
	Schedule *LearnedKSchedule
	Loss     LossSpace // loss space (LossU by default)
	Clamp    float64   // lower bound on g in the loss weight (DefaultClamp)
}

var (
	_ diffusion.Target    = (*Bridge)(nil)
	_ diffusion.Learnable = (*Bridge)(nil)
)

// NewBridge returns the bridge for k (a learned k, or every knot of a
// learned k(s) schedule of DefaultKnots knots, starts at kInit with Adam
// learning rate kLR), loss space loss and the paper's clamp.
func NewBridge(k K, loss LossSpace, kInit, kLR float64) *Bridge {
	b := &Bridge{K: k.Value, Loss: loss, Clamp: DefaultClamp}
	switch {
	case k.Schedule:
		b.Schedule = NewLearnedKSchedule(DefaultKnots, kInit, kLR)
	case k.Learned:
		b.Learned = NewLearnedK(kInit, kLR)
	}
	return b
}

// KValue returns the current k; for a k(s) schedule, its mean over the
// training distribution of σ (EDM's log-normal), E[k(s(σ))].
func (b *Bridge) KValue() float64 {
	switch {
	case b.Schedule != nil:
		return b.Schedule.MeanK(diffusion.DefaultLogNormal)
	case b.Learned != nil:
		return b.Learned.K()
	}
	return b.K
}

// kAt returns the k in force at noise level σ.
func (b *Bridge) kAt(sigma float64) float64 {
	if b.Schedule != nil {
		return b.Schedule.K(SFromSigma(sigma))
	}
	return b.KValue()
}

// Scalings implements diffusion.Target.
func (b *Bridge) Scalings(sigma float64) diffusion.Scalings {
	k := b.kAt(sigma)
	den := k*sigma + 1 - k
	s := SFromSigma(sigma)
	return diffusion.Scalings{CSkip: (1 - k) / den, COut: sigma / den, CIn: s, CNoise: s}
}

// Weight implements diffusion.Target: LossWeight(Loss, s, k, Clamp)/c_out².
func (b *Bridge) Weight(sigma float64) float64 {
	k := b.kAt(sigma)
	c := sigma / (k*sigma + 1 - k)
	return LossWeight(b.Loss, SFromSigma(sigma), k, b.Clamp) / (c * c)
}

// Learn implements diffusion.Learnable. With e_i = (x_i − y_i)/σ_i it
// averages the per-sample ∂L/∂k of SampleLoss over the batch and takes one
// Adam step on W. It returns {"k", "dL_dk"}; with a fixed k it only reports k.
// With a k(s) schedule each sample's ∂L/∂k is taken at its own k(sᵢ) and
// the step is on the knots (LearnedKSchedule.Grad); "k" is then KValue.
func (b *Bridge) Learn(y, x *mat.Dense, sigmas []float64, out []float32) map[string]float64 {
	if b.Schedule != nil {
		return b.learnSchedule(y, x, sigmas, out)
	}
	if b.Learned == nil {
		return map[string]float64{"k": b.K}
	}
	k := b.KValue()
	_, dk := b.sampleDk(y, x, sigmas, out)
	if math.IsNaN(dk) || math.IsInf(dk, 0) {
		// Skip a non-finite step; the trainer's own loss check reports the run.
		return map[string]float64{"k": k, "dL_dk": dk}
	}
	b.Learned.Step(dk)
	return map[string]float64{"k": b.Learned.K(), "dL_dk": dk}
}

// sampleDk returns each sample's ∂L/∂k at k = k(σᵢ) and fixed network
// output (SampleLoss), with eᵢ = (xᵢ − yᵢ)/σᵢ, and their mean.
func (b *Bridge) sampleDk(y, x *mat.Dense, sigmas []float64, out []float32) ([]float64, float64) {
	r, c := y.Dims()
	if len(sigmas) != r || len(out) != r*c {
		panic(fmt.Sprintf("kdiff: Learn got %d σ and %d outputs for %d×%d rows", len(sigmas), len(out), r, c))
	}
	e := make([]float64, c)
	f := make([]float64, c)
	dks := make([]float64, r)
	var mean float64
	for i := 0; i < r; i++ {
		yr, xr := y.RawRowView(i), x.RawRowView(i)
		sg := sigmas[i]
		for j := range e {
			e[j] = (xr[j] - yr[j]) / sg
			f[j] = float64(out[i*c+j])
		}
		_, dks[i] = SampleLoss(b.Loss, f, yr, e, SFromSigma(sg), b.kAt(sg), b.Clamp)
		mean += dks[i]
	}
	return dks, mean / float64(r)
}

// learnSchedule is Learn for a k(s) schedule.
func (b *Bridge) learnSchedule(y, x *mat.Dense, sigmas []float64, out []float32) map[string]float64 {
	dks, mean := b.sampleDk(y, x, sigmas, out)
	if math.IsNaN(mean) || math.IsInf(mean, 0) {
		return map[string]float64{"k": b.KValue(), "dL_dk": mean}
	}
	s := make([]float64, len(sigmas))
	for i, sg := range sigmas {
		s[i] = SFromSigma(sg)
	}
	b.Schedule.Step(b.Schedule.Grad(s, dks))
	return map[string]float64{"k": b.KValue(), "dL_dk": mean}
}

// LearnState implements diffusion.Learnable (nil for a fixed k).
func (b *Bridge) LearnState() []float64 {
	if b.Schedule != nil {
		return b.Schedule.State()
	}
	if b.Learned == nil {
		return nil
	}
	return b.Learned.State()
}

// SetLearnState implements diffusion.Learnable.
func (b *Bridge) SetLearnState(st []float64) error {
	if b.Schedule != nil {
		return b.Schedule.SetState(st)
	}
	if b.Learned == nil {
		if len(st) != 0 {
			return fmt.Errorf("kdiff: learned-k state given to a fixed-k bridge")
		}
		return nil
	}
	return b.Learned.SetState(st)
}

// Frozen returns a fixed-k copy of b at its current k (or its current k(s)
// schedule, no longer learning), for sampling.
func (b *Bridge) Frozen() *Bridge {
	f := &Bridge{K: b.KValue(), Loss: b.Loss, Clamp: b.Clamp}
	if b.Schedule != nil {
		f.Schedule = b.Schedule.fixed()
	}
	return f
}
