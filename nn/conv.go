package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv2d returns the 2-D cross-correlation of x (N×Cin×H×W, NCHW) with the
// filters w (Cout×Cin×k×k), zero padding (k−1)/2 on every side, and the given
// stride, plus a per-channel bias b (1×Cout×1×1; nil means none):
//
//	y[n,o,i,j] = b[o] + Σ_{c,u,v} w[o,c,u,v]·x[n,c, s·i+u−p, s·j+v−p].
//
// The output is N×Cout×⌊(H+2p−k)/s⌋+1×⌊(W+2p−k)/s⌋+1: for k = 3, stride 1
// keeps H×W and stride 2 halves an even H×W. Only odd k and float32 are
// allowed. It uses genlab's im2col/GEMM op (convop.go), about twice as fast
// as gorgonia.Conv2d here; GorgoniaConv2d is the same map through gorgonia's
// op, kept as an independent route for tests.
func Conv2d(x, w, b *G.Node, stride int) (*G.Node, error) {
	g, err := convGeometry(x, w, stride)
	if err != nil {
		return nil, err
	}
	if b == nil {
		b = G.NewConstant(newF32(1, g.cout, 1, 1), G.WithName(fmt.Sprintf("zero_bias_%d", g.cout)))
	}
	if !b.Shape().Eq(tensor.Shape{1, g.cout, 1, 1}) {
		return nil, fmt.Errorf("nn: conv2d: bias shape %v, want 1×%d×1×1", b.Shape(), g.cout)
	}
	y, err := G.ApplyOp(convOp{g: g}, x, w, b)
	if err != nil {
		return nil, fmt.Errorf("nn: conv2d %v: %w", g, err)
	}
	return y, nil
}

func convGeometry(x, w *G.Node, stride int) (convGeom, error) {
	xs, ws := x.Shape(), w.Shape()
	if xs.Dims() != 4 || ws.Dims() != 4 || ws[2] != ws[3] || ws[2]%2 == 0 || ws[1] != xs[1] || stride < 1 {
		return convGeom{}, fmt.Errorf("nn: conv2d: input %v, filter %v, stride %d: want N×Cin×H×W, Cout×Cin×k×k with odd k", xs, ws, stride)
	}
	if x.Dtype() != tensor.Float32 || w.Dtype() != tensor.Float32 {
		return convGeom{}, fmt.Errorf("nn: conv2d: dtypes %v, %v: want float32", x.Dtype(), w.Dtype())
	}
	k := ws[2]
	g := convGeom{n: xs[0], convShape: newConvShape(xs[1], ws[0], k, stride, xs[2], xs[3])}
	if g.ho < 1 || g.wo < 1 {
		return convGeom{}, fmt.Errorf("nn: conv2d: empty output for %v", g)
	}
	return g, nil
}

// GorgoniaConv2d is Conv2d computed with gorgonia.Conv2d and a broadcast bias
// add (b may be nil).
func GorgoniaConv2d(x, w, b *G.Node, stride int) (*G.Node, error) {
	g, err := convGeometry(x, w, stride)
	if err != nil {
		return nil, err
	}
	y, err := G.Conv2d(x, w, tensor.Shape{g.k, g.k}, []int{g.pad, g.pad}, []int{stride, stride}, []int{1, 1})
	if err != nil {
		return nil, fmt.Errorf("nn: conv2d %v: %w", g, err)
	}
	if b == nil {
		return y, nil
	}
	if y, err = G.BroadcastAdd(y, b, nil, []byte{0, 2, 3}); err != nil {
		return nil, fmt.Errorf("nn: conv2d bias: %w", err)
	}
	return y, nil
}

// GroupNorm normalises x (N×C×H×W) over each group of C/groups channels of
// each sample and applies a per-channel affine map:
//
//	y = γ_c·(x − μ_{n,g})/√(σ²_{n,g} + ε) + β_c,
//
// with μ, σ² the mean and (biased) variance over the group's channels and
// pixels, γ = scale and β = bias of shape 1×C×1×1. For float32 it is one
// fused op (statistics in float64, two passes) with the gradient
//
//	∂x = r·(ĝ − mean_g(ĝ) − x̂·mean_g(ĝ·x̂)),  ĝ = ∂y·γ, x̂ = (x−μ)·r, r = 1/√(σ²+ε),
//	∂γ_c = Σ ∂y·x̂,  ∂β_c = Σ ∂y.
//
// The composed fallback forms per-channel pixel means (N×C) times the C×C
// group-averaging matrix P (P_ij = groups/C when channels i and j share a
// group); it never reshapes x, because gorgonia's Reshape shares memory with
// its input and the TapeMachine may later overwrite the reshaped register in
// place, corrupting x for its other consumers (the residual path).
func GroupNorm(x, scale, bias *G.Node, groups int, eps float64) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || groups < 1 || s[1]%groups != 0 {
		return nil, fmt.Errorf("nn: groupnorm: shape %v with %d groups", s, groups)
	}
	cs := tensor.Shape{1, s[1], 1, 1}
	if !scale.Shape().Eq(cs) || !bias.Shape().Eq(cs) {
		return nil, fmt.Errorf("nn: groupnorm: scale %v, bias %v, want %v", scale.Shape(), bias.Shape(), cs)
	}
	if x.Dtype() != tensor.Float32 {
		return groupNormComposed(x, scale, bias, groups, eps)
	}
	op := groupNormOp{opBase: opBase{name: "GroupNorm", arity: 3, in: []int{4, 4, 4}, out: s.Clone()},
		g: gnGeom{n: s[0], c: s[1], hw: s[2] * s[3], groups: groups}, eps: eps}
	y, err := G.ApplyOp(op, x, scale, bias)
	if err != nil {
		return nil, fmt.Errorf("nn: groupnorm: %w", err)
	}
	return y, nil
}

