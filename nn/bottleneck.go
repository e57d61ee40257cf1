package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
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
// N(0, FourierScale²) frozen, as in MLP.
type BottleneckMLP struct {
	cfg    BottleneckConfig
	proj   *Param
	freqs  *Param
	ws, bs []*Param
}

// BottleneckConfig configures NewBottleneckMLP.
type BottleneckConfig struct {
	In, B, Hidden, Layers, Fourier int
	FourierScale                   float64
}

var _ Model = (*BottleneckMLP)(nil)

// NewBottleneckMLP initialises the network from rng (frequencies, bottleneck,
// then the hidden layers in order).
func NewBottleneckMLP(cfg BottleneckConfig, rng *rand.Rand) (*BottleneckMLP, error) {
	if cfg.In < 1 || cfg.B < 1 || cfg.Hidden < 1 || cfg.Layers < 1 || cfg.Fourier < 1 || cfg.FourierScale <= 0 {
		return nil, fmt.Errorf("nn: NewBottleneckMLP: invalid config %+v", cfg)
	}
	if rng == nil {
		return nil, errors.New("nn: NewBottleneckMLP: nil rng")
	}
	m := &BottleneckMLP{cfg: cfg}
	m.freqs = NewParam("bmlp.fourier.freqs", 1, cfg.Fourier)
	m.freqs.Frozen = true
	NormalFill(m.freqs.Data(), cfg.FourierScale, rng)
	m.proj = NewParam("bmlp.bottleneck.w", cfg.In, cfg.B)
	NormalFill(m.proj.Data(), 1/math.Sqrt(float64(cfg.In)), rng)
	m.ws, m.bs = newLayers("bmlp", cfg.B+2*cfg.Fourier, cfg.Hidden, cfg.In, cfg.Layers, rng)
	return m, nil
}

// In implements Model.
func (m *BottleneckMLP) In() int { return m.cfg.In }

// Out implements Model.
func (m *BottleneckMLP) Out() int { return m.cfg.In }

// Params implements Model: frequencies, bottleneck, then W_l, b_l.
func (m *BottleneckMLP) Params() []*Param {
	ps := []*Param{m.freqs, m.proj}
	for l := range m.ws {
		ps = append(ps, m.ws[l], m.bs[l])
	}
	return ps
}

// Forward implements Model.
func (m *BottleneckMLP) Forward(g *G.ExprGraph, x, c *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
	h, err := Linear(x, p(m.proj), nil)
	if err != nil {
		return nil, fmt.Errorf("nn: bmlp: bottleneck: %w", err)
	}
	emb, err := FourierFeatures(c, p(m.freqs))
	if err != nil {
		return nil, fmt.Errorf("nn: bmlp: fourier features: %w", err)
	}
	if h, err = G.Concat(1, h, emb); err != nil {
		return nil, fmt.Errorf("nn: bmlp: concat: %w", err)
	}
	return forwardLayers(h, m.ws, m.bs, p, "nn: bmlp")
}

// Clone implements Model.
func (m *BottleneckMLP) Clone() Model {
	c := &BottleneckMLP{cfg: m.cfg, proj: m.proj.Clone(), freqs: m.freqs.Clone()}
	for l := range m.ws {
		c.ws = append(c.ws, m.ws[l].Clone())
		c.bs = append(c.bs, m.bs[l].Clone())
	}
	return c
}
