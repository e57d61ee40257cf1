package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ResBlock is the residual block of the U-Net, with noise-embedding
// injection (the DDPM++/EDM UNetBlock without attention or adaptive scale):
//
//	h = Conv₂(SiLU(GN₂(Conv₁(SiLU(GN₁(x))) + A·e)))
//	y = (h + S(x))/√2
//
// where A is a linear map of the embedding e to the output channels (added
// to every pixel) and S is the identity, or a 1×1 convolution when the
// channel count changes.
type ResBlock struct {
	Norm1, Norm2 *Norm
	Conv1, Conv2 *Conv
	Emb          *Dense
	Skip         *Conv // nil when cin == cout
}

// NewResBlock makes a block cin→cout taking an embedding of width embed, with
// GroupsFor(·, maxGroups) groups in each GroupNorm. It initialises Conv₁, A and S He-normal and Conv₂ at 1e-5 of
// He-normal (EDM's init_zero for the block's last convolution), so each block
// starts close to its skip path.
func NewResBlock(name string, cin, cout, embed, maxGroups int, rng *rand.Rand) *ResBlock {
	r := &ResBlock{
		Norm1: NewNorm(name+".norm1", cin, GroupsFor(cin, maxGroups)),
		Conv1: NewConv(name+".conv1", cin, cout, 3, 1, 1, rng),
		Emb:   NewDense(name+".emb", embed, cout, 1, rng),
		Norm2: NewNorm(name+".norm2", cout, GroupsFor(cout, maxGroups)),
		Conv2: NewConv(name+".conv2", cout, cout, 3, 1, 1e-5, rng),
	}
	if cin != cout {
		r.Skip = NewConv(name+".skip", cin, cout, 1, 1, 1, rng)
	}
	return r
}

// Params returns the block's parameters in a fixed order.
func (r *ResBlock) Params() []*Param {
	ps := append(r.Norm1.Params(), r.Conv1.Params()...)
	ps = append(ps, r.Emb.Params()...)
	ps = append(ps, r.Norm2.Params()...)
	ps = append(ps, r.Conv2.Params()...)
	if r.Skip != nil {
		ps = append(ps, r.Skip.Params()...)
	}
	return ps
}

// Apply adds the block to the graph for x (N×cin×H×W) and the embedding e
// (N×embed), returning N×cout×H×W.
func (r *ResBlock) Apply(x, e *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
	h, err := r.Norm1.Apply(x, p)
	if err != nil {
		return nil, err
	}
	if h, err = SiLU(h); err != nil {
		return nil, err
	}
	if h, err = r.Conv1.Apply(h, p); err != nil {
		return nil, err
	}
	a, err := r.Emb.Apply(e, p)
	if err != nil {
		return nil, err
	}
	if h, err = AddChannel(h, a); err != nil {
		return nil, err
	}
	if h, err = r.Norm2.Apply(h, p); err != nil {
		return nil, err
	}
	if h, err = SiLU(h); err != nil {
		return nil, err
	}
	if h, err = r.Conv2.Apply(h, p); err != nil {
		return nil, err
	}
	s := x
	if r.Skip != nil {
		if s, err = r.Skip.Apply(x, p); err != nil {
			return nil, err
		}
	}
	if h, err = G.Add(h, s); err != nil {
		return nil, fmt.Errorf("nn: residual sum: %w", err)
	}
	if h, err = G.Mul(h, G.NewConstant(float32(math.Sqrt(0.5)))); err != nil {
		return nil, fmt.Errorf("nn: residual scale: %w", err)
	}
	return h, nil
}

// GroupsFor returns the GroupNorm group count for ch channels: the largest
// g ≤ min(maxGroups, ch/4) dividing ch (EDM: 32 groups of at least 4
// channels), and at least 1.
func GroupsFor(ch, maxGroups int) int {
	g := min(maxGroups, ch/4)
	for g > 1 && ch%g != 0 {
		g--
	}
	return max(g, 1)
}

// UNetConfig configures NewUNet. Zero fields select the defaults noted.
type UNetConfig struct {
	C, H, W  int // image channels and size; H and W must be even
	Channels int // base width at full resolution (default 32); half resolution uses 2·Channels
	Groups   int // maximum GroupNorm groups (default 8), at least 4 channels per group
	Embed    int // width of the noise embedding (default 4·Channels)
	// Fourier is the number of cos/sin pairs embedding c (default
	// max(Channels/2, 1), EDM's noise_channels = model_channels).
	Fourier int
	// FourierScale is the standard deviation of the frozen frequencies
	// (default 16, EDM's FourierEmbedding).
	FourierScale float64
}

