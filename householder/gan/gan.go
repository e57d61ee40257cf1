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
	"gorgonia.org/tensor"
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

func (d *Discriminator) forward(b *gb, x *G.Node, p func(*nn.Param) *G.Node) *G.Node {
	for _, c := range d.Convs {
		if b.err != nil {
			return nil
		}
		x = b.do(c.Apply(x, p))
		if b.err != nil {
			return nil
		}
		x = b.do(G.LeakyRelu(x, 0.2))
	}
	if b.err != nil {
		return nil
	}
	bs := x.Shape()[0]
	x = b.do(G.Reshape(x, tensor.Shape{bs, d.Last * 16}))
	if b.err != nil {
		return nil
	}
	y := b.do(d.Out.Apply(x, p))
	if b.err != nil {
		return nil
	}
	return b.do(G.Reshape(y, tensor.Shape{bs}))
}

// softplus returns log(1+eˣ) = max(x, 0) + log1p(e^(−|x|)), stable for any x.
func (b *gb) softplus(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	r := b.do(G.Rectify(x))
	e := b.do(G.Log1p(b.do(G.Exp(b.do(G.Neg(b.do(G.Abs(x))))))))
	if b.err != nil {
		return nil
	}
	return b.do(G.Add(r, e))
}

func vec32(g *G.ExprGraph, name string, n int) (*G.Node, []float32) {
	d := make([]float32, n)
	return G.NewVector(g, tensor.Float32, G.WithShape(n), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(n), tensor.WithBacking(d)))), d
}

// dGraph evaluates, for one batch x, the logits l and the gradients with
// respect to D's parameters and to x of
//
//	cost = Σ_i a_i·softplus(s_i·l_i) + Σ_i c_i·l_i,
//
// which covers both logistic losses (a = 1/B, s = ∓1) and the
// finite-difference R1 passes (a = 0, c = ±coefficient).
type dGraph struct {
	vm       G.VM
	xd       []float32
	a, s, c  []float32
	x        *G.Node
	nodes    []*G.Node
	logitV   G.Value
	costV    G.Value
	batch, n int
}

func newDGraph(d *Discriminator, batch int) (*dGraph, error) {
	g := G.NewGraph()
	bd := nn.NewBinder(g)
	res := d.Res
	xd := make([]float32, batch*res*res)
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 1, res, res), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(batch, 1, res, res), tensor.WithBacking(xd))))
	an, a := vec32(g, "a", batch)
	sn, s := vec32(g, "s", batch)
	cn, c := vec32(g, "c", batch)
	b := &gb{}
	l := d.forward(b, x, bd.Node)
	sp := b.softplus(b.do(G.HadamardProd(sn, l)))
	t1 := b.do(G.Sum(b.do(G.HadamardProd(an, sp))))
	t2 := b.do(G.Sum(b.do(G.HadamardProd(cn, l))))
	cost := b.do(G.Add(t1, t2))
	if b.err != nil {
		return nil, fmt.Errorf("gan: discriminator graph: %w", b.err)
	}
	dg := &dGraph{xd: xd, a: a, s: s, c: c, x: x, batch: batch, n: res * res}
	for _, p := range d.Params() {
		dg.nodes = append(dg.nodes, bd.Node(p))
	}
	learn := append(append([]*G.Node(nil), dg.nodes...), x)
	if _, err := G.Grad(cost, learn...); err != nil {
		return nil, fmt.Errorf("gan: discriminator gradient: %w", err)
	}
	G.Read(l, &dg.logitV)
	G.Read(cost, &dg.costV)
	dg.vm = G.NewTapeMachine(g, G.BindDualValues(learn...))
	return dg, nil
}

// run evaluates the graph and adds the parameter gradients into acc (one
// slice per D parameter); gx, if not nil, receives ∂cost/∂x.
func (dg *dGraph) run(acc [][]float32, gx []float32) (cost float64, logits []float32, err error) {
	defer dg.vm.Reset()
	if err := dg.vm.RunAll(); err != nil {
		return 0, nil, fmt.Errorf("gan: discriminator: %w", err)
	}
	cost = float64(dg.costV.Data().(float32))
	logits = append([]float32(nil), dg.logitV.Data().([]float32)...)
	for i, n := range dg.nodes {
		gv, err := n.Grad()
		if err != nil {
			return 0, nil, fmt.Errorf("gan: discriminator gradient %d: %w", i, err)
		}
		for j, v := range gv.Data().([]float32) {
			acc[i][j] += v
		}
		gv.(tensor.Tensor).Zero()
	}
	gv, err := dg.x.Grad()
	if err != nil {
		return 0, nil, fmt.Errorf("gan: discriminator input gradient: %w", err)
	}
	if gx != nil {
		copy(gx, gv.Data().([]float32))
	}
	gv.(tensor.Tensor).Zero()
	return cost, logits, nil
}