// groupNormComposed is GroupNorm composed from gorgonia ops (the route used
// for non-float32 inputs, and a cross-check of the fused op in tests).
func groupNormComposed(x, scale, bias *G.Node, groups int, eps float64) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || groups < 1 || s[1]%groups != 0 {
		return nil, fmt.Errorf("nn: groupnorm: shape %v with %d groups", s, groups)
	}
	n, c := s[0], s[1]
	per := c / groups
	pd := make([]float32, c*c)
	for i := 0; i < c; i++ {
		for j := 0; j < c; j++ {
			if i/per == j/per {
				pd[i*c+j] = 1 / float32(per)
			}
		}
	}
	P := G.NewConstant(tensor.New(tensor.WithShape(c, c), tensor.WithBacking(pd)), G.WithName(fmt.Sprintf("groupavg_%d_%d", c, groups)))
	wrap := func(what string, err error) error { return fmt.Errorf("nn: groupnorm %s: %w", what, err) }
	// groupMean returns the group mean of v (N×C×H×W) broadcastable as N×C×1×1.
	groupMean := func(v *G.Node) (*G.Node, error) {
		m, err := meanHW(v)
		if err != nil {
			return nil, err
		}
		if m, err = G.Mul(m, P); err != nil {
			return nil, err
		}
		return G.Reshape(m, tensor.Shape{n, c, 1, 1})
	}
	mu, err := groupMean(x)
	if err != nil {
		return nil, wrap("mean", err)
	}
	xc, err := G.BroadcastSub(x, mu, nil, []byte{2, 3})
	if err != nil {
		return nil, wrap("centre", err)
	}
	sq, err := G.Square(xc)
	if err != nil {
		return nil, wrap("square", err)
	}
	v, err := meanHW(sq)
	if err != nil {
		return nil, wrap("variance", err)
	}
	if v, err = G.Mul(v, P); err != nil {
		return nil, wrap("group variance", err)
	}
	if v, err = G.Add(v, G.NewConstant(float32(eps))); err != nil {
		return nil, wrap("eps", err)
	}
	r, err := G.Sqrt(v)
	if err != nil {
		return nil, wrap("sqrt", err)
	}
	if r, err = G.Inverse(r); err != nil {
		return nil, wrap("inverse", err)
	}
	if r, err = G.Reshape(r, tensor.Shape{n, c, 1, 1}); err != nil {
		return nil, wrap("reshape rstd", err)
	}
	y, err := G.BroadcastHadamardProd(xc, r, nil, []byte{2, 3})
	if err != nil {
		return nil, wrap("normalise", err)
	}
	if y, err = G.BroadcastHadamardProd(y, scale, nil, []byte{0, 2, 3}); err != nil {
		return nil, wrap("γ", err)
	}
	if y, err = G.BroadcastAdd(y, bias, nil, []byte{0, 2, 3}); err != nil {
		return nil, wrap("β", err)
	}
	return y, nil
}

// meanHW returns the mean of v (N×C×H×W) over its last two axes, as N×C. It
// reduces one axis at a time: tensor v0.9.24's multi-axis reduction indexes
// out of range for some shapes (e.g. H = 1).
func meanHW(v *G.Node) (*G.Node, error) {
	m, err := G.Mean(v, 3)
	if err != nil {
		return nil, err
	}
	return G.Mean(m, 2)
}

// Upsample2x returns the nearest-neighbour ×2 up-sampling of x (N×C×H×W →
// N×C×2H×2W): y[n,c,i,j] = x[n,c,⌊i/2⌋,⌊j/2⌋]; its adjoint sums 2×2 blocks.
func Upsample2x(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 {
		return nil, fmt.Errorf("nn: upsample: shape %v, want N×C×H×W", s)
	}
	if x.Dtype() != tensor.Float32 {
		y, err := G.Upsample2D(x, 2)
		if err != nil {
			return nil, fmt.Errorf("nn: upsample: %w", err)
		}
		return y, nil
	}
	op := upsampleOp{opBase: opBase{name: "Upsample2x", arity: 1, in: []int{4}, out: tensor.Shape{s[0], s[1], 2 * s[2], 2 * s[3]}},
		nc: s[0] * s[1], h: s[2], w: s[3]}
	y, err := G.ApplyOp(op, x)
	if err != nil {
		return nil, fmt.Errorf("nn: upsample: %w", err)
	}
	return y, nil
}

