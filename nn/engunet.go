package nn

import (
	"math"

	"genlab/nn/kern"
)

// invSqrt2 scales the residual sum (h + S(x))/√2.
var invSqrt2 = float32(math.Sqrt(0.5))

// eblock is a ResBlock in the engine (see ResBlock for the maths):
//
//	h1 = SiLU(GN₁(x)), z = Conv₁(h1) + A·e, h2 = SiLU(GN₂(z)),
//	y  = (Conv₂(h2) + S(x))/√2,
//
// with A·e added through Conv₁'s per-(image, channel) bias and the 1/√2
// folded into the GEMMs of Conv₂ and S.
type eblock struct {
	n1, n2    *egn
	c1, c2    *econv
	skip      *econv // nil: identity
	emb       *edense
	cin, cout int
	h1, z, h2 []float32 // saved activations, CNHW
	a, da     []float32 // capacity×cout
}

func newEblock(r *ResBlock, idx map[*Param]int, h, w, capacity int) *eblock {
	hw := h * w
	b := &eblock{
		n1: newEgn(r.Norm1, idx, hw, capacity), n2: newEgn(r.Norm2, idx, hw, capacity),
		c1: newEconv(r.Conv1, idx, h, w), c2: newEconv(r.Conv2, idx, h, w),
		emb: newEdense(r.Emb.W, r.Emb.B, idx),
		cin: r.Conv1.W.Shape[1], cout: r.Conv1.W.Shape[0],
	}
	if r.Skip != nil {
		b.skip = newEconv(r.Skip, idx, h, w)
	}
	b.h1 = make([]float32, b.cin*capacity*hw)
	b.z = make([]float32, b.cout*capacity*hw)
	b.h2 = make([]float32, b.cout*capacity*hw)
	b.a = make([]float32, capacity*b.cout)
	b.da = make([]float32, capacity*b.cout)
	return b
}

func (b *eblock) colSize(n int) int {
	s := max(b.c1.colSize(n), b.c2.colSize(n))
	if b.skip != nil {
		s = max(s, b.skip.colSize(n))
	}
	return s
}

// forward sets y (cout×n·hw) from x (cin×n·hw) and the embedding e (n×E).
func (b *eblock) forward(y, x, e []float32, n int, col []float32) {
	b.n1.forward(b.h1, x, n)
	b.emb.forward(b.a, e, n)
	b.c1.forward(b.z, b.h1, b.a, n, 1, false, col)
	b.n2.forward(b.h2, b.z, n)
	if b.skip != nil {
		b.skip.forward(y, x, nil, n, invSqrt2, false, col)
	} else {
		kern.AffineTo(y[:b.cout*n*b.n1.hw], x[:b.cin*n*b.n1.hw], invSqrt2, 0)
	}
	b.c2.forward(y, b.h2, nil, n, invSqrt2, true, col)
}

// backward adds the gradients of x and e to dx and de and sets the block's
// parameter gradients in g, for dy the gradient of y. s1 and s2 are scratch
// of max(cin, cout)·n·hw values, distinct from dx and dy.
func (b *eblock) backward(g [][]float32, dx, de, dy, x, e []float32, n int, col, s1, s2 []float32) {
	np := n * b.n1.hw
	dh2 := s1[:b.cout*np]
	clear(dh2)
	b.c2.backward(g, nil, dh2, dy, b.h2, n, invSqrt2, col)
	if b.skip != nil {
		b.skip.backward(g, nil, dx, dy, x, n, invSqrt2, col)
	} else {
		kern.Axpy(invSqrt2, dy[:b.cout*np], dx[:b.cin*np])
	}
	dz := s2[:b.cout*np]
	b.n2.backward(g, dz, dh2, b.z, n, false)
	dh1 := s1[:b.cin*np]
	clear(dh1)
	b.c1.backward(g, b.da, dh1, dz, b.h1, n, 1, col)
	b.emb.backward(g, de, b.da, e, n, true)
	b.n1.backward(g, dx, dh1, x, n, true)
}

// unetNet is one worker's engine instance of a UNet (see UNet for the
// network); activations are CNHW.
type unetNet struct {
	C, ch, P0, P1, h1, w1 int
	embW                  int
	freqs                 []float32
	map1, map2            *edense
	convIn, down, up, out *econv
	r0, r1, mid, u1, u0   *eblock
	normOut               *egn

	xin, fe, e1, e1s, e2, e []float32
	h0, cat0, hd, cat1      []float32
	hu1, hup, hu0, ho, fo   []float32
	col                     []float32
	s1, s2, d1, d2          []float32
	dcat0, dcat1, de, de2   []float32
}

