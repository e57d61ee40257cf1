package nn

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestFusedOpsAgreeWithComposed checks each fused op against the same map
// composed from gorgonia primitives: equal losses and equal gradients for
// every parameter of a small network conv → op → conv around it.
func TestFusedOpsAgreeWithComposed(t *testing.T) {
	const n, ch, h, w, groups = 3, 4, 4, 6, 2
	type pair struct {
		name           string
		fused, compose func(y, e *G.Node, nm *Norm, p func(*Param) *G.Node) (*G.Node, error)
		up             int
	}
	pairs := []pair{
		{"silu", func(y, _ *G.Node, _ *Norm, _ func(*Param) *G.Node) (*G.Node, error) { return SiLU(y) },
			func(y, _ *G.Node, _ *Norm, _ func(*Param) *G.Node) (*G.Node, error) { return composedSiLU(y) }, 1},
		{"groupnorm", func(y, _ *G.Node, nm *Norm, p func(*Param) *G.Node) (*G.Node, error) {
			return GroupNorm(y, p(nm.Scale), p(nm.Bias), groups, groupNormEps)
		}, func(y, _ *G.Node, nm *Norm, p func(*Param) *G.Node) (*G.Node, error) {
			return groupNormComposed(y, p(nm.Scale), p(nm.Bias), groups, groupNormEps)
		}, 1},
		{"upsample", func(y, _ *G.Node, _ *Norm, _ func(*Param) *G.Node) (*G.Node, error) { return Upsample2x(y) },
			func(y, _ *G.Node, _ *Norm, _ func(*Param) *G.Node) (*G.Node, error) { return G.Upsample2D(y, 2) }, 2},
		{"addchannel", func(y, e *G.Node, _ *Norm, _ func(*Param) *G.Node) (*G.Node, error) { return AddChannel(y, e) },
			func(y, e *G.Node, _ *Norm, _ func(*Param) *G.Node) (*G.Node, error) { return addChannelComposed(y, e) }, 1},
	}
	for _, pr := range pairs {
		rng := newRand(46)
		c1 := NewConv("c1", 2, ch, 3, 1, 1, rng)
		nm := NewNorm("gn", ch, groups)
		emb := NewDense("emb", 1, ch, 1, rng)
		c2 := NewConv("c2", ch, 2, 3, 1, 1, rng)
		ps := append(append(append(c1.Params(), nm.Params()...), emb.Params()...), c2.Params()...)
		for _, p := range ps {
			copy(p.Data(), randSlice(p.Len(), 0.6, rng))
		}
		ho, wo := pr.up*h, pr.up*w
		mk := func(f func(y, e *G.Node, nm *Norm, p func(*Param) *G.Node) (*G.Node, error)) *layerModel {
			return &layerModel{in: 2 * h * w, out: 2 * ho * wo, ps: ps,
				fwd: func(x, c *G.Node, p func(*Param) *G.Node) (*G.Node, error) {
					xr, err := reshape(x, n, 2, h, w)
					if err != nil {
						return nil, err
					}
					cr, err := reshape(c, n, 1)
					if err != nil {
						return nil, err
					}
					e, err := emb.Apply(cr, p)
					if err != nil {
						return nil, err
					}
					y, err := c1.Apply(xr, p)
					if err != nil {
						return nil, err
					}
					if y, err = f(y, e, nm, p); err != nil {
						return nil, err
					}
					// keep every parameter in the graph whatever the op uses
					if y, err = GroupNorm(y, p(nm.Scale), p(nm.Bias), groups, groupNormEps); err != nil {
						return nil, err
					}
					if y, err = AddChannel(y, e); err != nil {
						return nil, err
					}
					if y, err = c2.Apply(y, p); err != nil {
						return nil, err
					}
					return reshape(y, n, 2*ho*wo)
				}}
		}
		x, c, target := randSlice(n*2*h*w, 1, rng), randSlice(n, 1, rng), randSlice(n*2*ho*wo, 1, rng)
		var losses [2]float64
		var grads [2][][]float32
		for i, f := range []func(y, e *G.Node, nm *Norm, p func(*Param) *G.Node) (*G.Node, error){pr.fused, pr.compose} {
			tr, err := NewTrainer(mk(f), n, AdamConfig{})
			if err != nil {
				t.Fatalf("%s: %v", pr.name, err)
			}
			if losses[i], grads[i], err = tr.Gradients(x, c, target, ones(n)); err != nil {
				t.Fatalf("%s: %v", pr.name, err)
			}
			tr.Close()
		}
		if math.Abs(losses[0]-losses[1]) > 1e-5*losses[1] {
			t.Fatalf("%s: loss %v, composed %v", pr.name, losses[0], losses[1])
		}
		for pi := range grads[0] {
			var scale float64
			for _, v := range grads[1][pi] {
				scale = math.Max(scale, math.Abs(float64(v)))
			}
			for j := range grads[0][pi] {
				a, b := float64(grads[0][pi][j]), float64(grads[1][pi][j])
				if math.Abs(a-b) > 1e-4*(scale+math.Abs(b)) {
					t.Fatalf("%s: %s[%d] gradient %v, composed %v", pr.name, ps[pi].Name, j, a, b)
				}
			}
		}
	}
}
