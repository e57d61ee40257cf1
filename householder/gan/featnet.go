package gan

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genlab/data"
	"genlab/nn"

	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// FeatTargets is the number of regression targets of FeatNet: the true
// factors as (x, y, a, cos 2θ, sin 2θ, intensity), each standardised by its
// closed-form mean and standard deviation under Sprites-5's uniform laws.
const FeatTargets = 6

// FeatNetConfig is the shape and training schedule of FeatNet.
type FeatNetConfig struct {
	Channels []int   // output channels of the stride-2 3×3 convs (16, 32, 32): 32 → 16 → 8 → 4 px
	Hidden   int     // width of the feature layer (64)
	Steps    int     // Adam steps on fresh real sprites
	Batch    int     // sprites per step
	LR       float64 // Adam learning rate (β = (0.9, 0.999))
	Seed     uint64  // the net is trained with this fixed seed, independent of the task seed
}

// DefaultFeatNet is the feature net of the experiment's default preset.
var DefaultFeatNet = FeatNetConfig{Channels: []int{16, 32, 32}, Hidden: 64, Steps: 1500, Batch: 32, LR: 1e-3, Seed: 7}

// FeatNet is a small CNN trained on real sprites to regress their factors;
// its Hidden-dimensional penultimate activations are the features of the
// CNN Fréchet distance (the Sprites-5 analogue of FID's Inception pool
// features):
//
//	h = lrelu_0.2(conv_s2(… lrelu_0.2(conv_s2(x)))),  f = lrelu_0.2(Dense(flatten h)),  ŷ = Dense(f),
//
// trained on the mean squared error ‖ŷ − y‖²/6 of the standardised targets y.
type FeatNet struct {
	Cfg    FeatNetConfig
	Convs  []*nn.Conv
	Hidden *nn.Dense
	Head   *nn.Dense
}

// Params returns the parameters in a fixed order.
func (n *FeatNet) Params() []*nn.Param {
	var ps []*nn.Param
	for _, c := range n.Convs {
		ps = append(ps, c.Params()...)
	}
	ps = append(ps, n.Hidden.Params()...)
	return append(ps, n.Head.Params()...)
}

// NewFeatNet initialises an untrained net (He-normal weights from rng).
func NewFeatNet(cfg FeatNetConfig, rng *rand.Rand) (*FeatNet, error) {
	side := data.SpriteSize >> len(cfg.Channels)
	if len(cfg.Channels) == 0 || side < 1 || side<<len(cfg.Channels) != data.SpriteSize || cfg.Hidden < 1 {
		return nil, fmt.Errorf("gan: feature net config %+v", cfg)
	}
	n := &FeatNet{Cfg: cfg}
	cin := 1
	for i, c := range cfg.Channels {
		if c < 1 {
			return nil, fmt.Errorf("gan: feature net channels %v", cfg.Channels)
		}
		n.Convs = append(n.Convs, nn.NewConv(fmt.Sprintf("f%d", i), cin, c, 3, 2, 1, rng))
		cin = c
	}
	n.Hidden = nn.NewDense("fh", cin*side*side, cfg.Hidden, 1, rng)
	n.Head = nn.NewDense("fo", cfg.Hidden, FeatTargets, 1, rng)
	return n, nil
}

// features adds the feature layer f for a B×1×32×32 input.
func (n *FeatNet) features(b *gb, x *G.Node, p func(*nn.Param) *G.Node) *G.Node {
	for _, c := range n.Convs {
		x = b.do(G.LeakyRelu(b.do(c.Apply(x, p)), 0.2))
		if b.err != nil {
			return nil
		}
	}
	bs := x.Shape()[0]
	x = b.do(G.Reshape(x, tensor.Shape{bs, x.Shape().TotalSize() / bs}))
	if b.err != nil {
		return nil
	}
	return b.do(G.LeakyRelu(b.do(n.Hidden.Apply(x, p)), 0.2))
}

