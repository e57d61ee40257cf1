package gan

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genlab/householder"
	"genlab/nn"

	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// GenConfig is the shape of the small style-based generator.
type GenConfig struct {
	ZDim, WDim int // latent z and intermediate w sizes (8, 16)
	MapHidden  int // width of the two mapping layers (64)
	MapLRMul   float64
	ConstCh    int   // channels of the learned 4×4 constant
	Channels   []int // output channels of the blocks at 8, 16, 32, … px
}

// Res returns the output side 4·2^len(Channels).
func (c GenConfig) Res() int { return 4 << len(c.Channels) }

// Slots returns the number of W+ slots: three per block (conv1, conv2,
// to-grey), each fed by its own style affine.
func (c GenConfig) Slots() int { return 3 * len(c.Channels) }

// Validate checks the sizes.
func (c GenConfig) Validate() error {
	if c.ZDim < 1 || c.WDim < 1 || c.MapHidden < 1 || c.ConstCh < 1 || len(c.Channels) == 0 || !(c.MapLRMul > 0) {
		return fmt.Errorf("gan: generator config %+v", c)
	}
	for _, ch := range c.Channels {
		if ch < 1 {
			return fmt.Errorf("gan: generator channels %v", c.Channels)
		}
	}
	return nil
}

// Projector is an HP layer's trainable state: the reflector matrices P_U
// (C×C) and P_V (d×d) of W = O(P_U)·S·O(P_V) (BuildW), stored float32 as
// network parameters and converted to float64 for the projector maths.
type Projector struct {
	PU, PV *nn.Param
	K      int
}

func paramDense(p *nn.Param) *mat.Dense {
	d := p.Data()
	v := make([]float64, len(d))
	for i, x := range d {
		v[i] = float64(x)
	}
	return mat.NewDense(p.Shape[0], p.Shape[1], v)
}

func setParamDense(p *nn.Param, m *mat.Dense) {
	r, c := m.Dims()
	d := p.Data()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			d[i*c+j] = float32(m.At(i, j))
		}
	}
}

// W returns the C×d weight householder.BuildW(P_U, P_V, K).
func (p *Projector) W() *mat.Dense {
	return householder.BuildW(paramDense(p.PU), paramDense(p.PV), p.K)
}

// Directions returns the d×K right singular vectors of W (the read-off).
func (p *Projector) Directions() (*mat.Dense, error) {
	return householder.Directions(paramDense(p.PU), paramDense(p.PV), p.K)
}

// Affine is a style affine s = A·w + b (A: C×d). A plain affine stores
// A = gain·Wᵀ with W (d×C) ~ N(0, 1) and gain 1/√d (equalised learning
// rate); an HP affine uses A = householder.BuildW(P_U, P_V, K) with gain 1 (StyleGAN2's
// HP keeps no equalised-lr gain). B (1×C) starts at 1.
type Affine struct {
	In, Out int
	W       *nn.Param // d×C, nil for HP
	B       *nn.Param
	HP      *Projector
}

// Matrix returns the effective C×d matrix A of the affine.
func (a *Affine) Matrix() *mat.Dense {
	if a.HP != nil {
		return a.HP.W()
	}
	w := paramDense(a.W)
	out := mat.NewDense(a.Out, a.In, nil)
	g := 1 / math.Sqrt(float64(a.In))
	for i := 0; i < a.Out; i++ {
		for j := 0; j < a.In; j++ {
			out.Set(i, j, g*w.At(j, i))
		}
	}
	return out
}

func (a *Affine) params() []*nn.Param {
	if a.HP != nil {
		return []*nn.Param{a.HP.PU, a.HP.PV, a.B}
	}
	return []*nn.Param{a.W, a.B}
}

// StyleLayer is a modulated convolution fed by one W+ slot:
//
//	y = demod ⊙ conv(x ⊙ s, Wc) + bias,  demod_{n,o} = (Σ_{i,u,v} Wc²_{o,i,u,v}·s²_{n,i} + 1e-8)^(−½),
//
// the non-fused form of StyleGAN2's modulated conv (scaling the input by
// the style equals scaling the filter's input channels). The to-grey layer
// (1×1, Demod false) uses no demodulation and a 1/√C gain instead.
type StyleLayer struct {
	Affine   *Affine
	Weight   *nn.Param // Cout×Cin×k×k
	Bias     *nn.Param // 1×Cout×1×1
	Demod    bool
	Cin, Out int
}

