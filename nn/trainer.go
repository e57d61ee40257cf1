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

// Trainer is a compiled training graph of a model at a fixed batch size, with
// its own Adam state (kept in Go so that checkpoints can save it). The loss
// of a batch is the weighted squared error
//
//	L = (1/B)·Σ_i w_i·Σ_j (F_ij − target_ij)².
//
// A Trainer is not safe for concurrent use.
type Trainer struct {
	m      Model
	batch  int
	params []*Param
	opt    *Adam

	// The engine route (UNet, MLP): per-shard gradient slots, reduced into
	// gs[0]; the output and its loss gradient of the last step.
	eng        *engine
	gs         [][][]float32
	grads      [][]float32 // gs[0] with nil for frozen parameters
	out, dout  []float32
	lossParts  []float64
	cur        stepArgs
	shardStepF func(w, s int)

	// The graph route (any other Model): a gorgonia TapeMachine.
	f      *fwdGraph
	td, wd []float32 // backing of target and weight
	nodes  []*G.Node // node of each param (nil for frozen ones)
	vm     G.VM
	lossV  G.Value
	outV   G.Value
}

// stepArgs are the inputs of the step being run by the engine's workers.
type stepArgs struct{ x, c, target, weight []float32 }

// NewTrainer returns a trainer of m at the given batch size. The UNet and
// the MLP run on nn's engine (fused kernels, no per-step allocation, shards
// of the batch over GOMAXPROCS goroutines; results do not depend on the
// thread count); any other Model runs as a compiled gorgonia graph of its
// Forward and the loss, differentiated by gorgonia.
func NewTrainer(m Model, batch int, cfg AdamConfig) (*Trainer, error) {
	if em, ok := m.(engineModel); ok {
		return newEngineTrainer(em, batch, cfg)
	}
	return newGraphTrainer(m, batch, cfg)
}

func newEngineTrainer(m engineModel, batch int, cfg AdamConfig) (*Trainer, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("nn: NewTrainer: %w", err)
	}
	e, err := newEngine(m, batch)
	if err != nil {
		return nil, fmt.Errorf("nn: NewTrainer: %w", err)
	}
	t := &Trainer{m: m, batch: batch, params: e.params, eng: e}
	if t.opt, err = NewAdam(t.params, cfg); err != nil {
		return nil, fmt.Errorf("nn: NewTrainer: %w", err)
	}
	if NumParams(m) == 0 {
		return nil, errors.New("nn: NewTrainer: model has no trainable parameters")
	}
	t.gs = make([][][]float32, len(e.parts))
	for s := range t.gs {
		t.gs[s] = gradSlots(t.params)
	}
	t.grads = make([][]float32, len(t.params))
	for i, p := range t.params {
		if !p.Frozen {
			t.grads[i] = t.gs[0][i]
		}
	}
	t.out = make([]float32, batch*m.Out())
	t.dout = make([]float32, batch*m.Out())
	t.lossParts = make([]float64, len(e.parts))
	t.shardStepF = t.shardStep
	closeWhenUnreachable(t, e)
	return t, nil
}