// genGraph runs a generator: either z → mapping → synthesis (all slots = w)
// or, with slot inputs, W+ → synthesis; optionally followed by D and the
// non-saturating generator loss mean_i softplus(−D(G(z_i))), with gradients
// for G's parameters and HP nodes.
type genGraph struct {
	gen     *Generator
	vm      G.VM
	zd      []float32   // z input (mapping mode)
	slotsD  [][]float32 // slot inputs (W+ mode)
	nodes   genNodes
	imgV    G.Value
	wV      G.Value
	costV   G.Value
	learn   map[*nn.Param]*G.Node
	hpNodes map[int]*G.Node
	batch   int
}

// newGenGraph compiles a generator graph. wplus selects slot inputs instead
// of z; with d != nil the generator loss through d is added with gradients.
func newGenGraph(gen *Generator, batch int, wplus bool, d *Discriminator) (*genGraph, error) {
	g := G.NewGraph()
	bd := nn.NewBinder(g)
	gg := &genGraph{gen: gen, batch: batch, nodes: genNodes{hp: map[int]*G.Node{}}}
	b := &gb{}
	var slots []*G.Node
	var w *G.Node
	if wplus {
		for i := 0; i < gen.Cfg.Slots(); i++ {
			d := make([]float32, batch*gen.Cfg.WDim)
			gg.slotsD = append(gg.slotsD, d)
			slots = append(slots, G.NewMatrix(g, tensor.Float32, G.WithShape(batch, gen.Cfg.WDim), G.WithName(fmt.Sprintf("slot%d", i)),
				G.WithValue(tensor.New(tensor.WithShape(batch, gen.Cfg.WDim), tensor.WithBacking(d)))))
		}
	} else {
		gg.zd = make([]float32, batch*gen.Cfg.ZDim)
		z := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, gen.Cfg.ZDim), G.WithName("z"),
			G.WithValue(tensor.New(tensor.WithShape(batch, gen.Cfg.ZDim), tensor.WithBacking(gg.zd))))
		w = gen.mapping(b, z, bd.Node)
		for i := 0; i < gen.Cfg.Slots(); i++ {
			slots = append(slots, w)
		}
	}
	img := gen.synthesis(b, g, slots, bd.Node, gg.nodes)
	if b.err != nil {
		return nil, fmt.Errorf("gan: generator graph: %w", b.err)
	}
	G.Read(img, &gg.imgV)
	if w != nil {
		G.Read(w, &gg.wV)
	}
	if d == nil {
		gg.vm = G.NewTapeMachine(g)
		return gg, nil
	}
	l := d.forward(b, img, bd.Node)
	cost := b.do(G.Mean(b.softplus(b.do(G.Neg(l)))))
	if b.err != nil {
		return nil, fmt.Errorf("gan: generator loss graph: %w", b.err)
	}
	G.Read(cost, &gg.costV)
	gg.learn = map[*nn.Param]*G.Node{}
	var learn []*G.Node
	for _, p := range gen.Params() {
		if n, ok := bd.Bound(p); ok {
			gg.learn[p] = n
			learn = append(learn, n)
		}
	}
	for _, n := range gg.nodes.hp {
		learn = append(learn, n)
	}
	if _, err := G.Grad(cost, learn...); err != nil {
		return nil, fmt.Errorf("gan: generator gradient: %w", err)
	}
	gg.vm = G.NewTapeMachine(g, G.BindDualValues(learn...))
	return gg, nil
}

// run refreshes the HP weights, evaluates the graph and returns the images
// (batch×Res², valid until the next run). With a loss it also returns the
// gradients for every generator parameter in Params() order: HP reflector
// gradients come from BuildWBackward of ∂L/∂A.
func (gg *genGraph) run() (img []float32, cost float64, grads [][]float32, err error) {
	gg.gen.refreshHP(gg.nodes)
	defer gg.vm.Reset()
	if err := gg.vm.RunAll(); err != nil {
		return nil, 0, nil, fmt.Errorf("gan: generator: %w", err)
	}
	img = gg.imgV.Data().([]float32)
	if gg.learn == nil {
		return img, 0, nil, nil
	}
	cost = float64(gg.costV.Data().(float32))
	ps := gg.gen.Params()
	grads = make([][]float32, len(ps))
	index := map[*nn.Param]int{}
	for i, p := range ps {
		index[p] = i
		if n, ok := gg.learn[p]; ok {
			gv, err := n.Grad()
			if err != nil {
				return nil, 0, nil, fmt.Errorf("gan: gradient of %s: %w", p.Name, err)
			}
			grads[i] = append([]float32(nil), gv.Data().([]float32)...)
			gv.(tensor.Tensor).Zero()
		}
	}
	for li, n := range gg.nodes.hp {
		gv, err := n.Grad()
		if err != nil {
			return nil, 0, nil, fmt.Errorf("gan: gradient of HP layer %d: %w", li, err)
		}
		a := gg.gen.Layers[li].Affine
		gat := gv.Data().([]float32) // ∂L/∂Aᵀ, d×C
		gw := mat.NewDense(a.Out, a.In, nil)
		for j := 0; j < a.In; j++ {
			for r := 0; r < a.Out; r++ {
				gw.Set(r, j, float64(gat[j*a.Out+r]))
			}
		}
		gv.(tensor.Tensor).Zero()
		gpu, gpv := householder.BuildWBackward(paramDense(a.HP.PU), paramDense(a.HP.PV), a.HP.K, gw)
		grads[index[a.HP.PU]] = denseTo32(gpu)
		grads[index[a.HP.PV]] = denseTo32(gpv)
	}
	for i, g := range grads {
		if g == nil {
			grads[i] = make([]float32, ps[i].Len())
		}
	}
	return img, cost, grads, nil
}

