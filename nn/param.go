package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Param is one learnable float32 tensor. Every graph built from a model
// shares Param.Value (the same backing slice): writers must update its data in
// place and never replace the *tensor.Dense.
//
// A Frozen parameter is part of the model's state (saved, loaded, cloned) but
// is not trained: Trainer computes no gradient for it and leaves it unchanged,
// and EMA copies it instead of averaging. The fixed random Fourier frequencies
// of the noise embedding are frozen parameters, so that shipped weights are
// self-contained.
type Param struct {
	Name   string
	Shape  []int
	Value  *tensor.Dense
	Frozen bool
	data   []float32 // Value's backing slice (Dense.Data boxes it on every call)
}

// NewParam allocates a zero parameter of the given shape (row-major),
// named name in checkpoints. Models outside nn build their parameters with
// it.
func NewParam(name string, shape ...int) *Param {
	n := 1
	for _, s := range shape {
		n *= s
	}
	sh := append([]int(nil), shape...)
	d := make([]float32, n)
	return &Param{
		Name:  name,
		Shape: sh,
		Value: tensor.New(tensor.WithShape(sh...), tensor.WithBacking(d)),
		data:  d,
	}
}

// Data returns the parameter's backing slice (row-major). Writes to it are
// seen by every graph built from the model.
func (p *Param) Data() []float32 {
	if p.data != nil {
		return p.data
	}
	return p.Value.Data().([]float32)
}

// Len returns the number of elements of the parameter.
func (p *Param) Len() int { return len(p.Data()) }

// Clone returns a deep copy (name, shape, values, Frozen) with its own
// storage; the clone of nil is nil.
func (p *Param) Clone() *Param {
	if p == nil {
		return nil
	}
	q := NewParam(p.Name, p.Shape...)
	q.Frozen = p.Frozen
	copy(q.Data(), p.Data())
	return q
}

// Model is a network F(x; c): x is batch×In (float32), c is a per-row
// conditioning scalar (the noise level c_noise, embedded inside the model
// with Fourier features), output batch×Out.
type Model interface {
	In() int
	Out() int
	Params() []*Param
	// Forward adds the network to g for the given input nodes (x: batch×In,
	// c: a vector of length batch); p returns the node of a Param in g.
	Forward(g *G.ExprGraph, x, c *G.Node, p func(*Param) *G.Node) (*G.Node, error)
	// Clone returns a deep copy with its own parameter storage (used for EMA).
	Clone() Model
}

// NumParams returns the number of trainable scalars of m (frozen parameters
// excluded).
func NumParams(m Model) int {
	n := 0
	for _, p := range m.Params() {
		if !p.Frozen {
			n += p.Len()
		}
	}
	return n
}

// GetParams returns copies of the parameter values of m, one slice per Param
// in Params() order.
func GetParams(m Model) [][]float32 {
	ps := m.Params()
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = append([]float32(nil), p.Data()...)
	}
	return out
}

// SetParams copies v into the parameters of m (in place, so compiled graphs
// see the new values). The number of slices and each length must match.
func SetParams(m Model, v [][]float32) error {
	ps := m.Params()
	if len(v) != len(ps) {
		return fmt.Errorf("nn: SetParams: %d tensors, model has %d", len(v), len(ps))
	}
	for i, p := range ps {
		if len(v[i]) != p.Len() {
			return fmt.Errorf("nn: SetParams: %s has %d values, want %d (shape %v)", p.Name, len(v[i]), p.Len(), p.Shape)
		}
	}
	for i, p := range ps {
		copy(p.Data(), v[i])
	}
	return nil
}

// Binder creates, once per graph, the node of each Param, bound to the
// Param's shared value. Its Node method is the p argument of Model.Forward;
// code that builds its own graphs (a GAN's two losses, say) uses a Binder to
// share parameters with Trainers and Predictors. Never Reshape a parameter
// node: gorgonia may reshape the shared value in place.
type Binder struct {
	g     *G.ExprGraph
	nodes map[*Param]*G.Node
}

// NewBinder returns a Binder for g.
func NewBinder(g *G.ExprGraph) *Binder {
	return &Binder{g: g, nodes: make(map[*Param]*G.Node)}
}

// Node returns the node of p in the Binder's graph, creating it on first use.
func (b *Binder) Node(p *Param) *G.Node {
	if n, ok := b.nodes[p]; ok {
		return n
	}
	// gorgonia deduplicates nodes by hash, which for inputs includes the name:
	// a unique name keeps two parameters from ever sharing a node.
	name := fmt.Sprintf("%s#%d", p.Name, len(b.nodes))
	n := G.NewTensor(b.g, tensor.Float32, len(p.Shape), G.WithShape(p.Shape...), G.WithName(name), G.WithValue(p.Value))
	b.nodes[p] = n
	return n
}

// Bound returns the node of p if it has been created.
func (b *Binder) Bound(p *Param) (*G.Node, bool) {
	n, ok := b.nodes[p]
	return n, ok
}
