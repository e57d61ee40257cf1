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
	// Noise adds StyleGAN2's per-pixel noise inputs to every 3×3 layer: a
	// learned per-channel strength (init 0) times a fresh N(0, 1) map per
	// layer and image, before the bias and activation. False (the zero
	// value, left out of the JSON) is the generator without them.
	Noise bool `json:",omitempty"`
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
// (1×1, Demod false) uses no demodulation and a 1/√C gain instead. With
// noise inputs a 3×3 layer adds Noise ⊙ n before the bias, n a fresh
// N(0, 1) map of one channel broadcast over the Cout channels.
type StyleLayer struct {
	Affine   *Affine
	Weight   *nn.Param // Cout×Cin×k×k
	Bias     *nn.Param // 1×Cout×1×1
	Noise    *nn.Param // 1×Cout×1×1 noise strength; nil without noise inputs
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
// constant N(0, 1), noise strengths 0 (drawing nothing from rng, so the
// weights do not depend on cfg.Noise).
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
			if cfg.Noise && spec.demod {
				l.Noise = nn.NewParam(name+".noise", 1, cout, 1, 1)
			}
			g.Layers = append(g.Layers, l)
		}
		cin = ch
	}
	return g, nil
}

// Params returns every parameter in a fixed order (mapping, constant, then
// per layer its affine, filter, bias and noise strength if any).
func (g *Generator) Params() []*nn.Param {
	var ps []*nn.Param
	for _, m := range g.Map {
		ps = append(ps, m[0], m[1])
	}
	ps = append(ps, g.Const)
	for _, l := range g.Layers {
		ps = append(ps, l.Affine.params()...)
		ps = append(ps, l.Weight, l.Bias)
		if l.Noise != nil {
			ps = append(ps, l.Noise)
		}
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
		out.Layers = append(out.Layers, &StyleLayer{Affine: a, Weight: l.Weight.Clone(), Bias: l.Bias.Clone(),
			Noise: l.Noise.Clone(), Demod: l.Demod, Cin: l.Cin, Out: l.Out})
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

// mapping adds z → w: pixel norm z/√(mean z²+1e-8), then two leaky-ReLU
// layers and a linear output, each x·(W·lrmul/√in) + B·lrmul.
func (g *Generator) mapping(b *gb, z *G.Node) *G.Node {
	if !b.ok(z) {
		return nil
	}
	sq := b.do(G.Square(z))
	ms := b.do(G.Mean(sq, 1))
	ms = b.add(ms, b.scalar(1e-8))
	if !b.ok(ms) {
		return nil
	}
	inv := b.do(G.Inverse(b.do(G.Sqrt(ms))))
	x := b.bmul(z, b.reshape(inv, z.Shape()[0], 1), nil, []byte{1})
	for i, m := range g.Map {
		gain := g.Cfg.MapLRMul / math.Sqrt(float64(m[0].Shape[0]))
		y := b.linear(b.scale(x, gain), b.p(m[0]), nil)
		x = b.badd(y, b.scale(b.p(m[1]), g.Cfg.MapLRMul), []byte{0})
		if i+1 < len(g.Map) {
			x = b.leaky(x, math.Sqrt2)
		}
	}
	return x
}

// synthIn are the inputs of one synthesis network.
type synthIn struct {
	slots []*G.Node       // W+ slots, Slots() nodes of B×WDim
	tan   []*G.Node       // their tangents (nil: no tangent pass)
	noise []*G.Node       // per layer the B×1×H×W noise map, nil where the layer has none
	hp    map[int]*G.Node // layer → Aᵀ input node (d×C) of HP affines, filled by synthesis
}

// synthesis adds the synthesis network for the W+ slots and returns the
// B×1×Res×Res image and, with slot tangents, its tangent
// imgT = Σ_s J_{w_s} G·ẇ_s (forward mode, the same layers applied to
// tangents; see graph.go).
func (g *Generator) synthesis(b *gb, in synthIn) (img, imgT *G.Node) {
	if !b.ok(in.slots...) {
		return nil, nil
	}
	bs := in.slots[0].Shape()[0]
	// Broadcast the constant over the batch by a matmul with a column of ones.
	ones := make([]float64, bs)
	for i := range ones {
		ones[i] = 1
	}
	cflat := b.reshape(b.p(g.Const), 1, g.Cfg.ConstCh*16)
	if !b.ok(cflat) {
		return nil, nil
	}
	x := b.reshape(b.do(G.Mul(b.constant(ones, bs, 1), cflat)), bs, g.Cfg.ConstCh, 4, 4)
	var xt *G.Node // the constant has no tangent
	at := func(ns []*G.Node, i int) *G.Node {
		if ns == nil {
			return nil
		}
		return ns[i]
	}
	for blk := range g.Cfg.Channels {
		x, xt = b.upsample(x), b.upsample(xt)
		img, imgT = b.upsample(img), b.upsample(imgT)
		for j := 0; j < 3; j++ {
			li := 3*blk + j
			y, yt := g.styleLayer(b, li, x, xt, in.slots[li], at(in.tan, li), at(in.noise, li), in.hp)
			if j < 2 {
				x, xt = y, yt
			} else {
				img, imgT = b.addOpt(img, y), b.addOpt(imgT, yt)
			}
		}
	}
	return img, imgT
}

// constant adds a constant tensor of the graph's dtype.
func (b *gb) constant(v []float64, shape ...int) *G.Node {
	var back any = v
	if b.dt == tensor.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		back = f
	}
	return G.NewConstant(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(back)))
}

