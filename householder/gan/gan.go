package gan

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"genlab/householder"
	"genlab/nn"

	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"
)

// ErrNonFinite reports a NaN or infinite loss or gradient.
var ErrNonFinite = errors.New("gan: non-finite loss or gradient")

// Discriminator is a 3×3 conv (stride 1) followed by stride-2 3×3 convs down
// to 4×4 and a linear logit, leaky-ReLU (0.2) between layers.
type Discriminator struct {
	Convs []*nn.Conv
	Out   *nn.Dense
	Res   int
	Last  int // channels of the last conv
}

// NewDiscriminator builds a discriminator for Res×Res greyscale images with
// the given channels: channels[0] at full resolution, then one stride-2 conv
// per further entry; Res/2^(len−1) must be 4.
func NewDiscriminator(res int, channels []int, rng *rand.Rand) (*Discriminator, error) {
	if len(channels) < 2 || res>>(len(channels)-1) != 4 {
		return nil, fmt.Errorf("gan: discriminator: %d px with channels %v does not reach 4×4", res, channels)
	}
	d := &Discriminator{Res: res, Last: channels[len(channels)-1]}
	cin := 1
	for i, c := range channels {
		stride := 2
		if i == 0 {
			stride = 1
		}
		d.Convs = append(d.Convs, nn.NewConv(fmt.Sprintf("d%d", i), cin, c, 3, stride, 1, rng))
		cin = c
	}
	d.Out = nn.NewDense("dout", cin*16, 1, 1, rng)
	return d, nil
}

// Params returns the discriminator's parameters in a fixed order.
func (d *Discriminator) Params() []*nn.Param {
	var ps []*nn.Param
	for _, c := range d.Convs {
		ps = append(ps, c.Params()...)
	}
	return append(ps, d.Out.Params()...)
}

// Clone returns a deep copy.
func (d *Discriminator) Clone() *Discriminator {
	out := &Discriminator{Res: d.Res, Last: d.Last}
	for _, c := range d.Convs {
		out.Convs = append(out.Convs, &nn.Conv{W: c.W.Clone(), B: c.B.Clone(), Stride: c.Stride})
	}
	out.Out = &nn.Dense{W: d.Out.W.Clone(), B: d.Out.B.Clone()}
	return out
}

// forward adds D's logits l (B) for the images x and, when xt is not nil,
// their directional derivative lt = J_x D(x)·xt (forward mode: each conv
// carries conv(ẋ, W) without its bias, each leaky ReLU φ'(a)·ȧ, the dense
// layer ẋ·W).
func (d *Discriminator) forward(b *gb, x, xt *G.Node) (l, lt *G.Node) {
	if !b.ok(x) {
		return nil, nil
	}
	for _, c := range d.Convs {
		a := b.conv(x, b.p(c.W), b.p(c.B), c.Stride)
		if xt != nil {
			xt = b.leakyTangent(a, b.conv(xt, b.p(c.W), nil, c.Stride), 1)
		}
		x = b.leaky(a, 1)
	}
	bs := x.Shape()[0]
	l = b.reshape(b.linear(b.reshape(x, bs, d.Last*16), b.p(d.Out.W), b.p(d.Out.B)), bs)
	if xt != nil {
		lt = b.reshape(b.linear(b.reshape(xt, bs, d.Last*16), b.p(d.Out.W), nil), bs)
	}
	return l, lt
}

// softplus returns log(1+eˣ) = max(x, 0) + log1p(e^(−|x|)), stable for any x.
func (b *gb) softplus(x *G.Node) *G.Node {
	if !b.ok(x) {
		return nil
	}
	r := b.do(G.Rectify(x))
	e := b.do(G.Log1p(b.do(G.Exp(b.do(G.Neg(b.do(G.Abs(x))))))))
	return b.add(r, e)
}