// UNet is a small two-resolution U-Net on flattened images (In = Out =
// C·H·W, each row one image in CHW order) conditioned on c through a Fourier
// embedding:
//
//	e  = SiLU(L₂ SiLU(L₁ [cos 2πfc, sin 2πfc]))          (width Embed)
//	h  = Conv_in(x)                                      C → ch, H×W
//	s₀ = R₀(h, e)                                         ch → ch
//	h  = Down(s₀)       (3×3 conv, stride 2)              ch → ch, H/2×W/2
//	s₁ = R₁(h, e)                                         ch → 2ch
//	h  = M(s₁, e)                                         2ch → 2ch
//	h  = U₁([h, s₁], e)                                   4ch → 2ch
//	h  = Conv_up(Upsample2x(h))                           2ch → 2ch, H×W
//	h  = U₀([h, s₀], e)                                   3ch → ch
//	F  = Conv_out(SiLU(GN(h)))                            ch → C
//
// R, M, U are residual blocks (see ResBlock) with the embedding injected,
// [·,·] concatenates channels (skip connections), GN is GroupNorm. All
// convolutions are 3×3 with padding 1. Conv_out is zero-initialised, so
// F ≡ 0 at step 0.
type UNet struct {
	cfg                       UNetConfig
	freqs                     *Param
	map1, map2                *Dense
	convIn, down, up, convOut *Conv
	r0, r1, mid, u1, u0       *ResBlock
	normOut                   *Norm
}

var _ Model = (*UNet)(nil)

// NewUNet returns a U-Net initialised from rng.
func NewUNet(cfg UNetConfig, rng *rand.Rand) (*UNet, error) {
	if rng == nil {
		return nil, errors.New("nn: NewUNet: nil rng")
	}
	if cfg.Channels == 0 {
		cfg.Channels = 32
	}
	if cfg.Groups == 0 {
		cfg.Groups = 8
	}
	if cfg.Embed == 0 {
		cfg.Embed = 4 * cfg.Channels
	}
	if cfg.Fourier == 0 {
		cfg.Fourier = max(cfg.Channels/2, 1)
	}
	if cfg.FourierScale == 0 {
		cfg.FourierScale = DefaultFourierScale
	}
	if cfg.C < 1 || cfg.H < 2 || cfg.W < 2 || cfg.H%2 != 0 || cfg.W%2 != 0 || cfg.Channels < 1 ||
		cfg.Groups < 1 || cfg.Embed < 1 || cfg.Fourier < 1 || cfg.FourierScale < 0 {
		return nil, fmt.Errorf("nn: NewUNet: invalid config %+v", cfg)
	}
	ch, e, g := cfg.Channels, cfg.Embed, cfg.Groups
	u := &UNet{cfg: cfg}
	u.freqs = NewParam("unet.fourier.freqs", 1, cfg.Fourier)
	u.freqs.Frozen = true
	NormalFill(u.freqs.Data(), cfg.FourierScale, rng)
	u.map1 = NewDense("unet.map1", 2*cfg.Fourier, e, 1, rng)
	u.map2 = NewDense("unet.map2", e, e, 1, rng)
	u.convIn = NewConv("unet.conv_in", cfg.C, ch, 3, 1, 1, rng)
	u.r0 = NewResBlock("unet.enc0", ch, ch, e, g, rng)
	u.down = NewConv("unet.down", ch, ch, 3, 2, 1, rng)
	u.r1 = NewResBlock("unet.enc1", ch, 2*ch, e, g, rng)
	u.mid = NewResBlock("unet.mid", 2*ch, 2*ch, e, g, rng)
	u.u1 = NewResBlock("unet.dec1", 4*ch, 2*ch, e, g, rng)
	u.up = NewConv("unet.up", 2*ch, 2*ch, 3, 1, 1, rng)
	u.u0 = NewResBlock("unet.dec0", 3*ch, ch, e, g, rng)
	u.normOut = NewNorm("unet.norm_out", ch, GroupsFor(ch, g))
	u.convOut = NewConv("unet.conv_out", ch, cfg.C, 3, 1, 0, rng)
	return u, nil
}

// Config returns the configuration with defaults resolved.
func (u *UNet) Config() UNetConfig { return u.cfg }

// In returns C·H·W.
func (u *UNet) In() int { return u.cfg.C * u.cfg.H * u.cfg.W }

// Out returns C·H·W.
func (u *UNet) Out() int { return u.In() }

