package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// fwdGraph is a model's forward graph at a fixed batch size, with input
// tensors whose backing slices are overwritten before each run.
type fwdGraph struct {
	g      *G.ExprGraph
	b      *Binder
	x, c   *G.Node
	xd, cd []float32 // backing of the values bound to x and c
	out    *G.Node
}

func buildForward(m Model, batch int) (*fwdGraph, error) {
	if batch < 1 {
		return nil, fmt.Errorf("nn: batch size %d < 1", batch)
	}
	f := &fwdGraph{g: G.NewGraph()}
	f.b = NewBinder(f.g)
	f.xd = make([]float32, batch*m.In())
	f.cd = make([]float32, batch)
	xt := tensor.New(tensor.WithShape(batch, m.In()), tensor.WithBacking(f.xd))
	ct := tensor.New(tensor.WithShape(batch), tensor.WithBacking(f.cd))
	f.x = G.NewMatrix(f.g, tensor.Float32, G.WithShape(batch, m.In()), G.WithName("x"), G.WithValue(xt))
	f.c = G.NewVector(f.g, tensor.Float32, G.WithShape(batch), G.WithName("c"), G.WithValue(ct))
	out, err := m.Forward(f.g, f.x, f.c, f.b.Node)
	if err != nil {
		return nil, fmt.Errorf("nn: building forward graph: %w", err)
	}
	if want := (tensor.Shape{batch, m.Out()}); !out.Shape().Eq(want) {
		return nil, fmt.Errorf("nn: model output shape %v, want %v", out.Shape(), want)
	}
	f.out = out
	return f, nil
}

// Predictor is a compiled forward-only graph at a fixed batch size over a
// model's parameters. It shares them: after Trainer steps (or SetParams),
// Predict sees the new weights. A Predictor is not safe for concurrent use,
// and must not run while a Trainer of the same model is stepping.
type Predictor struct {
	f      *fwdGraph
	vm     G.VM
	outVal G.Value
	batch  int
	out    int
}

// NewPredictor compiles the forward graph of m at the given batch size.
func NewPredictor(m Model, batch int) (*Predictor, error) {
	f, err := buildForward(m, batch)
	if err != nil {
		return nil, fmt.Errorf("nn: NewPredictor: %w", err)
	}
	p := &Predictor{f: f, batch: batch, out: m.Out()}
	G.Read(f.out, &p.outVal)
	p.vm = G.NewTapeMachine(f.g)
	return p, nil
}

// Batch returns the fixed batch size.
func (p *Predictor) Batch() int { return p.batch }

// Predict sets dst (batch×Out) to F(x; c) for x (batch×In) and c (batch).
// It panics on wrong lengths.
func (p *Predictor) Predict(dst, x, c []float32) error {
	if len(x) != len(p.f.xd) || len(c) != len(p.f.cd) || len(dst) != p.batch*p.out {
		panic(fmt.Sprintf("nn: Predict: lengths dst %d, x %d, c %d; want %d, %d, %d",
			len(dst), len(x), len(c), p.batch*p.out, len(p.f.xd), len(p.f.cd)))
	}
	copy(p.f.xd, x)
	copy(p.f.cd, c)
	defer p.vm.Reset()
	if err := p.vm.RunAll(); err != nil {
		return fmt.Errorf("nn: Predict: %w", err)
	}
	copy(dst, p.outVal.Data().([]float32))
	return nil
}

// Close releases the compiled machine.
func (p *Predictor) Close() { p.vm.Close() }