// dGraph evaluates, for one batch x, the logits l and the gradients with
// respect to D's parameters and to x of
//
//	cost = Σ_i a_i·softplus(s_i·l_i) + Σ_i c_i·l_i,
//
// which covers both logistic losses (a = 1/B, s = ∓1) and the input
// gradient ∇ₓD of R1 (a = 0, c = 1).
type dGraph struct {
	d             *Discriminator
	vm            G.VM
	x, a, s, c    *G.Node
	nodes         []*G.Node // D.Params() order
	logitV, costV G.Value
	batch         int
}

func newDGraph(d *Discriminator, batch int) (*dGraph, error) { return newDGraphOn(newGB32(), d, batch) }

func newDGraphOn(b *gb, d *Discriminator, batch int) (*dGraph, error) {
	dg := &dGraph{d: d, batch: batch, x: b.input("x", batch, 1, d.Res, d.Res),
		a: b.input("a", batch), s: b.input("s", batch), c: b.input("c", batch)}
	l, _ := d.forward(b, dg.x, nil)
	t1 := b.sum(b.had(dg.a, b.softplus(b.had(dg.s, l))))
	cost := b.add(t1, b.sum(b.had(dg.c, l)))
	if b.err != nil {
		return nil, fmt.Errorf("gan: discriminator graph: %w", b.err)
	}
	for _, p := range d.Params() {
		dg.nodes = append(dg.nodes, b.p(p))
	}
	learn := append(append([]*G.Node(nil), dg.nodes...), dg.x)
	if _, err := G.Grad(cost, learn...); err != nil {
		return nil, fmt.Errorf("gan: discriminator gradient: %w", err)
	}
	G.Read(l, &dg.logitV)
	G.Read(cost, &dg.costV)
	dg.vm = G.NewTapeMachine(b.g, G.BindDualValues(learn...))
	return dg, nil
}

// set writes the images x and the per-image weights a, s, c.
func (dg *dGraph) set(x []float32, a, s, c float64) {
	setInput(dg.x, x)
	for _, v := range []struct {
		n *G.Node
		x float64
	}{{dg.a, a}, {dg.s, s}, {dg.c, c}} {
		w := make([]float64, dg.batch)
		for i := range w {
			w[i] = v.x
		}
		setInput(v.n, w)
	}
}

// run evaluates the graph and adds the parameter gradients into acc (one
// slice per D parameter, nil: not wanted); gx, if not nil, receives
// ∂cost/∂x.
func (dg *dGraph) run(acc [][]float64, gx []float64) (cost float64, logits []float64, err error) {
	defer dg.vm.Reset()
	if err := dg.vm.RunAll(); err != nil {
		return 0, nil, fmt.Errorf("gan: discriminator: %w", err)
	}
	cost = scalarOf(dg.costV)
	logits = floats(dg.logitV)
	for i, n := range dg.nodes {
		g, err := takeGrad(n)
		if err != nil {
			return 0, nil, fmt.Errorf("gan: discriminator gradient %d: %w", i, err)
		}
		if acc != nil {
			for j, v := range g {
				acc[i][j] += v
			}
		}
	}
	g, err := takeGrad(dg.x)
	if err != nil {
		return 0, nil, fmt.Errorf("gan: discriminator input gradient: %w", err)
	}
	if gx != nil {
		copy(gx, g)
	}
	return cost, logits, nil
}

// genMode selects what a generator graph computes besides the images.
type genMode int

const (
	genImages    genMode = iota // images only
	genLoss                     // mean_i softplus(−D(G_i)) through a discriminator, gradient for G
	genPLGrad                   // ⟨G, y⟩ and its gradient u_s with respect to each W+ slot
	genPLTangent                // ⟨Σ_s J_{w_s}G·v_s, y⟩ for slot tangents v, gradient for G
)

// genSpec describes a generator graph.
type genSpec struct {
	batch int
	wplus bool           // W+ slot inputs instead of z → mapping
	mix   bool           // z mode: a second latent z2 and per-slot mixing masks
	mode  genMode        // what the graph adds to the images
	d     *Discriminator // genLoss
}