func denseTo32(m *mat.Dense) []float32 {
	r, c := m.Dims()
	out := make([]float32, r*c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out[i*c+j] = float32(m.At(i, j))
		}
	}
	return out
}

// TrainConfig holds the GAN training hyper-parameters.
type TrainConfig struct {
	Batch       int
	LR          float64 // Adam learning rate (2e-3)
	Beta2       float64 // Adam β₂ (0.99); β₁ = 0
	R1Gamma     float64 // R1 weight γ (1 for Sprites-5)
	R1Every     int     // lazy R1 interval (16)
	R1Delta     float64 // finite-difference step of the R1 Hessian-vector product, in pixels RMS (1e-3)
	EMAHalfLife float64 // EMA half-life of G in images (StyleGAN2: 10k)
	EMARampup   float64 // if > 0, the half-life is at most EMARampup × images seen in this run (0.05)
}

// GAN is a generator, its EMA, a discriminator and their optimisers, with
// compiled graphs for one batch size. Step performs one iteration of
// StyleGAN2's recipe: a discriminator step on the logistic loss, a lazy R1
// step every R1Every iterations, a generator step on the non-saturating
// loss, then the EMA update.
type GAN struct {
	Cfg        TrainConfig
	Gen, EMA   *Generator
	D          *Discriminator
	OptG, OptD *nn.Adam
	Iter       int

	fake, gloss *genGraph
	dg          *dGraph
}

// lazyRatio is StyleGAN2's lazy-regularisation ratio for D: its Adam uses
// lr·r and β^r with r = R1Every/(R1Every+1).
func lazyRatio(every int) float64 { return float64(every) / float64(every+1) }

// NewGAN compiles the graphs and creates fresh Adam states. ema may be nil
// (then it starts as a copy of gen).
func NewGAN(gen, ema *Generator, d *Discriminator, cfg TrainConfig) (*GAN, error) {
	if cfg.Batch < 1 || !(cfg.LR > 0) || cfg.Beta2 <= 0 || cfg.Beta2 >= 1 || cfg.R1Every < 1 || cfg.R1Gamma < 0 || !(cfg.R1Delta > 0) {
		return nil, fmt.Errorf("gan: train config %+v", cfg)
	}
	if ema == nil {
		ema = gen.Clone()
	}
	t := &GAN{Cfg: cfg, Gen: gen, EMA: ema, D: d}
	var err error
	if t.OptG, err = nn.NewAdam(gen.Params(), nn.AdamConfig{LR: cfg.LR, NoMomentum: true, Beta2: cfg.Beta2}); err != nil {
		return nil, fmt.Errorf("gan: NewGAN: %w", err)
	}
	r := lazyRatio(cfg.R1Every)
	if t.OptD, err = nn.NewAdam(d.Params(), nn.AdamConfig{LR: cfg.LR * r, NoMomentum: true, Beta2: math.Pow(cfg.Beta2, r)}); err != nil {
		return nil, fmt.Errorf("gan: NewGAN: %w", err)
	}
	if t.fake, err = newGenGraph(gen, cfg.Batch, false, nil); err != nil {
		return nil, err
	}
	if t.gloss, err = newGenGraph(gen, cfg.Batch, false, d); err != nil {
		return nil, err
	}
	if t.dg, err = newDGraph(d, cfg.Batch); err != nil {
		return nil, err
	}
	return t, nil
}

// StepStats are the losses of one iteration.
type StepStats struct {
	LossD, LossG, R1 float64
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func zeros(ps []*nn.Param) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = make([]float32, p.Len())
	}
	return out
}