// AddChannel adds a per-sample, per-channel vector e (N×C) to every pixel of
// x (N×C×H×W): y[n,c,i,j] = x[n,c,i,j] + e[n,c]. It injects the noise
// embedding into a residual block. Gradients: ∂x = ∂y, ∂e[n,c] = Σ_{i,j} ∂y.
func AddChannel(x, e *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || !e.Shape().Eq(tensor.Shape{s[0], s[1]}) {
		return nil, fmt.Errorf("nn: add channel: x %v, e %v", s, e.Shape())
	}
	if x.Dtype() != tensor.Float32 {
		return addChannelComposed(x, e)
	}
	op := addChannelOp{opBase: opBase{name: "AddChannel", arity: 2, in: []int{4, 2}, out: s.Clone()}, n: s[0], c: s[1], hw: s[2] * s[3]}
	y, err := G.ApplyOp(op, x, e)
	if err != nil {
		return nil, fmt.Errorf("nn: add channel: %w", err)
	}
	return y, nil
}

// addChannelComposed is AddChannel from Reshape and BroadcastAdd.
func addChannelComposed(x, e *G.Node) (*G.Node, error) {
	s := x.Shape()
	er, err := G.Reshape(e, tensor.Shape{s[0], s[1], 1, 1})
	if err != nil {
		return nil, fmt.Errorf("nn: add channel: reshape %v: %w", e.Shape(), err)
	}
	y, err := G.BroadcastAdd(x, er, nil, []byte{2, 3})
	if err != nil {
		return nil, fmt.Errorf("nn: add channel: %w", err)
	}
	return y, nil
}

// ---- parameterised building blocks (used by UNet, usable by any Model) ----
//
// Each block holds its Params; Apply adds it to a graph through the
// parameter-node function p of Model.Forward. Parameter names are prefixed
// with the name given to the constructor.

// Conv is a k×k Conv2d layer: W is Cout×Cin×k×k, B is 1×Cout×1×1.
type Conv struct {
	W, B   *Param
	Stride int
}

// NewConv makes a k×k convolution cin→cout (k odd, padding (k−1)/2) with
// weights N(0, gain²·2/(cin·k²)) (He-normal times gain; gain 0 gives a zero
// layer) and zero bias.
func NewConv(name string, cin, cout, k, stride int, gain float64, rng *rand.Rand) *Conv {
	c := &Conv{W: NewParam(name+".w", cout, cin, k, k), B: NewParam(name+".b", 1, cout, 1, 1), Stride: stride}
	if gain != 0 {
		NormalFill(c.W.Data(), gain*math.Sqrt(2/float64(cin*k*k)), rng)
	}
	return c
}

// Params returns W, B.
func (c *Conv) Params() []*Param { return []*Param{c.W, c.B} }

// Apply returns Conv2d(x, W, B, Stride).
func (c *Conv) Apply(x *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
	return Conv2d(x, p(c.W), p(c.B), c.Stride)
}

// Norm is a GroupNorm layer with its affine parameters Scale (γ) and Bias
// (β), both 1×C×1×1.
type Norm struct {
	Scale, Bias *Param
	Groups      int
}

const groupNormEps = 1e-5

// NewNorm makes a GroupNorm over ch channels in the given number of groups,
// with γ = 1 and β = 0 (ε = 1e-5, PyTorch's default).
func NewNorm(name string, ch, groups int) *Norm {
	n := &Norm{Scale: NewParam(name+".scale", 1, ch, 1, 1), Bias: NewParam(name+".bias", 1, ch, 1, 1), Groups: groups}
	for i := range n.Scale.Data() {
		n.Scale.Data()[i] = 1
	}
	return n
}

// Params returns Scale, Bias.
func (n *Norm) Params() []*Param { return []*Param{n.Scale, n.Bias} }

// Apply returns GroupNorm(x, Scale, Bias, Groups, 1e-5).
func (n *Norm) Apply(x *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
	return GroupNorm(x, p(n.Scale), p(n.Bias), n.Groups, groupNormEps)
}

// Dense is a Linear layer: W is in×out, B is 1×out.
type Dense struct{ W, B *Param }

// NewDense makes a Linear layer in→out with weights N(0, gain²·2/in)
// (He-normal times gain; gain 0 gives a zero layer) and zero bias.
func NewDense(name string, in, out int, gain float64, rng *rand.Rand) *Dense {
	d := &Dense{W: NewParam(name+".w", in, out), B: NewParam(name+".b", 1, out)}
	if gain != 0 {
		NormalFill(d.W.Data(), gain*math.Sqrt(2/float64(in)), rng)
	}
	return d
}

// Params returns W, B.
func (d *Dense) Params() []*Param { return []*Param{d.W, d.B} }

// Apply returns Linear(x, W, B).
func (d *Dense) Apply(x *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
	return Linear(x, p(d.W), p(d.B))
}
