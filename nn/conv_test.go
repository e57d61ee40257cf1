package nn

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// layerModel wraps a layer (or a few) as a Model so that the Trainer and
// Predictor machinery can run finite-difference checks on it.
type layerModel struct {
	in, out int
	ps      []*Param
	fwd     func(x, c *G.Node, p func(*Param) *G.Node) (*G.Node, error)
}

func (l *layerModel) In() int          { return l.in }
func (l *layerModel) Out() int         { return l.out }
func (l *layerModel) Params() []*Param { return l.ps }
func (l *layerModel) Clone() Model     { panic("not used") }
func (l *layerModel) Forward(g *G.ExprGraph, x, c *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
	return l.fwd(x, c, p)
}

func reshape(n *G.Node, s ...int) (*G.Node, error) { return G.Reshape(n, tensor.Shape(s)) }

// conv2dRef is the direct float64 definition of Conv2d (padding (k−1)/2).
func conv2dRef(x []float32, n, cin, h, w int, wt []float32, cout, k int, b []float32, stride int) ([]float64, int, int) {
	p := (k - 1) / 2
	ho, wo := (h+2*p-k)/stride+1, (w+2*p-k)/stride+1
	out := make([]float64, n*cout*ho*wo)
	for in := 0; in < n; in++ {
		for o := 0; o < cout; o++ {
			for i := 0; i < ho; i++ {
				for j := 0; j < wo; j++ {
					s := float64(b[o])
					for c := 0; c < cin; c++ {
						for u := 0; u < k; u++ {
							for v := 0; v < k; v++ {
								yy, xx := stride*i+u-p, stride*j+v-p
								if yy < 0 || yy >= h || xx < 0 || xx >= w {
									continue
								}
								s += float64(wt[((o*cin+c)*k+u)*k+v]) * float64(x[((in*cin+c)*h+yy)*w+xx])
							}
						}
					}
					out[((in*cout+o)*ho+i)*wo+j] = s
				}
			}
		}
	}
	return out, ho, wo
}

func predict(t *testing.T, m Model, batch int, x, c []float32) []float32 {
	t.Helper()
	p, err := NewPredictor(m, batch)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out := make([]float32, batch*m.Out())
	if err := p.Predict(out, x, c); err != nil {
		t.Fatal(err)
	}
	return out
}

func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, reference %v", what, i, got[i], want[i])
		}
	}
}

func TestConv2dForwardAndGradient(t *testing.T) {
	const n, cin, h, w, cout = 3, 2, 6, 6, 3
	for _, tc := range []struct{ k, stride int }{{3, 1}, {3, 2}, {1, 1}} {
		rng := newRand(40)
		conv := NewConv("c", cin, cout, tc.k, tc.stride, 1, rng)
		copy(conv.B.Data(), randSlice(cout, 1, rng))
		_, ho, wo := conv2dRef(make([]float32, n*cin*h*w), n, cin, h, w, conv.W.Data(), cout, tc.k, conv.B.Data(), tc.stride)
		m := &layerModel{in: cin * h * w, out: cout * ho * wo, ps: conv.Params(),
			fwd: func(x, _ *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
				xr, err := reshape(x, n, cin, h, w)
				if err != nil {
					return nil, err
				}
				y, err := conv.Apply(xr, p)
				if err != nil {
					return nil, err
				}
				return reshape(y, n, cout*ho*wo)
			}}
		x, c := randSlice(n*cin*h*w, 1, rng), make([]float32, n)
		want, _, _ := conv2dRef(x, n, cin, h, w, conv.W.Data(), cout, tc.k, conv.B.Data(), tc.stride)
		closeTo(t, "conv", predict(t, m, n, x, c), want, 1e-5)
		if tc.k == 3 && ho != h/tc.stride {
			t.Fatalf("stride %d: output %d×%d from %d×%d", tc.stride, ho, wo, h, w)
		}
		gradCheck(t, m, n, x, c, randSlice(n*cout*ho*wo, 1, rng), ones(n), 1e-2, 40, rng)
	}
}