// genGraph runs a generator at a fixed batch size: either z → mapping (all
// slots w, or with mixing slot s = m_s ⊙ w₁ + (1 − m_s) ⊙ w₂) or W+ slot
// inputs → synthesis, with noise maps as inputs when the generator has
// them; then what its mode adds.
type genGraph struct {
	gen         *Generator
	spec        genSpec
	vm          G.VM
	z, z2       *G.Node   // latents (z mode)
	mask, maskC []*G.Node // mixing masks m_s and 1 − m_s, B×WDim (mix)
	slots       []*G.Node // slot inputs (W+ mode)
	delta       []*G.Node // genPLGrad: zero offsets added to the slots; their gradient is u
	tan         []*G.Node // genPLTangent: slot tangents
	noise       []*G.Node // per layer B×1×H×W, nil where the layer has no noise
	y           *G.Node   // genPL*: the projection y
	hp          map[int]*G.Node
	imgV, costV G.Value
	learn       map[*nn.Param]*G.Node
}

func newGenGraph(gen *Generator, spec genSpec) (*genGraph, error) {
	return newGenGraphOn(newGB32(), gen, spec)
}

// newGenGraphOn compiles a generator graph on b.
func newGenGraphOn(b *gb, gen *Generator, spec genSpec) (*genGraph, error) {
	cfg := gen.Cfg
	bs := spec.batch
	gg := &genGraph{gen: gen, spec: spec, hp: map[int]*G.Node{}}
	slots := gg.slotNodes(b)
	if spec.mode == genPLGrad {
		for i := range slots {
			gg.delta = append(gg.delta, b.input(fmt.Sprintf("delta%d", i), bs, cfg.WDim))
			slots[i] = b.add(slots[i], gg.delta[i])
		}
	}
	if spec.mode == genPLTangent {
		for i := range slots {
			gg.tan = append(gg.tan, b.input(fmt.Sprintf("tan%d", i), bs, cfg.WDim))
		}
	}
	gg.noise = make([]*G.Node, len(slots))
	for i, l := range gen.Layers {
		if l.Noise != nil {
			r := 8 << (i / 3)
			gg.noise[i] = b.input(fmt.Sprintf("noise%d", i), bs, 1, r, r)
		}
	}
	img, imgT := gen.synthesis(b, synthIn{slots: slots, tan: gg.tan, noise: gg.noise, hp: gg.hp})
	if b.err != nil {
		return nil, fmt.Errorf("gan: generator graph: %w", b.err)
	}
	G.Read(img, &gg.imgV)
	var cost *G.Node
	var learn []*G.Node
	switch spec.mode {
	case genImages:
		gg.vm = G.NewTapeMachine(b.g)
		return gg, nil
	case genLoss:
		l, _ := spec.d.forward(b, img, nil)
		cost = b.do(G.Mean(b.softplus(b.do(G.Neg(l)))))
		learn = gg.learnNodes(b, nil)
	case genPLGrad:
		gg.y = b.input("y", bs, 1, cfg.Res(), cfg.Res())
		cost = b.dot(img, gg.y)
		learn = gg.delta
	case genPLTangent:
		gg.y = b.input("y", bs, 1, cfg.Res(), cfg.Res())
		cost = b.dot(imgT, gg.y)
		// The image tangent does not depend on the to-grey biases (they
		// only shift the image): their gradient is zero, and gorgonia
		// refuses a gradient with respect to a node the cost does not use.
		skip := map[*nn.Param]bool{}
		for _, l := range gen.Layers {
			if !l.Demod {
				skip[l.Bias] = true
			}
		}
		learn = gg.learnNodes(b, skip)
	}
	if b.err != nil {
		return nil, fmt.Errorf("gan: generator loss graph: %w", b.err)
	}
	G.Read(cost, &gg.costV)
	if _, err := G.Grad(cost, learn...); err != nil {
		return nil, fmt.Errorf("gan: generator gradient: %w", err)
	}
	gg.vm = G.NewTapeMachine(b.g, G.BindDualValues(learn...))
	return gg, nil
}

