package gan

import (
	"fmt"
	"math"
	"testing"

	"genlab/nn"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// binder64 binds float64 copies of parameters into a graph: the float64
// twin of a production graph, for finite-difference checks, whose copies
// the tests perturb.
type binder64 struct {
	g     *G.ExprGraph
	nodes map[*nn.Param]*G.Node
}

func (b *binder64) Node(p *nn.Param) *G.Node {
	if n, ok := b.nodes[p]; ok {
		return n
	}
	v := make([]float64, p.Len())
	for i, x := range p.Data() {
		v[i] = float64(x)
	}
	n := G.NewTensor(b.g, tensor.Float64, len(p.Shape), G.WithShape(p.Shape...), G.WithName(fmt.Sprintf("%s#%d", p.Name, len(b.nodes))),
		G.WithValue(tensor.New(tensor.WithShape(p.Shape...), tensor.WithBacking(v))))
	b.nodes[p] = n
	return n
}

func (b *binder64) Bound(p *nn.Param) (*G.Node, bool) {
	n, ok := b.nodes[p]
	return n, ok
}

// value returns the float64 storage of p's copy (nil if p is not bound).
func (b *binder64) value(p *nn.Param) []float64 {
	n, ok := b.nodes[p]
	if !ok {
		return nil
	}
	return n.Value().Data().([]float64)
}

// newGB64 returns a builder of a fresh float64 graph and its binder.
func newGB64() (*gb, *binder64) {
	g := G.NewGraph()
	bd := &binder64{g: g, nodes: map[*nn.Param]*G.Node{}}
	return &gb{g: g, dt: tensor.Float64, bd: bd}, bd
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// gradCheck compares an analytic gradient component with a central
// difference: |fd − got| ≤ rel·|fd| + abs.
func gradCheck(t *testing.T, what string, got, fd, rel, abs float64) {
	t.Helper()
	if !(math.Abs(fd-got) <= rel*math.Abs(fd)+abs) {
		t.Errorf("%s: exact %.9g, finite difference %.9g (relative error %.2e)", what, got, fd, math.Abs(fd-got)/math.Abs(fd))
	}
}

// maxAbs returns the largest |v| over all gradients.
func maxAbs(g [][]float64) float64 {
	var m float64
	for _, s := range g {
		for _, v := range s {
			m = math.Max(m, math.Abs(v))
		}
	}
	return m
}