// Params returns every parameter in a fixed order (frequencies first).
func (u *UNet) Params() []*Param {
	ps := []*Param{u.freqs}
	ps = append(ps, u.map1.Params()...)
	ps = append(ps, u.map2.Params()...)
	ps = append(ps, u.convIn.Params()...)
	ps = append(ps, u.r0.Params()...)
	ps = append(ps, u.down.Params()...)
	ps = append(ps, u.r1.Params()...)
	ps = append(ps, u.mid.Params()...)
	ps = append(ps, u.u1.Params()...)
	ps = append(ps, u.up.Params()...)
	ps = append(ps, u.u0.Params()...)
	ps = append(ps, u.normOut.Params()...)
	ps = append(ps, u.convOut.Params()...)
	return ps
}

// Forward adds F(x; c) to g.
func (u *UNet) Forward(g *G.ExprGraph, x, c *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
	out, err := u.forward(x, c, p)
	if err != nil {
		return nil, fmt.Errorf("nn: unet: %w", err)
	}
	return out, nil
}

func (u *UNet) forward(x, c *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
	n := x.Shape()[0]
	cf := u.cfg
	e, err := FourierFeatures(c, p(u.freqs))
	if err != nil {
		return nil, err
	}
	for _, l := range []*Dense{u.map1, u.map2} {
		if e, err = l.Apply(e, p); err != nil {
			return nil, err
		}
		if e, err = SiLU(e); err != nil {
			return nil, err
		}
	}
	h, err := G.Reshape(x, tensor.Shape{n, cf.C, cf.H, cf.W})
	if err != nil {
		return nil, fmt.Errorf("reshape input: %w", err)
	}
	if h, err = u.convIn.Apply(h, p); err != nil {
		return nil, err
	}
	s0, err := u.r0.Apply(h, e, p)
	if err != nil {
		return nil, err
	}
	if h, err = u.down.Apply(s0, p); err != nil {
		return nil, err
	}
	s1, err := u.r1.Apply(h, e, p)
	if err != nil {
		return nil, err
	}
	if h, err = u.mid.Apply(s1, e, p); err != nil {
		return nil, err
	}
	if h, err = G.Concat(1, h, s1); err != nil {
		return nil, fmt.Errorf("skip 1: %w", err)
	}
	if h, err = u.u1.Apply(h, e, p); err != nil {
		return nil, err
	}
	if h, err = Upsample2x(h); err != nil {
		return nil, err
	}
	if h, err = u.up.Apply(h, p); err != nil {
		return nil, err
	}
	if h, err = G.Concat(1, h, s0); err != nil {
		return nil, fmt.Errorf("skip 0: %w", err)
	}
	if h, err = u.u0.Apply(h, e, p); err != nil {
		return nil, err
	}
	if h, err = u.normOut.Apply(h, p); err != nil {
		return nil, err
	}
	if h, err = SiLU(h); err != nil {
		return nil, err
	}
	if h, err = u.convOut.Apply(h, p); err != nil {
		return nil, err
	}
	if h, err = G.Reshape(h, tensor.Shape{n, u.In()}); err != nil {
		return nil, fmt.Errorf("reshape output: %w", err)
	}
	return h, nil
}

// Clone returns a deep copy with its own parameter storage.
func (u *UNet) Clone() Model {
	c := *u
	cp := func(d *Dense) *Dense { return &Dense{W: d.W.Clone(), B: d.B.Clone()} }
	cc := func(l *Conv) *Conv { return &Conv{W: l.W.Clone(), B: l.B.Clone(), Stride: l.Stride} }
	cn := func(l *Norm) *Norm {
		return &Norm{Scale: l.Scale.Clone(), Bias: l.Bias.Clone(), Groups: l.Groups}
	}
	cr := func(r *ResBlock) *ResBlock {
		q := &ResBlock{Norm1: cn(r.Norm1), Conv1: cc(r.Conv1), Emb: cp(r.Emb), Norm2: cn(r.Norm2), Conv2: cc(r.Conv2)}
		if r.Skip != nil {
			q.Skip = cc(r.Skip)
		}
		return q
	}
	c.freqs = u.freqs.Clone()
	c.map1, c.map2 = cp(u.map1), cp(u.map2)
	c.convIn, c.down, c.up, c.convOut = cc(u.convIn), cc(u.down), cc(u.up), cc(u.convOut)
	c.r0, c.r1, c.mid, c.u1, c.u0 = cr(u.r0), cr(u.r1), cr(u.mid), cr(u.u1), cr(u.u0)
	c.normOut = cn(u.normOut)
	return &c
}