// newGraphTrainer compiles the forward and backward graph of m.
func newGraphTrainer(m Model, batch int, cfg AdamConfig) (*Trainer, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("nn: NewTrainer: %w", err)
	}
	f, err := buildForward(m, batch)
	if err != nil {
		return nil, fmt.Errorf("nn: NewTrainer: %w", err)
	}
	t := &Trainer{m: m, batch: batch, params: m.Params(), f: f}
	if t.opt, err = NewAdam(t.params, cfg); err != nil {
		return nil, fmt.Errorf("nn: NewTrainer: %w", err)
	}
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
	for i, p := range t.params {
		if p.Frozen {
			continue
		}
		n, ok := f.b.Bound(p)
		if !ok {
			return nil, fmt.Errorf("nn: NewTrainer: parameter %s is not used by the model's graph", p.Name)
		}
		t.nodes[i] = n
		learn = append(learn, n)
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
func (t *Trainer) Steps() int { return t.opt.Steps() }

// Config returns the Adam configuration with defaults resolved.
func (t *Trainer) Config() AdamConfig { return t.opt.Config() }

// Step runs forward and backward on one batch and applies one Adam update.
// x is batch×In, c has length batch, target is batch×Out and weight has
// length batch (all row-major); wrong lengths panic. It returns the loss
// before the update and F from the same forward pass (batch×Out, valid until
// the next Step). A non-finite loss or gradient returns an error wrapping
// ErrNonFinite and leaves the parameters and Adam state unchanged.
func (t *Trainer) Step(x, c, target, weight []float32) (loss float64, out []float32, err error) {
	defer t.zeroGrads()
	loss, out, grads, _, err := t.run(x, c, target, weight)
	if err != nil {
		return loss, out, err
	}
	if err := t.opt.Update(grads); err != nil {
		return loss, out, fmt.Errorf("nn: Trainer.Step: %w", err)
	}
	return loss, out, nil
}

// run evaluates the loss, the output and the gradients (views of gorgonia's
// accumulators, nil for frozen parameters) and the squared global gradient
// norm. The caller must call zeroGrads afterwards.
func (t *Trainer) run(x, c, target, weight []float32) (loss float64, out []float32, grads [][]float32, sq float64, err error) {
	nIn, nOut := t.batch*t.m.In(), t.batch*t.m.Out()
	if len(x) != nIn || len(c) != t.batch || len(target) != nOut || len(weight) != t.batch {
		panic(fmt.Sprintf("nn: Trainer.Step: lengths x %d, c %d, target %d, weight %d; want %d, %d, %d, %d",
			len(x), len(c), len(target), len(weight), nIn, t.batch, nOut, t.batch))
	}
	if t.eng != nil {
		return t.runEngine(x, c, target, weight)
	}
	copy(t.f.xd, x)
	copy(t.f.cd, c)
	copy(t.td, target)
	copy(t.wd, weight)
	defer t.vm.Reset()
	if err := t.vm.RunAll(); err != nil {
		return 0, nil, nil, 0, fmt.Errorf("nn: Trainer.Step %d: %w", t.opt.Steps()+1, err)
	}
	loss = float64(t.lossV.Data().(float32))
	out = t.outV.Data().([]float32)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, out, nil, 0, fmt.Errorf("nn: Trainer.Step %d: loss %v: %w", t.opt.Steps()+1, loss, ErrNonFinite)
	}
	grads = make([][]float32, len(t.params))
	for i, n := range t.nodes {
		if n == nil {
			continue
		}
		gv, err := n.Grad()
		if err != nil {
			return loss, out, nil, 0, fmt.Errorf("nn: Trainer.Step %d: gradient of %s: %w", t.opt.Steps()+1, t.params[i].Name, err)
		}
		grads[i] = gv.Data().([]float32)
		for _, g := range grads[i] {
			sq += float64(g) * float64(g)
		}
	}
	if math.IsNaN(sq) || math.IsInf(sq, 0) {
		return loss, out, nil, sq, fmt.Errorf("nn: Trainer.Step %d: gradient norm² %v: %w", t.opt.Steps()+1, sq, ErrNonFinite)
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
func (t *Trainer) AdamState() (m, v [][]float32, step int) { return t.opt.State() }

// SetAdamState restores moments and step count saved by AdamState. Frozen
// parameters may be given as empty slices or as slices of the parameter's
// length (ignored).
func (t *Trainer) SetAdamState(m, v [][]float32, step int) error {
	if err := t.opt.SetState(m, v, step); err != nil {
		return fmt.Errorf("nn: SetAdamState: %w", err)
	}
	return nil
}

// Close releases the compiled machine or the engine's goroutines.
func (t *Trainer) Close() {
	if t.eng != nil {
		t.eng.close()
		return
	}
	t.vm.Close()
}