// upsample is nn.Upsample2x; nil stays nil (a zero tangent or no image yet).
func (b *gb) upsample(x *G.Node) *G.Node {
	if x == nil || !b.ok(x) {
		return nil
	}
	return b.do(nn.Upsample2x(x))
}

// hpNode returns the Aᵀ input node (d×C) of HP layer li, creating it.
func (b *gb) hpNode(hp map[int]*G.Node, li int, a *Affine) *G.Node {
	if n, ok := hp[li]; ok {
		return n
	}
	n := b.input(fmt.Sprintf("hpA%d", li), a.In, a.Out)
	hp[li] = n
	return n
}

// refreshHP writes Aᵀ = householder.BuildW(P_U, P_V, K)ᵀ of every HP layer
// into its graph node's value.
func (g *Generator) refreshHP(hp map[int]*G.Node) {
	for i, node := range hp {
		w := g.Layers[i].Affine.HP.W()
		c, d := w.Dims()
		v := make([]float64, c*d)
		for r := 0; r < c; r++ {
			for j := 0; j < d; j++ {
				v[j*c+r] = w.At(r, j)
			}
		}
		setInput(node, v)
	}
}

// styleLayer adds layer li on input x (tangent xt, may be nil) with style
// code w (tangent wt, may be nil) and noise map (may be nil):
//
//	s = A·w + b,  y = demod ⊙ conv(x ⊙ s, Wc) + strength ⊙ noise + bias,  out = √2·lrelu(y)
//
// (the to-grey layer: 1/√C gain, no demodulation, noise or activation). The
// tangent follows the product rule: ṡ = A·ẇ, conv(ẋ ⊙ s + x ⊙ ṡ, Wc) for
// the convolution, ḋemod = −demod³ ⊙ ((s ⊙ ṡ)·(ΣWc²)ᵀ) for
// demod = (s²·(ΣWc²)ᵀ + 1e-8)^(−½), and √2·φ'(y) for the activation; the
// noise and bias terms do not depend on w.
func (g *Generator) styleLayer(b *gb, li int, x, xt, w, wt, noise *G.Node, hp map[int]*G.Node) (y, yt *G.Node) {
	if !b.ok(x, w) {
		return nil, nil
	}
	l := g.Layers[li]
	a := l.Affine
	bs := x.Shape()[0]
	var A *G.Node
	win, wtin := w, wt
	if a.HP != nil {
		A = b.hpNode(hp, li, a)
	} else {
		A = b.p(a.W)
		gain := 1 / math.Sqrt(float64(a.In))
		win = b.scale(w, gain)
		if wt != nil {
			wtin = b.scale(wt, gain)
		}
	}
	s := b.linear(win, A, b.p(a.B))
	var st *G.Node
	if wt != nil {
		st = b.linear(wtin, A, nil)
	}
	s4 := b.reshape(s, bs, l.Cin, 1, 1)
	xs := b.bmul(x, s4, nil, []byte{2, 3})
	var xsT *G.Node
	if xt != nil {
		xsT = b.bmul(xt, s4, nil, []byte{2, 3})
	}
	if st != nil {
		xsT = b.addOpt(xsT, b.bmul(x, b.reshape(st, bs, l.Cin, 1, 1), nil, []byte{2, 3}))
	}
	wc := b.p(l.Weight)
	if !l.Demod {
		wc = b.scale(wc, 1/math.Sqrt(float64(l.Cin)))
	}
	y = b.conv(xs, wc, nil, 1)
	if xsT != nil {
		yt = b.conv(xsT, wc, nil, 1)
	}
	if l.Demod {
		if !b.ok(s) {
			return nil, nil
		}
		// Σ_{u,v} Wc², one axis at a time: tensor v0.9.24 sums wrong windows
		// when reducing axes 2 and 3 of a Cout×Cin×k×k tensor together.
		wsqT := b.do(G.Transpose(b.sum(b.sum(b.do(G.Square(b.p(l.Weight))), 3), 2))) // Cin×Cout
		d := b.add(b.linear(b.do(G.Square(s)), wsqT, nil), b.scalar(1e-8))           // B×Cout
		if !b.ok(d) {
			return nil, nil
		}
		// d is consumed only by its reshape d4.
		d4 := b.reshape(b.do(G.Inverse(b.do(G.Sqrt(d)))), bs, l.Out, 1, 1)
		if yt != nil {
			yt = b.bmul(yt, d4, nil, []byte{2, 3})
		}
		if st != nil {
			q4 := b.reshape(b.linear(b.had(s, st), wsqT, nil), bs, l.Out, 1, 1)
			dt4 := b.scale(b.had(b.had(b.had(d4, d4), d4), q4), -1)
			yt = b.addOpt(yt, b.bmul(y, dt4, nil, []byte{2, 3}))
		}
		y = b.bmul(y, d4, nil, []byte{2, 3})
	}
	if noise != nil {
		y = b.add(y, b.bmul(noise, b.p(l.Noise), []byte{1}, []byte{0, 2, 3}))
	}
	y = b.badd(y, b.p(l.Bias), []byte{0, 2, 3})
	if l.Demod {
		yt = b.leakyTangent(y, yt, math.Sqrt2)
		y = b.leaky(y, math.Sqrt2)
	}
	return y, yt
}
