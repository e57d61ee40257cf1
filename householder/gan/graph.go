package gan

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"genlab/nn"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Graph building shared by the generator and discriminator graphs.
//
// Both regularisers need second derivatives: R1 the gradient with respect
// to D's parameters θ of (γ/2)·‖∇ₓD(x)‖², the path-length regulariser the
// gradient with respect to G's parameters of a function of J_wᵀy =
// ∇_w⟨G(w), y⟩. Both are computed as reverse over forward mode: for a
// fixed direction v (a number, not a node),
//
//	∇_θ⟨v, ∇ₓF(x; θ)⟩ = ∇_θ [J_x F(x; θ)·v] = ∂/∂ε ∇_θ F(x + ε·v; θ) |_{ε=0},
//
// the exact Hessian–vector product (symmetry of second derivatives). The
// graph carries, beside each primal activation a, its tangent ȧ = J_x a·v
// (forward mode: a linear op applies itself to the tangent, a product
// obeys the product rule, the leaky ReLU multiplies by φ'(a)), and
// gorgonia's first-order reverse mode differentiates the scalar J_x F·v
// with respect to θ. φ' is piecewise constant, so its own derivative is
// zero wherever it exists: the tangent leakyOp is linear in ȧ and constant in a.

// binder gives the graph node of a parameter: an nn.Binder for float32
// graphs bound to the parameters' storage (tests use float64 copies).
type binder interface {
	Node(*nn.Param) *G.Node
	Bound(*nn.Param) (*G.Node, bool)
}

// gb builds one graph: it keeps the first error of a chain of
// constructions (every method returns nil once an error occurred) and
// knows the graph, its dtype and its parameter nodes.
type gb struct {
	err error
	g   *G.ExprGraph
	dt  tensor.Dtype
	bd  binder
}

// newGB32 returns a builder of a fresh float32 graph whose parameter nodes
// share the parameters' storage.
func newGB32() *gb {
	g := G.NewGraph()
	return &gb{g: g, dt: tensor.Float32, bd: nn.NewBinder(g)}
}

func (b *gb) do(n *G.Node, err error) *G.Node {
	if b.err == nil && err != nil {
		b.err = err
	}
	return n
}

// ok reports whether no error occurred and none of the nodes is nil.
func (b *gb) ok(ns ...*G.Node) bool {
	if b.err != nil {
		return false
	}
	for _, n := range ns {
		if n == nil {
			b.err = fmt.Errorf("gan: graph: nil operand")
			return false
		}
	}
	return true
}

// p returns the node of parameter q.
func (b *gb) p(q *nn.Param) *G.Node { return b.bd.Node(q) }

// scalar returns a constant of the graph's dtype.
func (b *gb) scalar(v float64) *G.Node {
	if b.dt == tensor.Float64 {
		return G.NewConstant(v)
	}
	return G.NewConstant(float32(v))
}

// input adds an input node of the graph's dtype with zeroed storage; names
// must be unique within the graph (gorgonia merges inputs by name).
func (b *gb) input(name string, shape ...int) *G.Node {
	n := 1
	for _, s := range shape {
		n *= s
	}
	var back any = make([]float32, n)
	if b.dt == tensor.Float64 {
		back = make([]float64, n)
	}
	return G.NewTensor(b.g, b.dt, len(shape), G.WithShape(shape...), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(back))))
}

func (b *gb) scale(x *G.Node, c float64) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.do(G.Mul(x, b.scalar(c)))
}

func (b *gb) add(x, y *G.Node) *G.Node {
	if !b.ok(x, y) {
		return nil
	}
	return b.do(G.Add(x, y))
}

// addOpt returns x + y where either may be nil (a zero tangent).
func (b *gb) addOpt(x, y *G.Node) *G.Node {
	switch {
	case x == nil:
		return y
	case y == nil:
		return x
	}
	return b.add(x, y)
}

func (b *gb) had(x, y *G.Node) *G.Node {
	if !b.ok(x, y) {
		return nil
	}
	return b.do(G.HadamardProd(x, y))
}

// reshape returns a private copy of x in shape s. gorgonia's Reshape
// shares its input's memory, and the TapeMachine, which does not know of
// the alias, may overwrite either register in place once it thinks that
// node dead: in the forward pass (another consumer of x), and in the
// backward pass, where gradients such as those of Inverse and Sqrt read
// their op's output. Reshaping a copy (x·1, whose value no gradient reads)
// is safe in both, and costs one pass over a small tensor.
func (b *gb) reshape(x *G.Node, s ...int) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.do(G.Reshape(b.do(G.Mul(x, b.scalar(1))), tensor.Shape(s)))
}

func (b *gb) bmul(x, y *G.Node, left, right []byte) *G.Node {
	if !b.ok(x, y) {
		return nil
	}
	return b.do(G.BroadcastHadamardProd(x, y, left, right))
}