func (u *UNet) shardTarget() int { return max(1, 4096/(u.cfg.H*u.cfg.W)) }

func paramIndex(ps []*Param) map[*Param]int {
	idx := make(map[*Param]int, len(ps))
	for i, p := range ps {
		idx[p] = i
	}
	return idx
}

func (u *UNet) newNet(capacity int) net {
	cf := u.cfg
	idx := paramIndex(u.Params())
	h, w := cf.H, cf.W
	h1, w1 := h/2, w/2
	ch, E := cf.Channels, cf.Embed
	q := &unetNet{C: cf.C, ch: ch, P0: h * w, P1: h1 * w1, h1: h1, w1: w1, embW: E, freqs: u.freqs.Data()}
	q.map1 = newEdense(u.map1.W, u.map1.B, idx)
	q.map2 = newEdense(u.map2.W, u.map2.B, idx)
	q.convIn = newEconv(u.convIn, idx, h, w)
	q.r0 = newEblock(u.r0, idx, h, w, capacity)
	q.down = newEconv(u.down, idx, h, w)
	q.r1 = newEblock(u.r1, idx, h1, w1, capacity)
	q.mid = newEblock(u.mid, idx, h1, w1, capacity)
	q.u1 = newEblock(u.u1, idx, h1, w1, capacity)
	q.up = newEconv(u.up, idx, h, w)
	q.u0 = newEblock(u.u0, idx, h, w, capacity)
	q.normOut = newEgn(u.normOut, idx, h*w, capacity)
	q.out = newEconv(u.convOut, idx, h, w)

	n0, n1 := capacity*q.P0, capacity*q.P1
	f := func(k int) []float32 { return make([]float32, k) }
	q.xin = f(cf.C * n0)
	q.fe = f(capacity * 2 * cf.Fourier)
	q.e1, q.e1s, q.e2, q.e = f(capacity*E), f(capacity*E), f(capacity*E), f(capacity*E)
	q.de, q.de2 = f(capacity*E), f(capacity*E)
	q.h0 = f(ch * n0)
	q.cat0 = f(3 * ch * n0)
	q.hd = f(ch * n1)
	q.cat1 = f(4 * ch * n1)
	q.hu1 = f(2 * ch * n1)
	q.hup = f(2 * ch * n0)
	q.hu0 = f(ch * n0)
	q.ho = f(ch * n0)
	q.fo = f(cf.C * n0)
	cs := 0
	for _, c := range []*econv{q.convIn, q.down, q.up, q.out} {
		cs = max(cs, c.colSize(capacity))
	}
	for _, b := range []*eblock{q.r0, q.r1, q.mid, q.u1, q.u0} {
		cs = max(cs, b.colSize(capacity))
	}
	q.col = f(cs)
	big := max(3*ch*n0, 4*ch*n1, cf.C*n0)
	q.s1, q.s2, q.d1, q.d2 = f(big), f(big), f(big), f(big)
	q.dcat0, q.dcat1 = f(3*ch*n0), f(4*ch*n1)
	return q
}

func (q *unetNet) forward(out, x, c []float32, n int, _ bool) {
	ch := q.ch
	n0, n1 := n*q.P0, n*q.P1
	ToCNHW(q.xin, x, n, q.C, q.P0)
	E := q.embW
	fourierTo(q.fe, c, q.freqs, n)
	q.map1.forward(q.e1, q.fe, n)
	kern.SiLU(q.e1s[:n*E], q.e1[:n*E])
	q.map2.forward(q.e2, q.e1s, n)
	kern.SiLU(q.e[:n*E], q.e2[:n*E])

	q.convIn.forward(q.h0, q.xin, nil, n, 1, false, q.col)
	s0 := q.cat0[2*ch*n0 : 3*ch*n0]
	q.r0.forward(s0, q.h0, q.e, n, q.col)
	q.down.forward(q.hd, s0, nil, n, 1, false, q.col)
	s1 := q.cat1[2*ch*n1 : 4*ch*n1]
	q.r1.forward(s1, q.hd, q.e, n, q.col)
	q.mid.forward(q.cat1[:2*ch*n1], s1, q.e, n, q.col)
	q.u1.forward(q.hu1, q.cat1[:4*ch*n1], q.e, n, q.col)
	upsample2x(q.hup, q.hu1, 2*ch*n, q.h1, q.w1)
	q.up.forward(q.cat0[:2*ch*n0], q.hup, nil, n, 1, false, q.col)
	q.u0.forward(q.hu0, q.cat0[:3*ch*n0], q.e, n, q.col)
	q.normOut.forward(q.ho, q.hu0, n)
	q.out.forward(q.fo, q.ho, nil, n, 1, false, q.col)
	FromCNHW(out, q.fo, n, q.C, q.P0)
}