// spriteTargetStats returns the mean and standard deviation of each target
// under the data law: x ~ U[8,24] has mean 16 and std 16/√12; cos 2θ and
// sin 2θ with θ ~ U[0, π) have mean 0 and std 1/√2.
func spriteTargetStats() (mean, std [FeatTargets]float64) {
	u := func(lo, hi float64) (float64, float64) { return (lo + hi) / 2, (hi - lo) / math.Sqrt(12) }
	mean[0], std[0] = u(data.SpriteXMin, data.SpriteXMax)
	mean[1], std[1] = u(data.SpriteYMin, data.SpriteYMax)
	mean[2], std[2] = u(data.SpriteAMin, data.SpriteAMax)
	mean[3], std[3] = 0, 1/math.Sqrt2
	mean[4], std[4] = 0, 1/math.Sqrt2
	mean[5], std[5] = u(data.SpriteIMin, data.SpriteIMax)
	return mean, std
}

// SpriteTargets returns the standardised regression targets of a sprite.
func SpriteTargets(s data.Sprite) [FeatTargets]float64 {
	mean, std := spriteTargetStats()
	v := [FeatTargets]float64{s.X, s.Y, s.A, math.Cos(2 * s.Theta), math.Sin(2 * s.Theta), s.Intensity}
	for i := range v {
		v[i] = (v[i] - mean[i]) / std[i]
	}
	return v
}

// TrainFeatNet trains a fresh FeatNet with cfg.Seed on fresh real sprites
// (pixels in [−1, 1]) and returns it with the mean loss of the last 10% of
// the steps.
func TrainFeatNet(cfg FeatNetConfig) (*FeatNet, float64, error) {
	if cfg.Steps < 1 || cfg.Batch < 1 || !(cfg.LR > 0) {
		return nil, 0, fmt.Errorf("gan: feature net schedule %+v", cfg)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xfea7))
	n, err := NewFeatNet(cfg, rng)
	if err != nil {
		return nil, 0, err
	}
	g := G.NewGraph()
	bd := nn.NewBinder(g)
	px := data.SpriteSize * data.SpriteSize
	xd := make([]float32, cfg.Batch*px)
	yd := make([]float32, cfg.Batch*FeatTargets)
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(cfg.Batch, 1, data.SpriteSize, data.SpriteSize), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(cfg.Batch, 1, data.SpriteSize, data.SpriteSize), tensor.WithBacking(xd))))
	y := G.NewMatrix(g, tensor.Float32, G.WithShape(cfg.Batch, FeatTargets), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(cfg.Batch, FeatTargets), tensor.WithBacking(yd))))
	b := &gb{}
	f := n.features(b, x, bd.Node)
	pred := b.do(n.Head.Apply(f, bd.Node))
	cost := b.do(G.Mean(b.do(G.Square(b.do(G.Sub(pred, y))))))
	if b.err != nil {
		return nil, 0, fmt.Errorf("gan: feature net graph: %w", b.err)
	}
	var costV G.Value
	G.Read(cost, &costV)
	var nodes []*G.Node
	for _, p := range n.Params() {
		nodes = append(nodes, bd.Node(p))
	}
	if _, err := G.Grad(cost, nodes...); err != nil {
		return nil, 0, fmt.Errorf("gan: feature net gradient: %w", err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(nodes...))
	defer vm.Close()
	opt, err := nn.NewAdam(n.Params(), nn.AdamConfig{LR: cfg.LR})
	if err != nil {
		return nil, 0, err
	}
	var tail float64
	tailFrom := cfg.Steps - max(1, cfg.Steps/10)
	for step := 0; step < cfg.Steps; step++ {
		imgs, sprites := data.SpriteSet(cfg.Batch, false, rng)
		for i, im := range imgs {
			for j, v := range im {
				xd[i*px+j] = float32(2*v - 1)
			}
			t := SpriteTargets(sprites[i])
			for j, v := range t {
				yd[i*FeatTargets+j] = float32(v)
			}
		}
		if err := vm.RunAll(); err != nil {
			return nil, 0, fmt.Errorf("gan: feature net step %d: %w", step, err)
		}
		c := float64(costV.Data().(float32))
		if !finite(c) {
			return nil, 0, fmt.Errorf("gan: feature net step %d: loss %v: %w", step, c, ErrNonFinite)
		}
		if step >= tailFrom {
			tail += c / float64(cfg.Steps-tailFrom)
		}
		grads := make([][]float32, len(nodes))
		for i, nd := range nodes {
			gv, err := nd.Grad()
			if err != nil {
				return nil, 0, fmt.Errorf("gan: feature net gradient %d: %w", i, err)
			}
			grads[i] = append([]float32(nil), gv.Data().([]float32)...)
			gv.(tensor.Tensor).Zero()
		}
		vm.Reset()
		if err := opt.Update(grads); err != nil {
			return nil, 0, err
		}
	}
	return n, tail, nil
}