// Step runs one iteration on the real batch (Batch×Res² pixels in [−1, 1]);
// latents come from rng. A wrong length panics.
func (t *GAN) Step(real []float32, rng *rand.Rand) (StepStats, error) {
	bs := t.Cfg.Batch
	n := t.D.Res * t.D.Res
	if len(real) != bs*n {
		panic(fmt.Sprintf("gan: GAN.Step: %d pixels, want %d", len(real), bs*n))
	}
	var st StepStats
	t.Iter++
	// Discriminator: softplus(D(fake)) + softplus(−D(real)).
	for i := range t.fake.zd {
		t.fake.zd[i] = float32(rng.NormFloat64())
	}
	fake, _, _, err := t.fake.run()
	if err != nil {
		return st, err
	}
	acc := zeros(t.D.Params())
	copy(t.dg.xd, fake)
	for i := 0; i < bs; i++ {
		t.dg.a[i], t.dg.s[i], t.dg.c[i] = float32(1/float64(bs)), 1, 0
	}
	cf, _, err := t.dg.run(acc, nil)
	if err != nil {
		return st, err
	}
	copy(t.dg.xd, real)
	for i := 0; i < bs; i++ {
		t.dg.s[i] = -1
	}
	cr, _, err := t.dg.run(acc, nil)
	if err != nil {
		return st, err
	}
	st.LossD = cf + cr
	if !finite(st.LossD) {
		return st, fmt.Errorf("gan: iteration %d: D loss %v: %w", t.Iter, st.LossD, ErrNonFinite)
	}
	if err := t.OptD.Update(acc); err != nil {
		return st, fmt.Errorf("gan: iteration %d: D update: %w", t.Iter, err)
	}
	// Lazy R1: ∇_θ (γ/2)·mean‖∇ₓD(x)‖² = γ·mean_i ∂/∂ε ∇_θ D(x_i + ε·g_i),
	// g = ∇ₓD(x), by a central difference in ε (a Hessian-vector product
	// without double back-propagation), scaled by R1Every.
	if t.Cfg.R1Gamma > 0 && t.Iter%t.Cfg.R1Every == 0 {
		r1, err := t.r1Step(real)
		if err != nil {
			return st, err
		}
		st.R1 = r1
	}
	// Generator: mean softplus(−D(G(z))).
	for i := range t.gloss.zd {
		t.gloss.zd[i] = float32(rng.NormFloat64())
	}
	_, cg, grads, err := t.gloss.run()
	if err != nil {
		return st, err
	}
	st.LossG = cg
	if !finite(cg) {
		return st, fmt.Errorf("gan: iteration %d: G loss %v: %w", t.Iter, cg, ErrNonFinite)
	}
	if err := t.OptG.Update(grads); err != nil {
		return st, fmt.Errorf("gan: iteration %d: G update: %w", t.Iter, err)
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

func (t *GAN) r1Step(real []float32) (float64, error) {
	bs := t.Cfg.Batch
	ps := t.D.Params()
	scratch := zeros(ps)
	gx := make([]float32, len(real))
	copy(t.dg.xd, real)
	for i := 0; i < bs; i++ {
		t.dg.a[i], t.dg.s[i], t.dg.c[i] = 0, 1, 1
	}
	if _, _, err := t.dg.run(scratch, gx); err != nil {
		return 0, err
	}
	var sq float64
	for _, v := range gx {
		sq += float64(v) * float64(v)
	}
	r1 := 0.5 * t.Cfg.R1Gamma * sq / float64(bs)
	rms := math.Sqrt(sq / float64(len(gx)))
	if !finite(r1) {
		return r1, fmt.Errorf("gan: iteration %d: R1 %v: %w", t.Iter, r1, ErrNonFinite)
	}
	if rms == 0 {
		return r1, nil
	}
	eps := t.Cfg.R1Delta / rms
	coef := t.Cfg.R1Gamma * float64(t.Cfg.R1Every) / (2 * eps * float64(bs))
	acc := zeros(ps)
	for _, sign := range []float64{1, -1} {
		for j := range real {
			t.dg.xd[j] = real[j] + float32(sign*eps*float64(gx[j]))
		}
		for i := 0; i < bs; i++ {
			t.dg.c[i] = float32(sign * coef)
		}
		if _, _, err := t.dg.run(acc, nil); err != nil {
			return 0, err
		}
	}
	if err := t.OptD.Update(acc); err != nil {
		return r1, fmt.Errorf("gan: iteration %d: R1 update: %w", t.Iter, err)
	}
	return r1, nil
}

// ganState is the JSON of a GAN checkpoint's Extra field.
type ganState struct {
	Iter  int `json:"iter"`
	DStep int `json:"d_step"`
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
// order), the EMA, both Adam states and the iteration count.
func (t *GAN) Checkpoint() (*nn.Checkpoint, error) {
	gm, gv, gs := t.OptG.State()
	dm, dv, ds := t.OptD.State()
	extra, err := json.Marshal(ganState{Iter: t.Iter, DStep: ds})
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
	t.Iter = st.Iter
	return nil
}