func (b *gb) badd(x, y *G.Node, right []byte) *G.Node {
	if !b.ok(x, y) {
		return nil
	}
	return b.do(G.BroadcastAdd(x, y, nil, right))
}

// linear is x·W + bias (bias may be nil).
func (b *gb) linear(x, w, bias *G.Node) *G.Node {
	if !b.ok(x, w) {
		return nil
	}
	return b.do(nn.Linear(x, w, bias))
}

// conv is the k×k convolution of x with w, padding (k−1)/2, plus a
// per-channel bias (nil: none): nn.Conv2d for float32, gorgonia's Conv2d
// for float64 (nn's op is float32 only).
func (b *gb) conv(x, w, bias *G.Node, stride int) *G.Node {
	if !b.ok(x, w) {
		return nil
	}
	if b.dt == tensor.Float32 {
		return b.do(nn.Conv2d(x, w, bias, stride))
	}
	k := w.Shape()[2]
	y := b.do(G.Conv2d(x, w, tensor.Shape{k, k}, []int{(k - 1) / 2, (k - 1) / 2}, []int{stride, stride}, []int{1, 1}))
	if bias == nil {
		return y
	}
	return b.badd(y, bias, []byte{0, 2, 3})
}

func (b *gb) sum(x *G.Node, axes ...int) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.do(G.Sum(x, axes...))
}

// dot is Σ x ⊙ y, a scalar.
func (b *gb) dot(x, y *G.Node) *G.Node { return b.sum(b.had(x, y)) }

// leaky is gain·φ(x), φ the leaky ReLU with slope 0.2: one fused op
// (leakyOp) instead of gorgonia's LeakyRelu, which builds it from two
// comparisons, three products and a sum, each a full pass with a copy.
func (b *gb) leaky(x *G.Node, gain float64) *G.Node {
	if !b.ok(x) {
		return nil
	}
	return b.do(G.ApplyOp(leakyOp{kind: leakyValue, slope: 0.2, gain: gain, shape: x.Shape().Clone()}, x))
}

// leakyTangent returns the tangent of leaky(a, gain) along ȧ,
// gain·φ'(a)·ȧ with φ'(a) = 1 for a > 0 and 0.2 otherwise; nil for a nil
// (zero) tangent.
func (b *gb) leakyTangent(a, at *G.Node, gain float64) *G.Node {
	if at == nil || !b.ok(a) {
		return nil
	}
	return b.do(G.ApplyOp(leakyOp{kind: leakyTangentKind, slope: 0.2, gain: gain, shape: a.Shape().Clone()}, a, at))
}

// leakyKind selects what a leakyOp computes.
type leakyKind int

const (
	// leakyValue maps a to gain·φ(a), φ(a) = a for a ≥ 0 and slope·a
	// otherwise, rounded as (slope·a)·gain; its gradient is leakyGrad.
	leakyValue leakyKind = iota
	// leakyTangentKind maps (a, ȧ) to gain·φ'(a)·ȧ with the factor
	// gain·slope rounded once: the forward-mode tangent of leakyValue.
	leakyTangentKind
	// leakyGrad maps (a, ḡ) to φ'(a)·(gain·ḡ), rounded as (ḡ·gain)·slope:
	// the reverse-mode adjoint of leakyValue. It and leakyValue round as
	// gorgonia's LeakyRelu followed by a scalar product did, so generators
	// and discriminators trained before the fused op are reproduced to
	// the bit.
	leakyGrad
)

// leakyOp is the leaky ReLU family of element-wise ops (leakyKind). The
// two-input kinds are linear in their second input, whose adjoint is the
// same map, and piecewise constant in a, whose derivative they treat as
// zero (exact except on the measure-zero set a = 0).
type leakyOp struct {
	kind        leakyKind
	slope, gain float64
	shape       tensor.Shape
}

func (op leakyOp) Arity() int {
	if op.kind == leakyValue {
		return 1
	}
	return 2
}
func (op leakyOp) Type() hm.Type {
	t := G.TensorType{Dims: op.shape.Dims(), Of: hm.TypeVariable('a')}
	if op.kind == leakyValue {
		return hm.NewFnType(t, t)
	}
	return hm.NewFnType(t, t, t)
}
func (op leakyOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}
func (op leakyOp) ReturnsPtr() bool      { return false }
func (op leakyOp) CallsExtern() bool     { return false }
func (op leakyOp) OverwritesInput() int  { return -1 }
func (op leakyOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op leakyOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op leakyOp) String() string {
	return fmt.Sprintf("genlab.Leaky%d(%g,%g)%v", op.kind, op.slope, op.gain, op.shape)
}