// FeatExtractor evaluates a FeatNet's features and predictions at a fixed
// batch size.
type FeatExtractor struct {
	net   *FeatNet
	vm    G.VM
	xd    []float32
	featV G.Value
	predV G.Value
	batch int
}

// NewExtractor compiles the forward graph of n for the given batch size.
func (n *FeatNet) NewExtractor(batch int) (*FeatExtractor, error) {
	g := G.NewGraph()
	bd := nn.NewBinder(g)
	e := &FeatExtractor{net: n, batch: batch, xd: make([]float32, batch*data.SpriteSize*data.SpriteSize)}
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 1, data.SpriteSize, data.SpriteSize), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(batch, 1, data.SpriteSize, data.SpriteSize), tensor.WithBacking(e.xd))))
	b := &gb{}
	f := n.features(b, x, bd.Node)
	pred := b.do(n.Head.Apply(f, bd.Node))
	if b.err != nil {
		return nil, fmt.Errorf("gan: feature extractor: %w", b.err)
	}
	G.Read(f, &e.featV)
	G.Read(pred, &e.predV)
	e.vm = G.NewTapeMachine(g)
	return e, nil
}

// Features returns the N×Hidden features and the N×6 predicted
// standardised targets of n images (N×32², pixels in [−1, 1]); a last
// partial batch is zero-padded (each row depends on its own image only).
func (e *FeatExtractor) Features(imgs []float32, n int) (feat, pred *mat.Dense, err error) {
	px := data.SpriteSize * data.SpriteSize
	if len(imgs) != n*px {
		panic(fmt.Sprintf("gan: FeatExtractor.Features: %d values for %d images", len(imgs), n))
	}
	h := e.net.Cfg.Hidden
	feat = mat.NewDense(n, h, nil)
	pred = mat.NewDense(n, FeatTargets, nil)
	for s := 0; s < n; s += e.batch {
		m := min(e.batch, n-s)
		copy(e.xd, imgs[s*px:(s+m)*px])
		clear(e.xd[m*px:])
		if err := e.vm.RunAll(); err != nil {
			e.vm.Reset()
			return nil, nil, fmt.Errorf("gan: feature extractor: %w", err)
		}
		fv, pv := e.featV.Data().([]float32), e.predV.Data().([]float32)
		for i := 0; i < m; i++ {
			for j := 0; j < h; j++ {
				feat.Set(s+i, j, float64(fv[i*h+j]))
			}
			for j := 0; j < FeatTargets; j++ {
				pred.Set(s+i, j, float64(pv[i*FeatTargets+j]))
			}
		}
		e.vm.Reset()
	}
	return feat, pred, nil
}

// Close releases the extractor's machine.
func (e *FeatExtractor) Close() { e.vm.Close() }

// Checkpoint returns the trained weights for caching (Params only).
func (n *FeatNet) Checkpoint() *nn.Checkpoint {
	return &nn.Checkpoint{Step: n.Cfg.Steps, Params: values(n.Params())}
}

// FeatNetFromCheckpoint rebuilds a FeatNet of shape cfg from the weights
// written by Checkpoint.
func FeatNetFromCheckpoint(cfg FeatNetConfig, c *nn.Checkpoint) (*FeatNet, error) {
	n, err := NewFeatNet(cfg, rand.New(rand.NewPCG(cfg.Seed, 0)))
	if err != nil {
		return nil, err
	}
	if err := setValues(n.Params(), c.Params); err != nil {
		return nil, fmt.Errorf("gan: feature net checkpoint: %w", err)
	}
	return n, nil
}