// slotNodes adds the W+ slot inputs (W+ mode) or the latents, their
// mapping and, with mixing, the masks (z mode), and returns the slots.
func (gg *genGraph) slotNodes(b *gb) []*G.Node {
	cfg, bs := gg.gen.Cfg, gg.spec.batch
	slots := make([]*G.Node, cfg.Slots())
	if gg.spec.wplus {
		for i := range slots {
			gg.slots = append(gg.slots, b.input(fmt.Sprintf("slot%d", i), bs, cfg.WDim))
		}
		return append(slots[:0], gg.slots...)
	}
	gg.z = b.input("z", bs, cfg.ZDim)
	w := gg.gen.mapping(b, gg.z)
	var w2 *G.Node
	if gg.spec.mix {
		gg.z2 = b.input("z2", bs, cfg.ZDim)
		w2 = gg.gen.mapping(b, gg.z2)
	}
	for i := range slots {
		slots[i] = w
		if gg.spec.mix {
			gg.mask = append(gg.mask, b.input(fmt.Sprintf("mix%d", i), bs, cfg.WDim))
			gg.maskC = append(gg.maskC, b.input(fmt.Sprintf("mixc%d", i), bs, cfg.WDim))
			slots[i] = b.add(b.had(gg.mask[i], w), b.had(gg.maskC[i], w2))
		}
	}
	return slots
}

// learnNodes records and returns the bound generator parameter nodes
// (except skip) and the HP affine nodes, the inputs to differentiate.
func (gg *genGraph) learnNodes(b *gb, skip map[*nn.Param]bool) []*G.Node {
	gg.learn = map[*nn.Param]*G.Node{}
	var learn []*G.Node
	for _, p := range gg.gen.Params() {
		if n, ok := b.bd.Bound(p); ok && !skip[p] {
			gg.learn[p] = n
			learn = append(learn, n)
		}
	}
	for _, n := range gg.hp {
		learn = append(learn, n)
	}
	return learn
}

// genOut is the result of one run of a generator graph.
type genOut struct {
	img   []float64   // batch×Res² pixels
	cost  float64     // the mode's scalar
	grads [][]float64 // genLoss, genPLTangent: ∂cost/∂θ in Params() order
	u     [][]float64 // genPLGrad: ∂cost/∂slot_s, each batch×WDim
}

// run refreshes the HP weights and evaluates the graph. Parameter
// gradients of HP reflectors come from BuildWBackward of ∂cost/∂A.
func (gg *genGraph) run() (genOut, error) {
	var out genOut
	gg.gen.refreshHP(gg.hp)
	defer gg.vm.Reset()
	if err := gg.vm.RunAll(); err != nil {
		return out, fmt.Errorf("gan: generator: %w", err)
	}
	out.img = floats(gg.imgV)
	if gg.costV == nil {
		return out, nil
	}
	out.cost = scalarOf(gg.costV)
	if gg.spec.mode == genPLGrad {
		for i, n := range gg.delta {
			g, err := takeGrad(n)
			if err != nil {
				return out, fmt.Errorf("gan: gradient of slot %d: %w", i, err)
			}
			out.u = append(out.u, g)
		}
		return out, nil
	}
	var err error
	out.grads, err = gg.paramGrads()
	return out, err
}