func ones(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

func TestGroupNormForwardAndGradient(t *testing.T) {
	const n, ch, h, w, groups = 3, 6, 3, 4, 3
	rng := newRand(41)
	// conv → GroupNorm, so the check covers the gradient through GroupNorm
	// into the convolution weights as well as γ and β.
	conv := NewConv("c", 2, ch, 3, 1, 1, rng)
	norm := NewNorm("gn", ch, groups)
	m := &layerModel{in: 2 * h * w, out: ch * h * w, ps: append(conv.Params(), norm.Params()...),
		fwd: func(x, _ *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
			xr, err := reshape(x, n, 2, h, w)
			if err != nil {
				return nil, err
			}
			y, err := conv.Apply(xr, p)
			if err != nil {
				return nil, err
			}
			if y, err = norm.Apply(y, p); err != nil {
				return nil, err
			}
			return reshape(y, n, ch*h*w)
		}}
	randomizeParams(m, 0.7, rng)
	x, c := randSlice(n*2*h*w, 1, rng), make([]float32, n)
	// float64 reference: conv, then per-group standardisation and affine map.
	y, _, _ := conv2dRef(x, n, 2, h, w, conv.W.Data(), ch, 3, conv.B.Data(), 1)
	gs := ch / groups * h * w
	want := make([]float64, len(y))
	for i := 0; i < n*groups; i++ {
		blk := y[i*gs : (i+1)*gs]
		var mu, v float64
		for _, a := range blk {
			mu += a
		}
		mu /= float64(gs)
		for _, a := range blk {
			v += (a - mu) * (a - mu)
		}
		v /= float64(gs)
		for j, a := range blk {
			chn := ((i%groups)*gs + j) / (h * w)
			want[i*gs+j] = float64(norm.Scale.Data()[chn])*(a-mu)/math.Sqrt(v+groupNormEps) + float64(norm.Bias.Data()[chn])
		}
	}
	closeTo(t, "groupnorm", predict(t, m, n, x, c), want, 1e-4)
	gradCheck(t, m, n, x, c, randSlice(n*ch*h*w, 1, rng), ones(n), 1e-2, 30, rng)
}

func TestUpsampleAddChannelSiLUGradient(t *testing.T) {
	const n, ch, h, w, fourier = 2, 3, 3, 2, 3
	rng := newRand(42)
	conv1 := NewConv("c1", 1, ch, 3, 1, 1, rng)
	emb := NewDense("emb", 2*fourier, ch, 1, rng)
	conv2 := NewConv("c2", ch, 2, 3, 1, 1, rng)
	freqs := NewParam("freqs", 1, fourier)
	freqs.Frozen = true
	copy(freqs.Data(), randSlice(fourier, 1, rng))
	ps := append(append(append([]*Param{freqs}, conv1.Params()...), emb.Params()...), conv2.Params()...)
	m := &layerModel{in: h * w, out: 2 * 4 * h * w, ps: ps,
		fwd: func(x, c *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
			xr, err := reshape(x, n, 1, h, w)
			if err != nil {
				return nil, err
			}
			y, err := conv1.Apply(xr, p)
			if err != nil {
				return nil, err
			}
			e, err := FourierFeatures(c, p(freqs))
			if err != nil {
				return nil, err
			}
			if e, err = emb.Apply(e, p); err != nil {
				return nil, err
			}
			if y, err = AddChannel(y, e); err != nil {
				return nil, err
			}
			if y, err = SiLU(y); err != nil {
				return nil, err
			}
			if y, err = Upsample2x(y); err != nil {
				return nil, err
			}
			if y, err = conv2.Apply(y, p); err != nil {
				return nil, err
			}
			return reshape(y, n, 2*4*h*w)
		}}
	randomizeParams(m, 0.7, rng)
	x, c := randSlice(n*h*w, 1, rng), randSlice(n, 1, rng)
	// float64 reference of the same composition.
	y, _, _ := conv2dRef(x, n, 1, h, w, conv1.W.Data(), ch, 3, conv1.B.Data(), 1)
	up := make([]float32, n*ch*4*h*w)
	for in := 0; in < n; in++ {
		var feat []float64
		for _, f := range freqs.Data() {
			feat = append(feat, math.Cos(2*math.Pi*float64(f)*float64(c[in])))
		}
		for _, f := range freqs.Data() {
			feat = append(feat, math.Sin(2*math.Pi*float64(f)*float64(c[in])))
		}
		for o := 0; o < ch; o++ {
			a := float64(emb.B.Data()[o])
			for q, fv := range feat {
				a += fv * float64(emb.W.Data()[q*ch+o])
			}
			for i := 0; i < 2*h; i++ {
				for j := 0; j < 2*w; j++ {
					v := y[((in*ch+o)*h+i/2)*w+j/2] + a
					up[((in*ch+o)*2*h+i)*2*w+j] = float32(v / (1 + math.Exp(-v)))
				}
			}
		}
	}
	want, _, _ := conv2dRef(up, n, ch, 2*h, 2*w, conv2.W.Data(), 2, 3, conv2.B.Data(), 1)
	closeTo(t, "composite", predict(t, m, n, x, c), want, 1e-4)
	gradCheck(t, m, n, x, c, randSlice(n*2*4*h*w, 1, rng), ones(n), 1e-2, 30, rng)
}

func TestResBlockGradient(t *testing.T) {
	const n, h, w, embed = 2, 4, 4, 5
	for _, tc := range []struct{ cin, cout int }{{4, 4}, {4, 8}} {
		rng := newRand(43)
		r := NewResBlock("rb", tc.cin, tc.cout, embed, 2, rng)
		e0 := NewDense("e0", 1, embed, 1, rng)
		m := &layerModel{in: tc.cin * h * w, out: tc.cout * h * w, ps: append(e0.Params(), r.Params()...),
			fwd: func(x, c *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
				xr, err := reshape(x, n, tc.cin, h, w)
				if err != nil {
					return nil, err
				}
				cr, err := reshape(c, n, 1)
				if err != nil {
					return nil, err
				}
				e, err := e0.Apply(cr, p)
				if err != nil {
					return nil, err
				}
				y, err := r.Apply(xr, e, p)
				if err != nil {
					return nil, err
				}
				return reshape(y, n, tc.cout*h*w)
			}}
		randomizeParams(m, 0.5, rng)
		x, c := randSlice(n*tc.cin*h*w, 1, rng), randSlice(n, 1, rng)
		gradCheck(t, m, n, x, c, randSlice(n*tc.cout*h*w, 1, rng), ones(n), 1e-2, 12, rng)
	}
}

func TestConv2dAgreesWithGorgoniaConv2d(t *testing.T) {
	const n, cin, h, w, cout = 5, 3, 7, 6, 4
	for _, stride := range []int{1, 2} {
		rng := newRand(45)
		conv := NewConv("c", cin, cout, 3, stride, 1, rng)
		copy(conv.B.Data(), randSlice(cout, 1, rng))
		ho, wo := (h-1)/stride+1, (w-1)/stride+1
		mk := func(f func(x, w, b *G.Node, stride int) (*G.Node, error)) *layerModel {
			return &layerModel{in: cin * h * w, out: cout * ho * wo, ps: conv.Params(),
				fwd: func(x, _ *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
					xr, err := reshape(x, n, cin, h, w)
					if err != nil {
						return nil, err
					}
					y, err := f(xr, p(conv.W), p(conv.B), stride)
					if err != nil {
						return nil, err
					}
					// a second layer so that ∂x of the first is exercised too
					if y, err = SiLU(y); err != nil {
						return nil, err
					}
					return reshape(y, n, cout*ho*wo)
				}}
		}
		x, c, target := randSlice(n*cin*h*w, 1, rng), make([]float32, n), randSlice(n*cout*ho*wo, 1, rng)
		var grads [2][][]float32
		var losses [2]float64
		for i, f := range []func(x, w, b *G.Node, stride int) (*G.Node, error){Conv2d, GorgoniaConv2d} {
			tr, err := NewTrainer(mk(f), n, AdamConfig{})
			if err != nil {
				t.Fatal(err)
			}
			losses[i], grads[i], err = tr.Gradients(x, c, target, ones(n))
			if err != nil {
				t.Fatal(err)
			}
			tr.Close()
		}
		if math.Abs(losses[0]-losses[1]) > 1e-5*losses[1] {
			t.Fatalf("stride %d: loss %v vs gorgonia %v", stride, losses[0], losses[1])
		}
		for pi := range grads[0] {
			for j := range grads[0][pi] {
				a, b := float64(grads[0][pi][j]), float64(grads[1][pi][j])
				if math.Abs(a-b) > 1e-4*(1+math.Abs(b)) {
					t.Fatalf("stride %d: grad %d[%d] = %v, gorgonia %v", stride, pi, j, a, b)
				}
			}
		}
	}
}
