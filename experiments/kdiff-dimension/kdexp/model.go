package kdexp

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"genlab/nn"
)

// BottleneckMLP is an MLP behind a linear bottleneck of width B (JiT's
// patch-embedding bottleneck, which forces capacity to bind):
//
//	h₀ = [x·W_b, cos(2π f c), sin(2π f c)]        (W_b: In×B, no bias)
//	h_l = SiLU(h_{l−1} W_l + b_l),  l = 1…Layers  (width Hidden)
//	F  = h_L W_out + b_out                        (width Out = In)
//
// Initialisation: W_b ~ N(0, 1/In) (variance preserving), hidden layers
// He-normal, biases and the output layer zero (F ≡ 0 at step 0), f ~
// N(0, FourierScale²) frozen, as in nn.MLP.
type BottleneckMLP struct {
	cfg    BottleneckConfig
	proj   *nn.Param
	freqs  *nn.Param
	ws, bs []*nn.Param
}

// BottleneckConfig configures NewBottleneckMLP.
type BottleneckConfig struct {
	In, B, Hidden, Layers, Fourier int
	FourierScale                   float64
}

var _ nn.Model = (*BottleneckMLP)(nil)

func newParam(name string, shape ...int) *nn.Param {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return &nn.Param{Name: name, Shape: append([]int(nil), shape...),
		Value: tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, n)))}
}

func fillNormal(w []float32, std float64, rng *rand.Rand) {
	for i := range w {
		w[i] = float32(std * rng.NormFloat64())
	}
}

// NewBottleneckMLP initialises the network from rng (frequencies, bottleneck,
// then the hidden layers in order).
func NewBottleneckMLP(cfg BottleneckConfig, rng *rand.Rand) (*BottleneckMLP, error) {
	if cfg.In < 1 || cfg.B < 1 || cfg.Hidden < 1 || cfg.Layers < 1 || cfg.Fourier < 1 || cfg.FourierScale <= 0 {
		return nil, fmt.Errorf("kdexp: invalid bottleneck config %+v", cfg)
	}
	if rng == nil {
		return nil, errors.New("kdexp: nil rng")
	}
	m := &BottleneckMLP{cfg: cfg}
	m.freqs = newParam("bmlp.fourier.freqs", 1, cfg.Fourier)
	m.freqs.Frozen = true
	fillNormal(m.freqs.Data(), cfg.FourierScale, rng)
	m.proj = newParam("bmlp.bottleneck.w", cfg.In, cfg.B)
	fillNormal(m.proj.Data(), 1/math.Sqrt(float64(cfg.In)), rng)
	fanIn := cfg.B + 2*cfg.Fourier
	for l := 0; l <= cfg.Layers; l++ {
		fanOut := cfg.Hidden
		if l == cfg.Layers {
			fanOut = cfg.In
		}
		w := newParam(fmt.Sprintf("bmlp.l%d.w", l), fanIn, fanOut)
		b := newParam(fmt.Sprintf("bmlp.l%d.b", l), 1, fanOut)
		if l < cfg.Layers {
			fillNormal(w.Data(), math.Sqrt(2/float64(fanIn)), rng)
		}
		m.ws = append(m.ws, w)
		m.bs = append(m.bs, b)
		fanIn = fanOut
	}
	return m, nil
}

// In implements nn.Model.
func (m *BottleneckMLP) In() int { return m.cfg.In }

// Out implements nn.Model.
func (m *BottleneckMLP) Out() int { return m.cfg.In }

// Params implements nn.Model: frequencies, bottleneck, then W_l, b_l.
func (m *BottleneckMLP) Params() []*nn.Param {
	ps := []*nn.Param{m.freqs, m.proj}
	for l := range m.ws {
		ps = append(ps, m.ws[l], m.bs[l])
	}
	return ps
}

// Forward implements nn.Model.
func (m *BottleneckMLP) Forward(g *G.ExprGraph, x, c *G.Node, p func(*nn.Param) *G.Node) (*G.Node, error) {
	h, err := nn.Linear(x, p(m.proj), nil)
	if err != nil {
		return nil, fmt.Errorf("kdexp: bottleneck: %w", err)
	}
	emb, err := nn.FourierFeatures(c, p(m.freqs))
	if err != nil {
		return nil, fmt.Errorf("kdexp: bottleneck mlp: %w", err)
	}
	if h, err = G.Concat(1, h, emb); err != nil {
		return nil, fmt.Errorf("kdexp: bottleneck concat: %w", err)
	}
	for l := range m.ws {
		if h, err = nn.Linear(h, p(m.ws[l]), p(m.bs[l])); err != nil {
			return nil, fmt.Errorf("kdexp: layer %d: %w", l, err)
		}
		if l < len(m.ws)-1 {
			if h, err = nn.SiLU(h); err != nil {
				return nil, fmt.Errorf("kdexp: layer %d: %w", l, err)
			}
		}
	}
	return h, nil
}

// Clone implements nn.Model.
func (m *BottleneckMLP) Clone() nn.Model {
	cp := func(p *nn.Param) *nn.Param {
		q := newParam(p.Name, p.Shape...)
		q.Frozen = p.Frozen
		copy(q.Data(), p.Data())
		return q
	}
	c := &BottleneckMLP{cfg: m.cfg, proj: cp(m.proj), freqs: cp(m.freqs)}
	for l := range m.ws {
		c.ws = append(c.ws, cp(m.ws[l]))
		c.bs = append(c.bs, cp(m.bs[l]))
	}
	return c
}