// paramGrads reads the gradient of every generator parameter (zeros for
// those not differentiated).
func (gg *genGraph) paramGrads() ([][]float64, error) {
	ps := gg.gen.Params()
	grads := make([][]float64, len(ps))
	index := map[*nn.Param]int{}
	for i, p := range ps {
		index[p] = i
		if n, ok := gg.learn[p]; ok {
			g, err := takeGrad(n)
			if err != nil {
				return nil, fmt.Errorf("gan: gradient of %s: %w", p.Name, err)
			}
			grads[i] = g
		}
	}
	for li, n := range gg.hp {
		gat, err := takeGrad(n) // ∂L/∂Aᵀ, d×C
		if err != nil {
			return nil, fmt.Errorf("gan: gradient of HP layer %d: %w", li, err)
		}
		a := gg.gen.Layers[li].Affine
		gw := mat.NewDense(a.Out, a.In, nil)
		for j := 0; j < a.In; j++ {
			for r := 0; r < a.Out; r++ {
				gw.Set(r, j, gat[j*a.Out+r])
			}
		}
		gpu, gpv := householder.BuildWBackward(paramDense(a.HP.PU), paramDense(a.HP.PV), a.HP.K, gw)
		grads[index[a.HP.PU]] = denseData(gpu)
		grads[index[a.HP.PV]] = denseData(gpv)
	}
	for i, g := range grads {
		if g == nil {
			grads[i] = make([]float64, ps[i].Len())
		}
	}
	return grads, nil
}

// denseData returns the entries of m row after row.
func denseData(m *mat.Dense) []float64 {
	r, c := m.Dims()
	out := make([]float64, 0, r*c)
	for i := 0; i < r; i++ {
		out = append(out, m.RawRowView(i)...)
	}
	return out
}

// latents are the random inputs of one generator run: z (batch×ZDim),
// with mixing z2 and the crossover slot (slots < cross take w(z), the rest
// w(z2); cross = Slots() when this batch is not mixed), and the noise maps
// of the layers that have them.
type latents struct {
	z, z2 []float64
	cross int
	noise [][]float64 // per layer, nil where none
}

// drawLatents draws the inputs of a run of gg from rng, in this order: z;
// with mixing z2, then whether to mix (probability mixProb) and the
// crossover slot, uniform in [1, Slots()−1] (one per batch, as StyleGAN2);
// then each layer's noise map. Without mixing and noise only z is drawn.
func drawLatents(gg *genGraph, mixProb float64, rng *rand.Rand) latents {
	cfg := gg.gen.Cfg
	normal := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	lt := latents{z: normal(gg.spec.batch * cfg.ZDim), cross: cfg.Slots()}
	if gg.spec.mix {
		lt.z2 = normal(len(lt.z))
		if rng.Float64() < mixProb && cfg.Slots() > 1 {
			lt.cross = 1 + rng.IntN(cfg.Slots()-1)
		}
	}
	lt.noise = make([][]float64, len(gg.noise))
	for i, n := range gg.noise {
		if n != nil {
			lt.noise[i] = normal(n.Shape().TotalSize())
		}
	}
	return lt
}

// setLatents writes lt into gg's inputs.
func (gg *genGraph) setLatents(lt latents) {
	setInput(gg.z, lt.z)
	if gg.spec.mix {
		setInput(gg.z2, lt.z2)
		n := gg.spec.batch * gg.gen.Cfg.WDim
		one, zero := make([]float64, n), make([]float64, n)
		for i := range one {
			one[i] = 1
		}
		for s := range gg.mask {
			if s < lt.cross {
				setInput(gg.mask[s], one)
				setInput(gg.maskC[s], zero)
			} else {
				setInput(gg.mask[s], zero)
				setInput(gg.maskC[s], one)
			}
		}
	}
	gg.setNoise(lt.noise)
}

// setNoise writes the noise maps (per layer; nil entries are skipped).
func (gg *genGraph) setNoise(noise [][]float64) {
	for i, n := range gg.noise {
		if n != nil && noise[i] != nil {
			setInput(n, noise[i])
		}
	}
}

