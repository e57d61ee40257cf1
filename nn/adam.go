package nn

import (
	"fmt"
	"math"

	"genlab/nn/kern"
)

// AdamConfig configures the Adam optimiser. Zero fields select the defaults
// LR = 1e-3, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8 (PyTorch's). Since a zero
// Beta1 means "default", NoMomentum selects β₁ = 0 exactly (StyleGAN2's
// Adam(β = (0, 0.99))); Beta1 must then be left 0.
//
// The learning rate of step t = 1, 2, … (the t-th update) is
//
//	lr_t = LR·min(t/WarmupSteps, 1)
//
// (EDM's linear ramp; no ramp when WarmupSteps ≤ 0). If GradClip > 0 the
// gradient g is first scaled by min(1, GradClip/‖g‖₂), ‖g‖₂ the global norm
// over all trainable parameters. The update is, elementwise,
//
//	m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
//	θ ← θ − lr_t·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε).
type AdamConfig struct {
	LR, Beta1, Beta2, Eps float64
	WarmupSteps           int
	GradClip              float64
	NoMomentum            bool // β₁ = 0: m is the current gradient
}

func (c AdamConfig) withDefaults() AdamConfig {
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.Beta1 == 0 && !c.NoMomentum {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
	return c
}

func (c AdamConfig) validate() error {
	if c.LR < 0 || c.Beta1 < 0 || (c.NoMomentum && c.Beta1 != 0) || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1 || c.Eps < 0 || c.GradClip < 0 ||
		math.IsNaN(c.LR+c.Beta1+c.Beta2+c.Eps+c.GradClip) {
		return fmt.Errorf("nn: invalid Adam config %+v", c)
	}
	return nil
}

// LRAt returns lr_t, the learning rate of the t-th update (t ≥ 1).
func (c AdamConfig) LRAt(t int) float64 {
	c = c.withDefaults()
	if c.WarmupSteps > 0 && t < c.WarmupSteps {
		return c.LR * float64(t) / float64(c.WarmupSteps)
	}
	return c.LR
}

// Adam is the Adam optimiser over a list of Params, written in Go so that
// its state can be checkpointed. Frozen parameters are never updated. The
// Trainer uses one; code with its own graphs (see Binder) can use one
// directly.
type Adam struct {
	cfg    AdamConfig
	params []*Param
	m, v   [][]float32 // one per param; empty for frozen ones
	step   int
}

// NewAdam returns an optimiser with zero moments for params.
func NewAdam(params []*Param, cfg AdamConfig) (*Adam, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	a := &Adam{cfg: cfg.withDefaults(), params: params, m: make([][]float32, len(params)), v: make([][]float32, len(params))}
	for i, p := range params {
		if !p.Frozen {
			a.m[i] = make([]float32, p.Len())
			a.v[i] = make([]float32, p.Len())
		}
	}
	return a, nil
}

// Config returns the configuration with defaults resolved.
func (a *Adam) Config() AdamConfig { return a.cfg }

// Steps returns the number of updates applied (including restored ones).
func (a *Adam) Steps() int { return a.step }

// Update applies one step with gradients grads (one per param, in order;
// nil or ignored for frozen params), in float32 (kern.AdamStep). When
// GradClip scales the gradient, grads are scaled in place. A non-finite
// gradient returns an error wrapping ErrNonFinite and changes nothing. It
// panics on wrong lengths.
func (a *Adam) Update(grads [][]float32) error {
	if len(grads) != len(a.params) {
		panic(fmt.Sprintf("nn: Adam.Update: %d gradients for %d params", len(grads), len(a.params)))
	}
	var sq float64
	for i, g := range grads {
		if a.params[i].Frozen {
			continue
		}
		if len(g) != a.params[i].Len() {
			panic(fmt.Sprintf("nn: Adam.Update: gradient of %s has length %d, want %d", a.params[i].Name, len(g), a.params[i].Len()))
		}
		for _, x := range g {
			sq += float64(x) * float64(x)
		}
	}
	if math.IsNaN(sq) || math.IsInf(sq, 0) {
		return fmt.Errorf("nn: Adam step %d: gradient norm² %v: %w", a.step+1, sq, ErrNonFinite)
	}
	scale := 1.0
	if a.cfg.GradClip > 0 {
		if norm := math.Sqrt(sq); norm > a.cfg.GradClip {
			scale = a.cfg.GradClip / norm
		}
	}
	a.step++
	c := a.cfg
	bc1 := 1 - math.Pow(c.Beta1, float64(a.step))
	bc2 := 1 - math.Pow(c.Beta2, float64(a.step))
	lr := c.LRAt(a.step)
	for i, g := range grads {
		if a.params[i].Frozen {
			continue
		}
		if scale != 1 {
			kern.Scale(float32(scale), g)
		}
		kern.AdamStep(a.params[i].Data(), g, a.m[i], a.v[i], float32(lr), float32(c.Beta1), float32(c.Beta2),
			float32(c.Eps), float32(bc1), float32(bc2), 0)
	}
	return nil
}

// State returns copies of the first and second moments (one slice per
// Param; empty for frozen parameters) and the step count.
func (a *Adam) State() (m, v [][]float32, step int) {
	m = make([][]float32, len(a.m))
	v = make([][]float32, len(a.v))
	for i := range a.m {
		m[i] = append([]float32{}, a.m[i]...)
		v[i] = append([]float32{}, a.v[i]...)
	}
	return m, v, a.step
}

// SetState restores moments and step count saved by State. Frozen
// parameters may be given as empty slices or as slices of the parameter's
// length (ignored). Nothing changes on error.
func (a *Adam) SetState(m, v [][]float32, step int) error {
	if len(m) != len(a.params) || len(v) != len(a.params) {
		return fmt.Errorf("nn: Adam.SetState: %d/%d moment tensors, want %d", len(m), len(v), len(a.params))
	}
	if step < 0 {
		return fmt.Errorf("nn: Adam.SetState: step %d < 0", step)
	}
	for i, p := range a.params {
		if p.Frozen {
			if (len(m[i]) != 0 && len(m[i]) != p.Len()) || (len(v[i]) != 0 && len(v[i]) != p.Len()) {
				return fmt.Errorf("nn: Adam.SetState: frozen %s has moments of length %d/%d", p.Name, len(m[i]), len(v[i]))
			}
			continue
		}
		if len(m[i]) != p.Len() || len(v[i]) != p.Len() {
			return fmt.Errorf("nn: Adam.SetState: %s has moments of length %d/%d, want %d", p.Name, len(m[i]), len(v[i]), p.Len())
		}
	}
	for i, p := range a.params {
		if !p.Frozen {
			copy(a.m[i], m[i])
			copy(a.v[i], v[i])
		}
	}
	a.step = step
	return nil
}
