package nn

import (
	"errors"
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// MLPConfig configures NewMLP.
type MLPConfig struct {
	In, Out int // widths of x and of the output F
	Hidden  int // width of every hidden layer
	Layers  int // number of hidden layers (Linear+SiLU pairs); ≥ 1
	// Fourier is the number of cos/sin pairs embedding c; 0 means c is not used.
	Fourier int
	// FourierScale is the standard deviation of the fixed random frequencies,
	// f_k ~ N(0, FourierScale²); 0 selects 16, the default of EDM's and
	// NCSN++'s FourierEmbedding (and of the torch peer benchmark).
	FourierScale float64
}

// DefaultFourierScale is the frequency scale used when MLPConfig.FourierScale
// (or UNetConfig.FourierScale) is 0.
const DefaultFourierScale = 16

// MLP is the fully connected network
//
//	h₀ = [x, cos(2π f c), sin(2π f c)]            (width In + 2·Fourier)
//	h_l = SiLU(h_{l−1} W_l + b_l),  l = 1…Layers  (width Hidden)
//	F  = h_L W_out + b_out                        (width Out)
//
// Initialisation (see the spec's "Training small denoisers"): hidden weights
// He-normal, std √(2/fan_in); all biases zero; the output layer zero, so F ≡ 0
// at step 0; frequencies f_k ~ N(0, FourierScale²), drawn once and frozen.
type MLP struct {
	cfg    MLPConfig
	freqs  *Param   // 1×Fourier, frozen; nil if Fourier == 0
	ws, bs []*Param // Layers+1 weight matrices (fan_in×fan_out) and biases (1×fan_out)
}

var _ Model = (*MLP)(nil)

// NewMLP returns an MLP initialised from rng (frequencies first, then the
// hidden weights layer by layer).
func NewMLP(cfg MLPConfig, rng *rand.Rand) (*MLP, error) {
	if cfg.In < 1 || cfg.Out < 1 || cfg.Hidden < 1 || cfg.Layers < 1 || cfg.Fourier < 0 || cfg.FourierScale < 0 {
		return nil, fmt.Errorf("nn: NewMLP: invalid config %+v", cfg)
	}
	if rng == nil {
		return nil, errors.New("nn: NewMLP: nil rng")
	}
	if cfg.FourierScale == 0 {
		cfg.FourierScale = DefaultFourierScale
	}
	m := &MLP{cfg: cfg}
	if cfg.Fourier > 0 {
		m.freqs = NewParam("mlp.fourier.freqs", 1, cfg.Fourier)
		m.freqs.Frozen = true
		NormalFill(m.freqs.Data(), cfg.FourierScale, rng)
	}
	m.ws, m.bs = newLayers("mlp", cfg.In+2*cfg.Fourier, cfg.Hidden, cfg.Out, cfg.Layers, rng)
	return m, nil
}

// newLayers returns the Layers+1 weight matrices (fan_in×fan_out, named
// prefix.l<i>.w) and biases (1×fan_out) of an MLP from width in through
// Layers hidden layers of width hidden to width out: hidden weights
// He-normal from rng in layer order, biases and the output layer zero.
func newLayers(prefix string, in, hidden, out, layers int, rng *rand.Rand) (ws, bs []*Param) {
	fanIn := in
	for l := 0; l <= layers; l++ {
		fanOut := hidden
		if l == layers {
			fanOut = out
		}
		w := NewParam(fmt.Sprintf("%s.l%d.w", prefix, l), fanIn, fanOut)
		b := NewParam(fmt.Sprintf("%s.l%d.b", prefix, l), 1, fanOut)
		if l < layers {
			heNormal(w.Data(), fanIn, rng)
		}
		ws = append(ws, w)
		bs = append(bs, b)
		fanIn = fanOut
	}
	return ws, bs
}

// Config returns the configuration, with defaults resolved.
func (m *MLP) Config() MLPConfig { return m.cfg }

// In returns the width of x.
func (m *MLP) In() int { return m.cfg.In }

// Out returns the width of F.
func (m *MLP) Out() int { return m.cfg.Out }

// Params returns the frequencies (if any), then W_l, b_l for each layer.
func (m *MLP) Params() []*Param {
	var ps []*Param
	if m.freqs != nil {
		ps = append(ps, m.freqs)
	}
	for l := range m.ws {
		ps = append(ps, m.ws[l], m.bs[l])
	}
	return ps
}

// Forward adds F(x; c) to g.
func (m *MLP) Forward(g *G.ExprGraph, x, c *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
	h := x
	if m.freqs != nil {
		emb, err := FourierFeatures(c, p(m.freqs))
		if err != nil {
			return nil, fmt.Errorf("nn: mlp: %w", err)
		}
		if h, err = G.Concat(1, x, emb); err != nil {
			return nil, fmt.Errorf("nn: mlp: input concat: %w", err)
		}
	}
	return forwardLayers(h, m.ws, m.bs, p, "nn: mlp")
}

// forwardLayers adds h ↦ SiLU(h W_l + b_l) for each layer but the last,
// which is linear; errors are prefixed with what.
func forwardLayers(h *G.Node, ws, bs []*Param, p func(*Param) *G.Node, what string) (*G.Node, error) {
	var err error
	for l := range ws {
		if h, err = Linear(h, p(ws[l]), p(bs[l])); err != nil {
			return nil, fmt.Errorf("%s layer %d: %w", what, l, err)
		}
		if l < len(ws)-1 {
			if h, err = SiLU(h); err != nil {
				return nil, fmt.Errorf("%s layer %d: %w", what, l, err)
			}
		}
	}
	return h, nil
}

// Clone returns a deep copy with its own parameter storage.
func (m *MLP) Clone() Model {
	c := &MLP{cfg: m.cfg}
	if m.freqs != nil {
		c.freqs = m.freqs.Clone()
	}
	for l := range m.ws {
		c.ws = append(c.ws, m.ws[l].Clone())
		c.bs = append(c.bs, m.bs[l].Clone())
	}
	return c
}