// TrainConfig holds the GAN training hyper-parameters. The fields after
// EMARampup are StyleGAN2's other regularisers; their zero values (left out
// of the JSON) switch them off, so configurations written before they
// existed keep their meaning and their hash.
type TrainConfig struct {
	Batch       int
	LR          float64 // Adam learning rate (2e-3)
	Beta2       float64 // Adam β₂ (0.99); β₁ = 0
	R1Gamma     float64 // R1 weight γ (1 for Sprites-5)
	R1Every     int     // lazy R1 interval (16)
	EMAHalfLife float64 // EMA half-life of G in images (StyleGAN2: 10k)
	EMARampup   float64 // if > 0, the half-life is at most EMARampup × images seen in this run (0.05)
	// MixProb is the style-mixing probability (StyleGAN2: 0.9): each
	// generated batch takes, with this probability, the slots from a
	// random crossover on from the code of a second latent. 0 = off.
	MixProb float64 `json:",omitempty"`
	// PLWeight is the path-length regulariser's weight (StyleGAN2: 2),
	// applied every PLEvery iterations (4) on a batch of max(1, Batch/2)
	// with running-mean decay PLDecay (0.01); see GAN.Step. 0 = off.
	PLWeight float64 `json:",omitempty"`
	PLEvery  int     `json:",omitempty"`
	PLDecay  float64 `json:",omitempty"`
}

// Validate checks the ranges.
func (c TrainConfig) Validate() error {
	if c.Batch < 1 || !(c.LR > 0) || c.Beta2 <= 0 || c.Beta2 >= 1 || c.R1Every < 1 || c.R1Gamma < 0 ||
		!(c.MixProb >= 0 && c.MixProb <= 1) || c.PLWeight < 0 ||
		(c.PLWeight > 0 && (c.PLEvery < 1 || !(c.PLDecay > 0 && c.PLDecay <= 1))) {
		return fmt.Errorf("gan: train config %+v", c)
	}
	return nil
}

// GAN is a generator, its EMA, a discriminator and their optimisers, with
// compiled graphs for one batch size. Step performs one iteration of
// StyleGAN2's recipe: a discriminator step on the logistic loss, a lazy R1
// step every R1Every iterations, a generator step on the non-saturating
// loss, a lazy path-length step every PLEvery iterations (if PLWeight > 0),
// then the EMA update; generated batches use style mixing if MixProb > 0.
type GAN struct {
	Cfg        TrainConfig
	Gen, EMA   *Generator
	D          *Discriminator
	OptG, OptD *nn.Adam
	Iter       int
	PLMean     float64 // running mean a of the path length

	fake, gloss   *genGraph
	plGrad, plTan *genGraph
	dg            *dGraph
	r1            *r1Graph
}

// lazyRatio is StyleGAN2's lazy-regularisation ratio: the regularised
// network's Adam uses lr·r and β^r with r = every/(every+1).
func lazyRatio(every int) float64 { return float64(every) / float64(every+1) }

// NewGAN compiles the graphs and creates fresh Adam states. ema may be nil
// (then it starts as a copy of gen).
func NewGAN(gen, ema *Generator, d *Discriminator, cfg TrainConfig) (*GAN, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if ema == nil {
		ema = gen.Clone()
	}
	t := &GAN{Cfg: cfg, Gen: gen, EMA: ema, D: d}
	gr := 1.0
	if cfg.PLWeight > 0 {
		gr = lazyRatio(cfg.PLEvery)
	}
	var err error
	if t.OptG, err = nn.NewAdam(gen.Params(), nn.AdamConfig{LR: cfg.LR * gr, NoMomentum: true, Beta2: math.Pow(cfg.Beta2, gr)}); err != nil {
		return nil, fmt.Errorf("gan: NewGAN: %w", err)
	}
	r := lazyRatio(cfg.R1Every)
	if t.OptD, err = nn.NewAdam(d.Params(), nn.AdamConfig{LR: cfg.LR * r, NoMomentum: true, Beta2: math.Pow(cfg.Beta2, r)}); err != nil {
		return nil, fmt.Errorf("gan: NewGAN: %w", err)
	}
	mix := cfg.MixProb > 0
	if t.fake, err = newGenGraph(gen, genSpec{batch: cfg.Batch, mix: mix}); err != nil {
		return nil, err
	}
	if t.gloss, err = newGenGraph(gen, genSpec{batch: cfg.Batch, mix: mix, mode: genLoss, d: d}); err != nil {
		return nil, err
	}
	if cfg.PLWeight > 0 {
		pb := max(1, cfg.Batch/2)
		if t.plGrad, err = newGenGraph(gen, genSpec{batch: pb, mix: mix, mode: genPLGrad}); err != nil {
			return nil, err
		}
		if t.plTan, err = newGenGraph(gen, genSpec{batch: pb, mix: mix, mode: genPLTangent}); err != nil {
			return nil, err
		}
	}
	if t.dg, err = newDGraph(d, cfg.Batch); err != nil {
		return nil, err
	}
	if t.r1, err = newR1Graph(d, cfg.Batch); err != nil {
		return nil, err
	}
	return t, nil
}