func (q *unetNet) backward(g [][]float32, dout []float32, n int) {
	ch, E := q.ch, q.embW
	n0, n1 := n*q.P0, n*q.P1
	d1, d2 := q.d1, q.d2
	ToCNHW(d1, dout, n, q.C, q.P0)
	dho := d2[:ch*n0]
	clear(dho)
	q.out.backward(g, nil, dho, d1, q.ho, n, 1, q.col)
	dhu0 := d1[:ch*n0]
	q.normOut.backward(g, dhu0, dho, q.hu0, n, false)

	de := q.de[:n*E]
	clear(de)
	dcat0 := q.dcat0[:3*ch*n0]
	clear(dcat0)
	q.u0.backward(g, dcat0, de, dhu0, q.cat0[:3*ch*n0], q.e, n, q.col, q.s1, q.s2)
	dhup := d2[:2*ch*n0]
	clear(dhup)
	q.up.backward(g, nil, dhup, dcat0[:2*ch*n0], q.hup, n, 1, q.col)
	dhu1 := d1[:2*ch*n1]
	upsample2xGrad(dhu1, dhup, 2*ch*n, q.h1, q.w1)

	dcat1 := q.dcat1[:4*ch*n1]
	clear(dcat1)
	q.u1.backward(g, dcat1, de, dhu1, q.cat1[:4*ch*n1], q.e, n, q.col, q.s1, q.s2)
	s1, ds1 := q.cat1[2*ch*n1:4*ch*n1], dcat1[2*ch*n1:]
	q.mid.backward(g, ds1, de, dcat1[:2*ch*n1], s1, q.e, n, q.col, q.s1, q.s2)
	dhd := d2[:ch*n1]
	clear(dhd)
	q.r1.backward(g, dhd, de, ds1, q.hd, q.e, n, q.col, q.s1, q.s2)
	s0, ds0 := q.cat0[2*ch*n0:3*ch*n0], dcat0[2*ch*n0:]
	q.down.backward(g, nil, ds0, dhd, s0, n, 1, q.col)
	dh0 := d1[:ch*n0]
	clear(dh0)
	q.r0.backward(g, dh0, de, ds0, q.h0, q.e, n, q.col, q.s1, q.s2)
	q.convIn.backward(g, nil, nil, dh0, q.xin, n, 1, q.col)

	// e = SiLU(e2), e2 = map2(SiLU(e1)), e1 = map1(fourier(c)).
	de2 := q.de2[:n*E]
	kern.SiLUGrad(de2, q.e2[:n*E], de)
	de1s := de
	q.map2.backward(g, de1s, de2, q.e1s, n, false)
	kern.SiLUGrad(de1s, q.e1[:n*E], de1s)
	q.map1.backward(g, nil, de1s, q.fe, n, false)
}

// upsample2x writes the nearest ×2 up-sampling of planes h×w planes.
func upsample2x(dst, src []float32, planes, h, w int) {
	w2 := 2 * w
	for k := 0; k < planes; k++ {
		s := src[k*h*w : (k+1)*h*w]
		d := dst[k*4*h*w : (k+1)*4*h*w]
		for i := 0; i < h; i++ {
			row := d[2*i*w2 : (2*i+1)*w2]
			for j, v := range s[i*w : (i+1)*w] {
				row[2*j], row[2*j+1] = v, v
			}
			copy(d[(2*i+1)*w2:(2*i+2)*w2], row)
		}
	}
}

// upsample2xGrad sets dst (planes of h×w) to the 2×2 block sums of src.
func upsample2xGrad(dst, src []float32, planes, h, w int) {
	w2 := 2 * w
	for k := 0; k < planes; k++ {
		s := src[k*4*h*w : (k+1)*4*h*w]
		d := dst[k*h*w : (k+1)*h*w]
		for i := 0; i < h; i++ {
			r0, r1 := s[2*i*w2:(2*i+1)*w2], s[(2*i+1)*w2:(2*i+2)*w2]
			for j := 0; j < w; j++ {
				d[i*w+j] = r0[2*j] + r0[2*j+1] + r1[2*j] + r1[2*j+1]
			}
		}
	}
}
