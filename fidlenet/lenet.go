// Package fidlenet is genlab's MNIST feature network for FID-style metrics:
// a LeNet-style convolutional classifier trained in-house with a fixed seed,
// its weights shipped in the repository with their SHA-256, and the
// reference statistics of the MNIST test split in its feature space.
//
// fid_lenet is the squared Fréchet distance between Gaussians fitted to the
// penultimate-layer features (Features() = 128 ReLU units) of two image sets:
//
//	fid_lenet = ‖μ₁−μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2·Tr (Σ₁Σ₂)^½,
//
// the "Fréchet LeNet distance" used by MNIST diffusion work. It is not
// comparable with Inception FID. Images enter the network as 8-bit pixels
// mapped to [−1, 1] (data.PixelToUnit); generated samples are quantised to
// 8 bits first (data.QuantizeUnit), so reals and fakes are preprocessed
// identically.
package fidlenet

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"genlab/nn"
)

// Config is the shape of the LeNet-style network
//
//	x (1×28×28) → conv5×5(C1) → ReLU → maxpool 2 → conv5×5(C2) → ReLU → maxpool 2
//	            → flatten (C2·7·7) → linear(Hidden) → ReLU  [features]
//	            → linear(10)  [logits],
//
// convolutions with zero padding 2 (size preserving) and bias.
type Config struct {
	C1     int `json:"c1"`
	C2     int `json:"c2"`
	Hidden int `json:"hidden"`
}

// DefaultConfig is the shipped network: 8 and 16 channels, 128 features.
var DefaultConfig = Config{C1: 8, C2: 16, Hidden: 128}

// Image side and number of classes of the network's input and output.
const (
	Side    = 28
	Classes = 10
)

func (c Config) validate() error {
	if c.C1 < 1 || c.C2 < 1 || c.Hidden < 2 {
		return fmt.Errorf("fidlenet: invalid config %+v", c)
	}
	return nil
}

// Net is the LeNet-style classifier (see Config). Its parameters are
// float32; Params order is conv1.w, conv1.b, conv2.w, conv2.b, fc1.w, fc1.b,
// fc2.w, fc2.b.
type Net struct {
	cfg                            Config
	w1, b1, w2, b2, w3, b3, w4, b4 *nn.Param
}

// New returns a network with seeded initial weights: He-normal
// (std √(2/fan_in)) convolution and hidden weights, std √(1/fan_in) for the
// logits layer, zero biases.
func New(cfg Config, rng *rand.Rand) (*Net, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := newNet(cfg)
	fill := func(p *nn.Param, std float64) { nn.NormalFill(p.Data(), std, rng) }
	fill(n.w1, math.Sqrt(2/25.0))
	fill(n.w2, math.Sqrt(2/float64(25*cfg.C1)))
	fill(n.w3, math.Sqrt(2/float64(49*cfg.C2)))
	fill(n.w4, math.Sqrt(1/float64(cfg.Hidden)))
	return n, nil
}

func newNet(cfg Config) *Net {
	return &Net{
		cfg: cfg,
		w1:  nn.NewParam("conv1.w", cfg.C1, 1, 5, 5),
		b1:  nn.NewParam("conv1.b", 1, cfg.C1, 1, 1),
		w2:  nn.NewParam("conv2.w", cfg.C2, cfg.C1, 5, 5),
		b2:  nn.NewParam("conv2.b", 1, cfg.C2, 1, 1),
		w3:  nn.NewParam("fc1.w", 49*cfg.C2, cfg.Hidden),
		b3:  nn.NewParam("fc1.b", 1, cfg.Hidden),
		w4:  nn.NewParam("fc2.w", cfg.Hidden, Classes),
		b4:  nn.NewParam("fc2.b", 1, Classes),
	}
}

// Config returns the network's shape.
func (n *Net) Config() Config { return n.cfg }

// Features returns the dimension of the feature space (Config.Hidden).
func (n *Net) Features() int { return n.cfg.Hidden }

func (n *Net) params() []*nn.Param {
	return []*nn.Param{n.w1, n.b1, n.w2, n.b2, n.w3, n.b3, n.w4, n.b4}
}

// NumParams returns the number of scalars of the network.
func (n *Net) NumParams() int {
	s := 0
	for _, p := range n.params() {
		s += len(p.Data())
	}
	return s
}

// graph is the network's compiled-ready expression graph at a fixed batch.
type graph struct {
	g      *G.ExprGraph
	xd     []float32 // backing of the input x (batch×1×28×28)
	x      *G.Node
	nodes  []*G.Node // one per param, in params() order
	feat   *G.Node   // batch×Hidden
	logits *G.Node   // batch×10
}

// build adds the forward pass of n at the given batch size to a new graph,
// up to the features, and the logits layer if head is true. Parameter nodes
// share the parameters' backing slices. Forward-only graphs stop at the
// features, so no later op can reuse their register (gorgonia #576); logits
// are then computed in Go (Net.Logits).
func (n *Net) build(batch int, head bool) (*graph, error) {
	gr := &graph{g: G.NewGraph(), xd: make([]float32, batch*Side*Side)}
	gr.x = G.NewTensor(gr.g, tensor.Float32, 4, G.WithShape(batch, 1, Side, Side), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(batch, 1, Side, Side), tensor.WithBacking(gr.xd))))
	for i, p := range n.params() {
		v := tensor.New(tensor.WithShape(p.Shape...), tensor.WithBacking(p.Data()))
		gr.nodes = append(gr.nodes, G.NewTensor(gr.g, tensor.Float32, len(p.Shape), G.WithShape(p.Shape...),
			G.WithName(fmt.Sprintf("%s#%d", p.Name, i)), G.WithValue(v)))
	}
	wrap := func(what string, err error) error { return fmt.Errorf("fidlenet: build %s: %w", what, err) }
	nd := gr.nodes
	h, err := nn.Conv2d(gr.x, nd[0], nd[1], 1)
	if err != nil {
		return nil, wrap("conv1", err)
	}
	if h, err = G.Rectify(h); err != nil {
		return nil, wrap("relu1", err)
	}
	if h, err = G.MaxPool2D(h, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}); err != nil {
		return nil, wrap("pool1", err)
	}
	if h, err = nn.Conv2d(h, nd[2], nd[3], 1); err != nil {
		return nil, wrap("conv2", err)
	}
	if h, err = G.Rectify(h); err != nil {
		return nil, wrap("relu2", err)
	}
	if h, err = G.MaxPool2D(h, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}); err != nil {
		return nil, wrap("pool2", err)
	}
	if h, err = G.Reshape(h, tensor.Shape{batch, 49 * n.cfg.C2}); err != nil {
		return nil, wrap("flatten", err)
	}
	if h, err = nn.Linear(h, nd[4], nd[5]); err != nil {
		return nil, wrap("fc1", err)
	}
	if gr.feat, err = G.Rectify(h); err != nil {
		return nil, wrap("relu3", err)
	}
	if !head {
		return gr, nil
	}
	if gr.logits, err = nn.Linear(gr.feat, nd[6], nd[7]); err != nil {
		return nil, wrap("fc2", err)
	}
	return gr, nil
}