// StepStats are the losses of one iteration: R1 = (γ/2)·mean‖∇ₓD‖² on the
// real batch and PL = mean (‖J_wᵀy‖ − a)² (unweighted) on the iterations
// that apply them, else 0.
type StepStats struct {
	LossD, LossG, R1, PL float64
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func zeros(ps []*nn.Param) [][]float64 {
	out := make([][]float64, len(ps))
	for i, p := range ps {
		out[i] = make([]float64, p.Len())
	}
	return out
}

// Step runs one iteration on the real batch (Batch×Res² pixels in [−1, 1]);
// latents, mixing and noise come from rng. A wrong length panics.
func (t *GAN) Step(real []float32, rng *rand.Rand) (StepStats, error) {
	bs := t.Cfg.Batch
	n := t.D.Res * t.D.Res
	if len(real) != bs*n {
		panic(fmt.Sprintf("gan: GAN.Step: %d pixels, want %d", len(real), bs*n))
	}
	var st StepStats
	t.Iter++
	// Discriminator: softplus(D(fake)) + softplus(−D(real)).
	t.fake.setLatents(drawLatents(t.fake, t.Cfg.MixProb, rng))
	out, err := t.fake.run()
	if err != nil {
		return st, err
	}
	fake := make([]float32, len(out.img))
	for i, v := range out.img {
		fake[i] = float32(v)
	}
	acc := zeros(t.D.Params())
	t.dg.set(fake, 1/float64(bs), 1, 0)
	cf, _, err := t.dg.run(acc, nil)
	if err != nil {
		return st, err
	}
	t.dg.set(real, 1/float64(bs), -1, 0)
	cr, _, err := t.dg.run(acc, nil)
	if err != nil {
		return st, err
	}
	st.LossD = cf + cr
	if !finite(st.LossD) {
		return st, fmt.Errorf("gan: iteration %d: D loss %v: %w", t.Iter, st.LossD, ErrNonFinite)
	}
	if err := t.OptD.Update(to32(acc)); err != nil {
		return st, fmt.Errorf("gan: iteration %d: D update: %w", t.Iter, err)
	}
	if t.Cfg.R1Gamma > 0 && t.Iter%t.Cfg.R1Every == 0 {
		if st.R1, err = t.r1Step(real); err != nil {
			return st, err
		}
	}
	// Generator: mean softplus(−D(G(z))).
	t.gloss.setLatents(drawLatents(t.gloss, t.Cfg.MixProb, rng))
	out, err = t.gloss.run()
	if err != nil {
		return st, err
	}
	st.LossG = out.cost
	if !finite(out.cost) {
		return st, fmt.Errorf("gan: iteration %d: G loss %v: %w", t.Iter, out.cost, ErrNonFinite)
	}
	if err := t.OptG.Update(to32(out.grads)); err != nil {
		return st, fmt.Errorf("gan: iteration %d: G update: %w", t.Iter, err)
	}
	if t.Cfg.PLWeight > 0 && t.Iter%t.Cfg.PLEvery == 0 {
		if st.PL, err = t.plStep(rng); err != nil {
			return st, err
		}
	}
	hl := t.Cfg.EMAHalfLife
	if t.Cfg.EMARampup > 0 {
		hl = math.Min(hl, t.Cfg.EMARampup*float64(t.Iter*bs))
	}
	beta := nn.EMABeta(hl, float64(bs))
	ps, es := t.Gen.Params(), t.EMA.Params()
	for i, p := range ps {
		pd, ed := p.Data(), es[i].Data()
		for j, v := range pd {
			ed[j] = float32(beta*float64(ed[j]) + (1-beta)*float64(v))
		}
	}
	return st, nil
}

// ganState is the JSON of a GAN checkpoint's Extra field.
type ganState struct {
	Iter   int     `json:"iter"`
	DStep  int     `json:"d_step"`
	PLMean float64 `json:"pl_mean,omitempty"`
}

func values(ps []*nn.Param) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = append([]float32(nil), p.Data()...)
	}
	return out
}

