package nn

import (
	"errors"
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ErrNonFinite reports a NaN or ±Inf loss or gradient; the parameters were
// not updated.
var ErrNonFinite = errors.New("nn: non-finite loss or gradient")

// AdamConfig configures the Adam optimiser of a Trainer. Zero fields select
// the defaults LR = 1e-3, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8 (PyTorch's).
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
}

func (c AdamConfig) withDefaults() AdamConfig {
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.Beta1 == 0 {
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

// LRAt returns lr_t, the learning rate of the t-th update (t ≥ 1).
func (c AdamConfig) LRAt(t int) float64 {
	c = c.withDefaults()
	if c.WarmupSteps > 0 && t < c.WarmupSteps {
		return c.LR * float64(t) / float64(c.WarmupSteps)
	}
	return c.LR
}

// Trainer is a compiled training graph of a model at a fixed batch size, with
// its own Adam state (kept in Go so that checkpoints can save it). The loss
// of a batch is the weighted squared error
//
//	L = (1/B)·Σ_i w_i·Σ_j (F_ij − target_ij)².
//
// A Trainer is not safe for concurrent use.
type Trainer struct {
	m      Model
	cfg    AdamConfig
	batch  int
	params []*Param
	f      *fwdGraph
	td, wd []float32 // backing of target and weight
	nodes  []*G.Node // node of each param (nil for frozen ones)
	vm     G.VM
	lossV  G.Value
	outV   G.Value
	am, av [][]float32 // Adam moments, one per param (zero length for frozen ones)
	step   int
}

// NewTrainer compiles the forward and backward graph of m at the given batch
// size.
func NewTrainer(m Model, batch int, cfg AdamConfig) (*Trainer, error) {
	if cfg.LR < 0 || cfg.Beta1 < 0 || cfg.Beta1 >= 1 || cfg.Beta2 < 0 || cfg.Beta2 >= 1 || cfg.Eps < 0 || cfg.GradClip < 0 {
		return nil, fmt.Errorf("nn: NewTrainer: invalid Adam config %+v", cfg)
	}
	f, err := buildForward(m, batch)
	if err != nil {
		return nil, fmt.Errorf("nn: NewTrainer: %w", err)
	}
	t := &Trainer{m: m, cfg: cfg.withDefaults(), batch: batch, params: m.Params(), f: f}
	t.td = make([]float32, batch*m.Out())
	t.wd = make([]float32, batch)
	target := G.NewMatrix(f.g, tensor.Float32, G.WithShape(batch, m.Out()), G.WithName("target"),
		G.WithValue(tensor.New(tensor.WithShape(batch, m.Out()), tensor.WithBacking(t.td))))
	weight := G.NewVector(f.g, tensor.Float32, G.WithShape(batch), G.WithName("weight"),
		G.WithValue(tensor.New(tensor.WithShape(batch), tensor.WithBacking(t.wd))))
	loss, err := weightedSquaredError(f.out, target, weight)
	if err != nil {
		return nil, fmt.Errorf("nn: NewTrainer: %w", err)
	}
	var learn []*G.Node
	t.nodes = make([]*G.Node, len(t.params))
	t.am = make([][]float32, len(t.params))
	t.av = make([][]float32, len(t.params))
	for i, p := range t.params {
		if p.Frozen {
			continue
		}
		n, ok := f.b.nodes[p]
		if !ok {
			return nil, fmt.Errorf("nn: NewTrainer: parameter %s is not used by the model's graph", p.Name)
		}
		t.nodes[i] = n
		learn = append(learn, n)
		t.am[i] = make([]float32, p.Len())
		t.av[i] = make([]float32, p.Len())
	}
	if len(learn) == 0 {
		return nil, errors.New("nn: NewTrainer: model has no trainable parameters")
	}
	if _, err := G.Grad(loss, learn...); err != nil {
		return nil, fmt.Errorf("nn: NewTrainer: symbolic gradient: %w", err)
	}
	G.Read(loss, &t.lossV)
	G.Read(f.out, &t.outV)
	t.vm = G.NewTapeMachine(f.g, G.BindDualValues(learn...))
	return t, nil
}

// weightedSquaredError adds L = mean_i w_i·Σ_j (out_ij − target_ij)².
func weightedSquaredError(out, target, weight *G.Node) (*G.Node, error) {
	d, err := G.Sub(out, target)
	if err != nil {
		return nil, fmt.Errorf("loss difference: %w", err)
	}
	if d, err = G.Square(d); err != nil {
		return nil, fmt.Errorf("loss square: %w", err)
	}
	if d, err = G.Sum(d, 1); err != nil {
		return nil, fmt.Errorf("loss row sum: %w", err)
	}
	if d, err = G.HadamardProd(d, weight); err != nil {
		return nil, fmt.Errorf("loss weight: %w", err)
	}
	if d, err = G.Mean(d); err != nil {
		return nil, fmt.Errorf("loss mean: %w", err)
	}
	return d, nil
}

// Model returns the trained model.
func (t *Trainer) Model() Model { return t.m }

// Batch returns the fixed batch size.
func (t *Trainer) Batch() int { return t.batch }

// Steps returns the number of Adam updates taken (including those restored
// by SetAdamState).
func (t *Trainer) Steps() int { return t.step }

// Step runs forward and backward on one batch and applies one Adam update.
// x is batch×In, c has length batch, target is batch×Out and weight has
// length batch (all row-major); wrong lengths panic. It returns the loss
// before the update and F from the same forward pass (batch×Out, valid until
// the next Step). A non-finite loss or gradient returns an error wrapping
// ErrNonFinite and leaves the parameters and Adam state unchanged.
func (t *Trainer) Step(x, c, target, weight []float32) (loss float64, out []float32, err error) {
	defer t.zeroGrads()
	loss, out, grads, sq, err := t.run(x, c, target, weight)
	if err != nil {
		return loss, out, err
	}
	scale := 1.0
	if t.cfg.GradClip > 0 {
		if norm := math.Sqrt(sq); norm > t.cfg.GradClip {
			scale = t.cfg.GradClip / norm
		}
	}
	t.step++
	t.adam(grads, scale)
	return loss, out, nil
}

// run evaluates the loss, the output and the gradients (views of gorgonia's
// accumulators, nil for frozen parameters) and the squared global gradient
// norm. The caller must call zeroGrads afterwards.
func (t *Trainer) run(x, c, target, weight []float32) (loss float64, out []float32, grads [][]float32, sq float64, err error) {
	if len(x) != len(t.f.xd) || len(c) != t.batch || len(target) != len(t.td) || len(weight) != t.batch {
		panic(fmt.Sprintf("nn: Trainer.Step: lengths x %d, c %d, target %d, weight %d; want %d, %d, %d, %d",
			len(x), len(c), len(target), len(weight), len(t.f.xd), t.batch, len(t.td), t.batch))
	}
	copy(t.f.xd, x)
	copy(t.f.cd, c)
	copy(t.td, target)
	copy(t.wd, weight)
	defer t.vm.Reset()
	if err := t.vm.RunAll(); err != nil {
		return 0, nil, nil, 0, fmt.Errorf("nn: Trainer.Step %d: %w", t.step+1, err)
	}
	loss = float64(t.lossV.Data().(float32))
	out = t.outV.Data().([]float32)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, out, nil, 0, fmt.Errorf("nn: Trainer.Step %d: loss %v: %w", t.step+1, loss, ErrNonFinite)
	}
	grads = make([][]float32, len(t.params))
	for i, n := range t.nodes {
		if n == nil {
			continue
		}
		gv, err := n.Grad()
		if err != nil {
			return loss, out, nil, 0, fmt.Errorf("nn: Trainer.Step %d: gradient of %s: %w", t.step+1, t.params[i].Name, err)
		}
		grads[i] = gv.Data().([]float32)
		for _, g := range grads[i] {
			sq += float64(g) * float64(g)
		}
	}
	if math.IsNaN(sq) || math.IsInf(sq, 0) {
		return loss, out, nil, sq, fmt.Errorf("nn: Trainer.Step %d: gradient norm² %v: %w", t.step+1, sq, ErrNonFinite)
	}
	return loss, out, grads, sq, nil
}

// Gradients evaluates the loss and its gradient with respect to every
// parameter (copies, in Params() order; nil for frozen parameters) without
// updating anything. It is the route the finite-difference checks test.
func (t *Trainer) Gradients(x, c, target, weight []float32) (loss float64, grads [][]float32, err error) {
	defer t.zeroGrads()
	loss, _, gs, _, err := t.run(x, c, target, weight)
	if err != nil {
		return loss, nil, err
	}
	grads = make([][]float32, len(gs))
	for i, g := range gs {
		if g != nil {
			grads[i] = append([]float32(nil), g...)
		}
	}
	return loss, grads, nil
}

// adam applies one update with the gradients scaled by scale.
func (t *Trainer) adam(grads [][]float32, scale float64) {
	c := t.cfg
	b1, b2 := c.Beta1, c.Beta2
	bc1 := 1 - math.Pow(b1, float64(t.step))
	bc2 := 1 - math.Pow(b2, float64(t.step))
	lr := c.LRAt(t.step)
	// θ −= lr/bc1 · m / (√v/√bc2 + ε)
	stepSize := lr / bc1
	isq := 1 / math.Sqrt(bc2)
	for i, g := range grads {
		if g == nil {
			continue
		}
		th, m, v := t.params[i].Data(), t.am[i], t.av[i]
		for j, gj := range g {
			gg := float64(gj) * scale
			mj := b1*float64(m[j]) + (1-b1)*gg
			vj := b2*float64(v[j]) + (1-b2)*gg*gg
			m[j], v[j] = float32(mj), float32(vj)
			th[j] -= float32(stepSize * mj / (math.Sqrt(vj)*isq + c.Eps))
		}
	}
}

// zeroGrads clears the gradient accumulators (gorgonia adds each run's
// gradient into the dual value).
func (t *Trainer) zeroGrads() {
	for _, n := range t.nodes {
		if n == nil {
			continue
		}
		if gv, err := n.Grad(); err == nil {
			if tt, ok := gv.(tensor.Tensor); ok {
				tt.Zero()
			}
		}
	}
}

// AdamState returns copies of the first and second moments (one slice per
// Param in Params() order; empty for frozen parameters) and the step count.
func (t *Trainer) AdamState() (m, v [][]float32, step int) {
	m = make([][]float32, len(t.am))
	v = make([][]float32, len(t.av))
	for i := range t.am {
		m[i] = append([]float32{}, t.am[i]...)
		v[i] = append([]float32{}, t.av[i]...)
	}
	return m, v, t.step
}

// SetAdamState restores moments and step count saved by AdamState. Frozen
// parameters may be given as empty slices or as slices of the parameter's
// length (ignored).
func (t *Trainer) SetAdamState(m, v [][]float32, step int) error {
	if len(m) != len(t.params) || len(v) != len(t.params) {
		return fmt.Errorf("nn: SetAdamState: %d/%d moment tensors, model has %d params", len(m), len(v), len(t.params))
	}
	if step < 0 {
		return fmt.Errorf("nn: SetAdamState: step %d < 0", step)
	}
	for i, p := range t.params {
		if p.Frozen {
			if (len(m[i]) != 0 && len(m[i]) != p.Len()) || (len(v[i]) != 0 && len(v[i]) != p.Len()) {
				return fmt.Errorf("nn: SetAdamState: frozen %s has moments of length %d/%d", p.Name, len(m[i]), len(v[i]))
			}
			continue
		}
		if len(m[i]) != p.Len() || len(v[i]) != p.Len() {
			return fmt.Errorf("nn: SetAdamState: %s has moments of length %d/%d, want %d", p.Name, len(m[i]), len(v[i]), p.Len())
		}
	}
	for i, p := range t.params {
		if p.Frozen {
			continue
		}
		copy(t.am[i], m[i])
		copy(t.av[i], v[i])
	}
	t.step = step
	return nil
}

// Close releases the compiled machine.
func (t *Trainer) Close() { t.vm.Close() }