// Generator is the small style-based generator: mapping MLP z → w (pixel
// norm, two leaky-ReLU layers, a linear output), a learned 4×4 constant,
// then per block an ×2 nearest up-sampling, two modulated 3×3 convs and a
// modulated 1×1 to-grey whose output is added to the up-sampled image (the
// StyleGAN2 skip architecture). Layers[3b], [3b+1], [3b+2] are block b's
// conv1, conv2 and to-grey; W+ slot i feeds Layers[i].
type Generator struct {
	Cfg    GenConfig
	Map    [][2]*nn.Param // (W in×out ~ N(0, 1/lrmul²), B 1×out)
	Const  *nn.Param      // 1×ConstCh×4×4
	Layers []*StyleLayer
}

// NewGenerator initialises a generator: mapping and affine weights N(0, 1)
// with runtime gains, conv weights N(0, 1), biases 0, affine biases 1,
// constant N(0, 1).
func NewGenerator(cfg GenConfig, rng *rand.Rand) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Generator{Cfg: cfg}
	dims := []int{cfg.ZDim, cfg.MapHidden, cfg.MapHidden, cfg.WDim}
	for i := 0; i+1 < len(dims); i++ {
		w := nn.NewParam(fmt.Sprintf("map%d.w", i), dims[i], dims[i+1])
		nn.NormalFill(w.Data(), 1/cfg.MapLRMul, rng)
		g.Map = append(g.Map, [2]*nn.Param{w, nn.NewParam(fmt.Sprintf("map%d.b", i), 1, dims[i+1])})
	}
	g.Const = nn.NewParam("const", 1, cfg.ConstCh, 4, 4)
	nn.NormalFill(g.Const.Data(), 1, rng)
	cin := cfg.ConstCh
	for b, ch := range cfg.Channels {
		for j, spec := range []struct {
			cin, k int
			demod  bool
		}{{cin, 3, true}, {ch, 3, true}, {ch, 1, false}} {
			name := fmt.Sprintf("b%d.%d", b, j)
			cout := ch
			if !spec.demod {
				cout = 1
			}
			a := &Affine{In: cfg.WDim, Out: spec.cin, W: nn.NewParam(name+".aff.w", cfg.WDim, spec.cin), B: nn.NewParam(name+".aff.b", 1, spec.cin)}
			nn.NormalFill(a.W.Data(), 1, rng)
			for i := range a.B.Data() {
				a.B.Data()[i] = 1
			}
			l := &StyleLayer{Affine: a, Weight: nn.NewParam(name+".w", cout, spec.cin, spec.k, spec.k),
				Bias: nn.NewParam(name+".b", 1, cout, 1, 1), Demod: spec.demod, Cin: spec.cin, Out: cout}
			nn.NormalFill(l.Weight.Data(), 1, rng)
			g.Layers = append(g.Layers, l)
		}
		cin = ch
	}
	return g, nil
}

// Params returns every parameter in a fixed order (mapping, constant, then
// per layer its affine, filter and bias).
func (g *Generator) Params() []*nn.Param {
	var ps []*nn.Param
	for _, m := range g.Map {
		ps = append(ps, m[0], m[1])
	}
	ps = append(ps, g.Const)
	for _, l := range g.Layers {
		ps = append(ps, l.Affine.params()...)
		ps = append(ps, l.Weight, l.Bias)
	}
	return ps
}

// HPLayers returns the indices of the layers whose affine is an HP.
func (g *Generator) HPLayers() []int {
	var out []int
	for i, l := range g.Layers {
		if l.Affine.HP != nil {
			out = append(out, i)
		}
	}
	return out
}

// Clone returns a deep copy with its own storage.
func (g *Generator) Clone() *Generator {
	out := &Generator{Cfg: g.Cfg, Const: g.Const.Clone()}
	out.Cfg.Channels = append([]int(nil), g.Cfg.Channels...)
	for _, m := range g.Map {
		out.Map = append(out.Map, [2]*nn.Param{m[0].Clone(), m[1].Clone()})
	}
	for _, l := range g.Layers {
		a := &Affine{In: l.Affine.In, Out: l.Affine.Out, W: l.Affine.W.Clone(), B: l.Affine.B.Clone()}
		if l.Affine.HP != nil {
			a.HP = &Projector{PU: l.Affine.HP.PU.Clone(), PV: l.Affine.HP.PV.Clone(), K: l.Affine.HP.K}
		}
		out.Layers = append(out.Layers, &StyleLayer{Affine: a, Weight: l.Weight.Clone(), Bias: l.Bias.Clone(), Demod: l.Demod, Cin: l.Cin, Out: l.Out})
	}
	return out
}