func (op leakyOp) Do(in ...G.Value) (G.Value, error) {
	if len(in) != op.Arity() {
		return nil, fmt.Errorf("gan: leaky op %d: %d inputs", op.kind, len(in))
	}
	a := dense(in[0])
	var t *tensor.Dense
	if op.kind != leakyValue {
		t = dense(in[1])
	}
	switch ad := a.Data().(type) {
	case []float32:
		out, err := leakyDo(op, ad, t, float32(op.slope), float32(op.gain), float32(op.gain*op.slope))
		if err != nil {
			return nil, err
		}
		return tensor.New(tensor.WithShape(op.shape...), tensor.WithBacking(out)), nil
	case []float64:
		out, err := leakyDo(op, ad, t, op.slope, op.gain, op.gain*op.slope)
		if err != nil {
			return nil, err
		}
		return tensor.New(tensor.WithShape(op.shape...), tensor.WithBacking(out)), nil
	}
	return nil, fmt.Errorf("gan: leaky op: dtype %v", a.Dtype())
}

// leakyDo computes op element-wise on a (and t, the second input of the
// two-input kinds) with slope s, gain g and their product sg.
func leakyDo[T float32 | float64](op leakyOp, a []T, t *tensor.Dense, s, g, sg T) ([]T, error) {
	out := make([]T, len(a))
	if op.kind == leakyValue {
		for i, v := range a {
			if v >= 0 {
				out[i] = v * g
			} else {
				out[i] = v * s * g
			}
		}
		return out, nil
	}
	td, ok := t.Data().([]T)
	if !ok || len(td) != len(a) {
		return nil, fmt.Errorf("gan: leaky op %d: second input %v of length %d, want %T of length %d", op.kind, t.Dtype(), t.Shape().TotalSize(), a, len(a))
	}
	if op.kind == leakyTangentKind {
		for i, v := range a {
			f := sg
			if v > 0 {
				f = g
			}
			out[i] = f * td[i]
		}
		return out, nil
	}
	for i, v := range a {
		if u := td[i] * g; v >= 0 {
			out[i] = u
		} else {
			out[i] = u * s
		}
	}
	return out, nil
}

// DiffWRT: leakyValue is differentiable in a; the two-input kinds are
// constant in a and linear in their second input.
func (op leakyOp) DiffWRT(int) []bool {
	if op.kind == leakyValue {
		return []bool{true}
	}
	return []bool{false, true}
}

// SymDiff: leakyValue's gradient is leakyGrad(a, grad); the adjoint of
// the linear map of the two-input kinds is the same map.
func (op leakyOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if op.kind == leakyValue {
		back := op
		back.kind = leakyGrad
		d, err := G.ApplyOp(back, in[0], grad)
		if err != nil {
			return nil, err
		}
		return G.Nodes{d}, nil
	}
	d, err := G.ApplyOp(op, in[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{nil, d}, nil
}

// dense returns v as a *tensor.Dense with its logical layout (views are
// materialised).
func dense(v G.Value) *tensor.Dense {
	t, ok := v.(*tensor.Dense)
	if !ok {
		panic(fmt.Sprintf("gan: value %T is not a dense tensor", v))
	}
	if t.IsView() {
		return t.Materialize().(*tensor.Dense)
	}
	return t
}

// setInput copies src into the storage of input node n (float32 or
// float64), converting. A length mismatch panics.
func setInput[T float32 | float64](n *G.Node, src []T) {
	switch d := n.Value().Data().(type) {
	case []float32:
		if len(d) != len(src) {
			panic(fmt.Sprintf("gan: input %s: %d values, want %d", n.Name(), len(src), len(d)))
		}
		for i, v := range src {
			d[i] = float32(v)
		}
	case []float64:
		if len(d) != len(src) {
			panic(fmt.Sprintf("gan: input %s: %d values, want %d", n.Name(), len(src), len(d)))
		}
		for i, v := range src {
			d[i] = float64(v)
		}
	default:
		panic(fmt.Sprintf("gan: input %s: storage %T", n.Name(), d))
	}
}

// floats returns a float64 copy of a value's data.
func floats(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case float32:
		return []float64{float64(d)}
	case float64:
		return []float64{d}
	}
	switch d := dense(v).Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	}
	panic(fmt.Sprintf("gan: value of type %T", v.Data()))
}

// scalarOf returns a scalar value as float64.
func scalarOf(v G.Value) float64 { return floats(v)[0] }

// takeGrad returns the gradient accumulated in node n as float64 and zeroes
// it for the next run (bound dual values accumulate).
func takeGrad(n *G.Node) ([]float64, error) {
	gv, err := n.Grad()
	if err != nil {
		return nil, err
	}
	out := floats(gv)
	gv.(tensor.Tensor).Zero()
	return out, nil
}

// to32 converts gradients for Adam.
func to32(g [][]float64) [][]float32 {
	out := make([][]float32, len(g))
	for i, s := range g {
		out[i] = make([]float32, len(s))
		for j, v := range s {
			out[i][j] = float32(v)
		}
	}
	return out
}

func finiteAll(g [][]float64) bool {
	for _, s := range g {
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}
