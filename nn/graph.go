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

// Predictor evaluates a model's forward pass at a fixed batch size over the
// model's parameters. It shares them: after Trainer steps (or SetParams),
// Predict sees the new weights. The UNet and the MLP run on nn's engine, the
// no-tape inference path: forward only, shards of the batch over GOMAXPROCS
// goroutines, nothing allocated per call, rows independent of the thread
// count. Any other Model runs as a compiled gorgonia graph. A Predictor is
// not safe for concurrent use, and must not run while a Trainer of the same
// model is stepping.
type Predictor struct {
	batch, in, out int

	eng           *engine
	x, c, dst     []float32 // the current call's arguments, for the workers
	shardForwardF func(w, s int)

	f      *fwdGraph
	vm     G.VM
	outVal G.Value
}

// NewPredictor returns a Predictor of m at the given batch size.
func NewPredictor(m Model, batch int) (*Predictor, error) {
	if em, ok := m.(engineModel); ok {
		e, err := newEngine(em, batch)
		if err != nil {
			return nil, fmt.Errorf("nn: NewPredictor: %w", err)
		}
		p := &Predictor{batch: batch, in: m.In(), out: m.Out(), eng: e}
		p.shardForwardF = p.shardForward
		closeWhenUnreachable(p, e)
		return p, nil
	}
	return newGraphPredictor(m, batch)
}

// newGraphPredictor compiles the forward graph of m.
func newGraphPredictor(m Model, batch int) (*Predictor, error) {
	f, err := buildForward(m, batch)
	if err != nil {
		return nil, fmt.Errorf("nn: NewPredictor: %w", err)
	}
	p := &Predictor{f: f, batch: batch, in: m.In(), out: m.Out()}
	G.Read(f.out, &p.outVal)
	p.vm = G.NewTapeMachine(f.g)
	return p, nil
}

// Batch returns the fixed batch size.
func (p *Predictor) Batch() int { return p.batch }

// Predict sets dst (batch×Out) to F(x; c) for x (batch×In) and c (batch).
// It panics on wrong lengths.
func (p *Predictor) Predict(dst, x, c []float32) error {
	if len(x) != p.batch*p.in || len(c) != p.batch || len(dst) != p.batch*p.out {
		panic(fmt.Sprintf("nn: Predict: lengths dst %d, x %d, c %d; want %d, %d, %d",
			len(dst), len(x), len(c), p.batch*p.out, p.batch*p.in, p.batch))
	}
	if p.eng != nil {
		p.x, p.c, p.dst = x, c, dst
		p.eng.w.run(len(p.eng.parts), p.shardForwardF)
		p.x, p.c, p.dst = nil, nil, nil
		return nil
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

func (p *Predictor) shardForward(w, s int) {
	lo, hi := p.eng.parts[s][0], p.eng.parts[s][1]
	p.eng.nets[w].forward(p.dst[lo*p.out:hi*p.out], p.x[lo*p.in:hi*p.in], p.c[lo:hi], hi-lo, false)
}

// Close releases the compiled machine or the engine's goroutines.
func (p *Predictor) Close() {
	if p.eng != nil {
		p.eng.close()
		return
	}
	p.vm.Close()
}