// HPInit selects the initialisation of inserted projectors.
type HPInit int

// Projector initialisations.
const (
	InitRandom HPInit = iota // P_U, P_V ~ N(0, 0.05²) (train_1024.py)
	InitSVD                  // from the SVD of the pretrained affine (train_256.py)
)

// WithProjector returns a copy of g whose layers in idx use an HP affine of
// rank k, initialised randomly or from the SVD of the layer's current
// affine matrix (whose singular values are discarded); the affine bias is
// kept. k must lie in [1, min(C, d)].
func (g *Generator) WithProjector(idx []int, k int, init HPInit, rng *rand.Rand) (*Generator, error) {
	out := g.Clone()
	for _, i := range idx {
		if i < 0 || i >= len(out.Layers) {
			return nil, fmt.Errorf("gan: WithProjector: layer %d of %d", i, len(out.Layers))
		}
		a := out.Layers[i].Affine
		if k < 1 || k > a.In || k > a.Out {
			return nil, fmt.Errorf("gan: WithProjector: k = %d outside [1, min(C=%d, d=%d)]", k, a.Out, a.In)
		}
		name := a.B.Name[:len(a.B.Name)-2]
		hp := &Projector{PU: nn.NewParam(name+".pu", a.Out, a.Out), PV: nn.NewParam(name+".pv", a.In, a.In), K: k}
		switch init {
		case InitSVD:
			pu, pv, _, err := householder.InitFromSVD(a.Matrix(), k)
			if err != nil {
				return nil, fmt.Errorf("gan: WithProjector layer %d: %w", i, err)
			}
			setParamDense(hp.PU, pu)
			setParamDense(hp.PV, pv)
		default:
			setParamDense(hp.PU, householder.RandomP(a.Out, rng))
			setParamDense(hp.PV, householder.RandomP(a.In, rng))
		}
		a.HP, a.W = hp, nil
	}
	return out, nil
}

// gb accumulates the first error of a chain of graph constructions.
type gb struct{ err error }

func (b *gb) do(n *G.Node, err error) *G.Node {
	if b.err == nil && err != nil {
		b.err = err
	}
	return n
}

func f32scalar(g *G.ExprGraph, v float64) *G.Node { return G.NewConstant(float32(v)) }

// lrelu is the leaky ReLU (slope 0.2) times √2, StyleGAN's gained activation.
func (b *gb) lrelu(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	y := b.do(G.LeakyRelu(x, 0.2))
	if b.err != nil {
		return nil
	}
	return b.do(G.Mul(y, G.NewConstant(float32(math.Sqrt2))))
}

// genNodes are the graph nodes of one generator instance.
type genNodes struct {
	hp map[int]*G.Node // layer → Aᵀ input node (d×C) of HP affines
}

// refreshHP writes Aᵀ = householder.BuildW(P_U, P_V, K)ᵀ of every HP layer into its
// graph node's value.
func (g *Generator) refreshHP(n genNodes) {
	for i, node := range n.hp {
		w := g.Layers[i].Affine.HP.W()
		c, d := w.Dims()
		dst := node.Value().Data().([]float32)
		for r := 0; r < c; r++ {
			for j := 0; j < d; j++ {
				dst[j*c+r] = float32(w.At(r, j))
			}
		}
	}
}

// mapping adds z → w: pixel norm z/√(mean z²+1e-8), then two leaky-ReLU
// layers and a linear output, each x·(W·lrmul/√in) + B·lrmul.
func (g *Generator) mapping(b *gb, z *G.Node, p func(*nn.Param) *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	sq := b.do(G.Square(z))
	ms := b.do(G.Mean(sq, 1))
	ms = b.do(G.Add(ms, G.NewConstant(float32(1e-8))))
	inv := b.do(G.Inverse(b.do(G.Sqrt(ms))))
	if b.err != nil {
		return nil
	}
	x := b.do(G.BroadcastHadamardProd(z, b.do(G.Reshape(inv, tensor.Shape{z.Shape()[0], 1})), nil, []byte{1}))
	for i, m := range g.Map {
		if b.err != nil {
			return nil
		}
		gain := g.Cfg.MapLRMul / math.Sqrt(float64(m[0].Shape[0]))
		xs := b.do(G.Mul(x, G.NewConstant(float32(gain))))
		y := b.do(nn.Linear(xs, p(m[0]), nil))
		if b.err != nil {
			return nil
		}
		bias := b.do(G.Mul(p(m[1]), G.NewConstant(float32(g.Cfg.MapLRMul))))
		x = b.do(G.BroadcastAdd(y, bias, nil, []byte{0}))
		if i+1 < len(g.Map) {
			x = b.lrelu(x)
		}
	}
	return x
}

