package gan

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// leakyPair builds L = Σ w ⊙ leaky(x, gain) twice on the same x, once
// with the fused leakyOp and once the way the generator and discriminator
// did before it (gorgonia's LeakyRelu, then a scalar product unless gain
// is 1), and returns both values of leaky(x) and of ∂L/∂x.
func leakyPair(t *testing.T, dt tensor.Dtype, x, w []float64, gain float64) (fused, old [2][]float64) {
	t.Helper()
	for i := range 2 {
		g := G.NewGraph()
		b := &gb{g: g, dt: dt}
		xv := b.input("x", len(x))
		wv := b.input("w", len(w))
		setInput(xv, x)
		setInput(wv, w)
		var y *G.Node
		if i == 0 {
			y = b.leaky(xv, gain)
		} else {
			y = b.do(G.LeakyRelu(xv, 0.2))
			if gain != 1 {
				y = b.scale(y, gain)
			}
		}
		loss := b.dot(y, wv)
		if b.err != nil {
			t.Fatal(b.err)
		}
		var yv G.Value
		G.Read(y, &yv)
		if _, err := G.Grad(loss, xv); err != nil {
			t.Fatal(err)
		}
		m := G.NewTapeMachine(g)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		gx, err := xv.Grad()
		if err != nil {
			t.Fatal(err)
		}
		out := [2][]float64{asF64(yv.Data()), asF64(gx.Data())}
		m.Close()
		if i == 0 {
			fused = out
		} else {
			old = out
		}
	}
	return fused, old
}

func asF64(d any) []float64 {
	switch v := d.(type) {
	case []float64:
		return append([]float64(nil), v...)
	case []float32:
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	panic("asF64: not a float slice")
}

// The fused leaky ReLU computes gain·φ(x) and its gradient to the bit as
// gorgonia's LeakyRelu followed by a scalar product did (so stored
// generators train on identically), in float32 and float64, at gains 1
// and √2, on inputs with exact zeros and both signs.
func TestLeakyOpMatchesGorgonia(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 257
	x, w := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i], w[i] = rng.NormFloat64()*3, rng.NormFloat64()
		if i%17 == 0 {
			x[i] = 0
		}
	}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, gain := range []float64{1, math.Sqrt2} {
			fused, old := leakyPair(t, dt, x, w, gain)
			for k, what := range []string{"value", "gradient"} {
				for i := range fused[k] {
					if math.Float64bits(fused[k][i]) != math.Float64bits(old[k][i]) && fused[k][i] != old[k][i] {
						t.Fatalf("%v gain %g: %s[%d] at x = %g: fused %.9g, gorgonia %.9g", dt, gain, what, i, x[i], fused[k][i], old[k][i])
					}
				}
			}
			// And the values are the definition: gain·x or gain·0.2·x.
			for i, v := range x {
				want := gain * v
				if v < 0 {
					want *= 0.2
				}
				if math.Abs(fused[0][i]-want) > 1e-6*math.Abs(want)+1e-12 {
					t.Fatalf("%v gain %g: leaky(%g) = %g, want %g", dt, gain, v, fused[0][i], want)
				}
			}
		}
	}
}

// A two-input leaky op given inputs of different lengths or dtypes fails
// with a short error that names both, not with the inputs' values.
func TestLeakyOpInputMismatch(t *testing.T) {
	op := leakyOp{kind: leakyGrad, slope: 0.2, gain: 1, shape: tensor.Shape{4}}
	a := tensor.New(tensor.WithShape(4), tensor.WithBacking([]float32{1, 2, 3, 4}))
	for _, b := range []*tensor.Dense{
		tensor.New(tensor.WithShape(3), tensor.WithBacking([]float32{1, 2, 3})),
		tensor.New(tensor.WithShape(4), tensor.WithBacking([]float64{1, 2, 3, 4})),
	} {
		_, err := op.Do(a, b)
		if err == nil || !strings.Contains(err.Error(), "[]float32 of length 4") || len(err.Error()) > 120 {
			t.Errorf("inputs %v, %v: error %v", a.Shape(), b.Dtype(), err)
		}
	}
}