func setValues(ps []*nn.Param, v [][]float32) error {
	if len(v) != len(ps) {
		return fmt.Errorf("%d tensors for %d parameters", len(v), len(ps))
	}
	for i, p := range ps {
		if len(v[i]) != p.Len() {
			return fmt.Errorf("%s: %d values, want %d", p.Name, len(v[i]), p.Len())
		}
		copy(p.Data(), v[i])
	}
	return nil
}

// Checkpoint returns the resumable state: G and D parameters (in that
// order), the EMA, both Adam states, the iteration count and the running
// mean path length.
func (t *GAN) Checkpoint() (*nn.Checkpoint, error) {
	gm, gv, gs := t.OptG.State()
	dm, dv, ds := t.OptD.State()
	extra, err := json.Marshal(ganState{Iter: t.Iter, DStep: ds, PLMean: t.PLMean})
	if err != nil {
		return nil, err
	}
	return &nn.Checkpoint{
		Step:   t.Iter,
		Params: append(values(t.Gen.Params()), values(t.D.Params())...),
		EMA:    values(t.EMA.Params()),
		AdamM:  append(gm, dm...), AdamV: append(gv, dv...), AdamStep: gs,
		Extra: extra,
	}, nil
}

// Restore loads a state written by Checkpoint into a GAN of the same shape.
func (t *GAN) Restore(c *nn.Checkpoint) error {
	var st ganState
	if err := json.Unmarshal(c.Extra, &st); err != nil {
		return fmt.Errorf("gan: GAN checkpoint state: %w", err)
	}
	gp, dp := t.Gen.Params(), t.D.Params()
	if len(c.Params) != len(gp)+len(dp) || len(c.AdamM) != len(gp)+len(dp) || len(c.AdamV) != len(gp)+len(dp) {
		return fmt.Errorf("gan: GAN checkpoint has %d tensors, want %d", len(c.Params), len(gp)+len(dp))
	}
	if err := setValues(gp, c.Params[:len(gp)]); err != nil {
		return fmt.Errorf("gan: GAN checkpoint G: %w", err)
	}
	if err := setValues(dp, c.Params[len(gp):]); err != nil {
		return fmt.Errorf("gan: GAN checkpoint D: %w", err)
	}
	if err := setValues(t.EMA.Params(), c.EMA); err != nil {
		return fmt.Errorf("gan: GAN checkpoint EMA: %w", err)
	}
	if err := t.OptG.SetState(c.AdamM[:len(gp)], c.AdamV[:len(gp)], c.AdamStep); err != nil {
		return fmt.Errorf("gan: GAN checkpoint Adam G: %w", err)
	}
	if err := t.OptD.SetState(c.AdamM[len(gp):], c.AdamV[len(gp):], st.DStep); err != nil {
		return fmt.Errorf("gan: GAN checkpoint Adam D: %w", err)
	}
	t.Iter, t.PLMean = st.Iter, st.PLMean
	return nil
}