// synthesis adds the synthesis network for the given W+ slot nodes
// (Slots() nodes, each B×WDim) and returns the B×1×Res×Res image.
func (g *Generator) synthesis(b *gb, eg *G.ExprGraph, slots []*G.Node, p func(*nn.Param) *G.Node, n genNodes) *G.Node {
	if b.err != nil {
		return nil
	}
	bs := slots[0].Shape()[0]
	// Broadcast the constant over the batch by a matmul with a column of ones.
	ones := G.NewConstant(tensor.New(tensor.WithShape(bs, 1), tensor.WithBacking(fill32(bs, 1))))
	cflat := b.do(G.Reshape(p(g.Const), tensor.Shape{1, g.Cfg.ConstCh * 16}))
	x := b.do(G.Mul(ones, cflat))
	x = b.do(G.Reshape(x, tensor.Shape{bs, g.Cfg.ConstCh, 4, 4}))
	var img *G.Node
	for blk := range g.Cfg.Channels {
		if b.err != nil {
			return nil
		}
		x = b.do(nn.Upsample2x(x))
		if img != nil {
			img = b.do(nn.Upsample2x(img))
		}
		for j := 0; j < 3; j++ {
			li := 3*blk + j
			y := g.styleLayer(b, eg, li, x, slots[li], p, n)
			if j < 2 {
				x = y
			} else if img == nil {
				img = y
			} else {
				img = b.do(G.Add(img, y))
			}
		}
	}
	return img
}

func fill32(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func (g *Generator) styleLayer(b *gb, eg *G.ExprGraph, li int, x, w *G.Node, p func(*nn.Param) *G.Node, n genNodes) *G.Node {
	if b.err != nil {
		return nil
	}
	l := g.Layers[li]
	a := l.Affine
	var s *G.Node
	if a.HP != nil {
		node, ok := n.hp[li]
		if !ok {
			node = G.NewMatrix(eg, tensor.Float32, G.WithShape(a.In, a.Out), G.WithName(fmt.Sprintf("hpA%d", li)),
				G.WithValue(tensor.New(tensor.WithShape(a.In, a.Out), tensor.WithBacking(make([]float32, a.In*a.Out)))))
			n.hp[li] = node
		}
		s = b.do(nn.Linear(w, node, p(a.B)))
	} else {
		ws := b.do(G.Mul(w, G.NewConstant(float32(1/math.Sqrt(float64(a.In))))))
		s = b.do(nn.Linear(ws, p(a.W), p(a.B)))
	}
	if b.err != nil {
		return nil
	}
	bs := x.Shape()[0]
	s4 := b.do(G.Reshape(s, tensor.Shape{bs, l.Cin, 1, 1}))
	xs := b.do(G.BroadcastHadamardProd(x, s4, nil, []byte{2, 3}))
	if b.err != nil {
		return nil
	}
	wt := p(l.Weight)
	if !l.Demod {
		wt = b.do(G.Mul(wt, G.NewConstant(float32(1/math.Sqrt(float64(l.Cin))))))
	}
	y := b.do(nn.Conv2d(xs, wt, nil, 1))
	if b.err != nil {
		return nil
	}
	if l.Demod {
		wsq := b.do(G.Sum(b.do(G.Square(p(l.Weight))), 2, 3)) // Cout×Cin
		ssq := b.do(G.Square(s))                              // B×Cin
		if b.err != nil {
			return nil
		}
		d := b.do(G.Mul(ssq, b.do(G.Transpose(wsq)))) // B×Cout
		d = b.do(G.Add(d, G.NewConstant(float32(1e-8))))
		d = b.do(G.Inverse(b.do(G.Sqrt(d))))
		if b.err != nil {
			return nil
		}
		d4 := b.do(G.Reshape(d, tensor.Shape{bs, l.Out, 1, 1}))
		y = b.do(G.BroadcastHadamardProd(y, d4, nil, []byte{2, 3}))
	}
	if b.err != nil {
		return nil
	}
	y = b.do(G.BroadcastAdd(y, p(l.Bias), nil, []byte{0, 2, 3}))
	if l.Demod {
		y = b.lrelu(y)
	}
	return y
}
