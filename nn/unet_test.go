package nn

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
)

// gnRef is GroupNorm in float64 from its definition.
func gnRef(x []float64, n, c, hw, groups int, scale, bias []float32) []float64 {
	out := make([]float64, len(x))
	gs := c / groups * hw
	for i := 0; i < n*groups; i++ {
		blk := x[i*gs : (i+1)*gs]
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
			ch := ((i%groups)*gs + j) / hw
			out[i*gs+j] = float64(scale[ch])*(a-mu)/math.Sqrt(v+groupNormEps) + float64(bias[ch])
		}
	}
	return out
}

func silu64(v []float64) []float32 {
	o := make([]float32, len(v))
	for i, a := range v {
		o[i] = float32(a / (1 + math.Exp(-a)))
	}
	return o
}

// resBlockRef evaluates a ResBlock in float64 (inputs rounded to float32
// between stages, as the graph does).
func resBlockRef(r *ResBlock, x []float32, e []float64, n, cin, cout, h, w int) []float64 {
	x64 := make([]float64, len(x))
	for i, v := range x {
		x64[i] = float64(v)
	}
	a := gnRef(x64, n, cin, h*w, r.Norm1.Groups, r.Norm1.Scale.Data(), r.Norm1.Bias.Data())
	h1, _, _ := conv2dRef(silu64(a), n, cin, h, w, r.Conv1.W.Data(), cout, 3, r.Conv1.B.Data(), 1)
	embed := len(e) / n
	for in := 0; in < n; in++ {
		for o := 0; o < cout; o++ {
			s := float64(r.Emb.B.Data()[o])
			for q := 0; q < embed; q++ {
				s += e[in*embed+q] * float64(r.Emb.W.Data()[q*cout+o])
			}
			for k := 0; k < h*w; k++ {
				h1[(in*cout+o)*h*w+k] += s
			}
		}
	}
	a = gnRef(h1, n, cout, h*w, r.Norm2.Groups, r.Norm2.Scale.Data(), r.Norm2.Bias.Data())
	h2, _, _ := conv2dRef(silu64(a), n, cout, h, w, r.Conv2.W.Data(), cout, 3, r.Conv2.B.Data(), 1)
	skip := x64
	if r.Skip != nil {
		skip, _, _ = conv2dRef(x, n, cin, h, w, r.Skip.W.Data(), cout, 1, r.Skip.B.Data(), 1)
	}
	for i := range h2 {
		h2[i] = (h2[i] + skip[i]) * math.Sqrt(0.5)
	}
	return h2
}

func TestResBlockForwardMatchesFloat64Reference(t *testing.T) {
	const n, h, w, embed = 2, 4, 4, 3
	for _, tc := range []struct{ cin, cout int }{{4, 4}, {8, 4}} {
		rng := newRand(44)
		r := NewResBlock("rb", tc.cin, tc.cout, embed, 2, rng)
		m := &layerModel{in: tc.cin * h * w, out: tc.cout * h * w, ps: r.Params(),
			fwd: func(x, c *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
				xr, err := reshape(x, n, tc.cin, h, w)
				if err != nil {
					return nil, err
				}
				// e = c·(1, 2, 3): a known embedding without extra parameters.
				cr, err := reshape(c, n, 1)
				if err != nil {
					return nil, err
				}
				e, err := G.Mul(cr, G.NewConstant(tensorOf([]float32{1, 2, 3}, 1, 3)))
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
		e := make([]float64, n*embed)
		for i := 0; i < n; i++ {
			for q := 0; q < embed; q++ {
				e[i*embed+q] = float64(c[i]) * float64(q+1)
			}
		}
		want := resBlockRef(r, x, e, n, tc.cin, tc.cout, h, w)
		closeTo(t, "resblock", predict(t, m, n, x, c), want, 1e-4)
		// The training graph computes the same function (its out equals F).
		tr, err := NewTrainer(m, n, AdamConfig{})
		if err != nil {
			t.Fatal(err)
		}
		_, out, err := tr.Step(x, c, make([]float32, n*m.out), ones(n))
		if err != nil {
			t.Fatal(err)
		}
		closeTo(t, "resblock (training graph)", out, want, 1e-4)
		tr.Close()
	}
}

func tinyUNet(t *testing.T, seed uint64) *UNet {
	t.Helper()
	u, err := NewUNet(UNetConfig{C: 1, H: 4, W: 4, Channels: 4, Groups: 2, Embed: 6, Fourier: 2, FourierScale: 1}, newRand(seed))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUNetInit(t *testing.T) {
	a, b, c := tinyUNet(t, 1), tinyUNet(t, 1), tinyUNet(t, 2)
	if a.In() != 16 || a.Out() != 16 {
		t.Fatalf("In/Out %d/%d", a.In(), a.Out())
	}
	pa, pb, pc := GetParams(a), GetParams(b), GetParams(c)
	if !equalLists(pa, pb) {
		t.Fatal("same seed gave different U-Net weights")
	}
	if equalLists(pa, pc) {
		t.Fatal("different seeds gave identical U-Net weights")
	}
	names := map[string]bool{}
	for _, p := range a.Params() {
		if names[p.Name] {
			t.Fatalf("duplicate parameter name %s", p.Name)
		}
		names[p.Name] = true
	}
	// Zero output layer: F ≡ 0 at initialisation.
	const n = 3
	rng := newRand(3)
	out := predict(t, a, n, randSlice(n*16, 1, rng), randSlice(n, 1, rng))
	for i, v := range out {
		if v != 0 {
			t.Fatalf("initial out[%d] = %v", i, v)
		}
	}
	// Clone: own storage, same values.
	cl := a.Clone()
	if !equalLists(GetParams(cl), pa) {
		t.Fatal("clone differs")
	}
	cl.Params()[3].Data()[0] += 1
	if GetParams(a)[3][0] != pa[3][0] {
		t.Fatal("clone shares storage")
	}
	if _, err := NewUNet(UNetConfig{C: 1, H: 5, W: 4}, newRand(1)); err == nil {
		t.Fatal("odd height accepted")
	}
}

func TestUNetGradientFiniteDifferences(t *testing.T) {
	u := tinyUNet(t, 4)
	rng := newRand(5)
	randomizeParams(u, 0.4, rng)
	const n = 2
	x, c := randSlice(n*16, 1, rng), randSlice(n, 1, rng)
	target := randSlice(n*16, 1, rng)
	gradCheck(t, u, n, x, c, target, []float32{0.7, 1.3}, 1e-2, 4, rng)
	// The training graph's F (read before the update) equals the forward graph's.
	want := predict(t, u, n, x, c)
	tr, err := NewTrainer(u, n, AdamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	_, out, err := tr.Step(x, c, target, ones(n))
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(float64(out[i]-want[i])) > 1e-6*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("training-graph out[%d] = %v, forward graph %v", i, out[i], want[i])
		}
	}
}

func TestUNetTrainerReducesLoss(t *testing.T) {
	u, err := NewUNet(UNetConfig{C: 1, H: 8, W: 8, Channels: 8, Groups: 2, Fourier: 4, FourierScale: 1}, newRand(6))
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	rng := newRand(7)
	// Learn a fixed nonlinear image map that depends on c:
	// target = tanh(x)·c + shift of x by one pixel.
	x, c := randSlice(n*64, 1, rng), randSlice(n, 1, rng)
	target := make([]float32, len(x))
	for i := 0; i < n; i++ {
		for p := 0; p < 64; p++ {
			q := i*64 + (p+1)%64
			target[i*64+p] = float32(math.Tanh(float64(x[i*64+p])))*c[i] + x[q]
		}
	}
	tr, err := NewTrainer(u, n, AdamConfig{LR: 2e-3, WarmupSteps: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var first, last float64
	for s := 0; s < 80; s++ {
		l, _, err := tr.Step(x, c, target, ones(n))
		if err != nil {
			t.Fatal(err)
		}
		if s == 0 {
			first = l
		}
		last = l
	}
	t.Logf("U-Net loss %.4g → %.4g", first, last)
	if !(last < first/10) {
		t.Fatalf("U-Net loss %.4g → %.4g: reduced less than 10×", first, last)
	}
}
