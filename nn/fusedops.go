package nn

import (
	"fmt"
	"hash"
	"math"
	"runtime"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"genlab/nn/kern"
)

// Fused float32 ops for gorgonia. Composed from gorgonia primitives, SiLU,
// GroupNorm, the per-channel embedding add and nearest up-sampling cost
// several elementwise passes, broadcast materialisations (tensor Repeat) and
// allocations each; here each is one pass forward and one or two backward.
// Every op is checked against central differences and float64 references in
// the tests.

// pureOp holds what every op of nn's own shares: it allocates its result,
// calls nothing external and overwrites none of its inputs.
type pureOp struct{}

func (pureOp) ReturnsPtr() bool     { return false }
func (pureOp) CallsExtern() bool    { return false }
func (pureOp) OverwritesInput() int { return -1 }

// opBase holds the boilerplate shared by the fused ops.
type opBase struct {
	pureOp
	name  string
	arity int
	in    []int        // dims of each input
	out   tensor.Shape // output shape
}

func (o opBase) Arity() int { return o.arity }
func (o opBase) Type() hm.Type {
	ts := make([]hm.Type, 0, len(o.in)+1)
	for _, d := range o.in {
		ts = append(ts, G.TensorType{Dims: d, Of: hm.TypeVariable('a')})
	}
	ts = append(ts, G.TensorType{Dims: o.out.Dims(), Of: hm.TypeVariable('a')})
	return hm.NewFnType(ts...)
}
func (o opBase) InferShape(...G.DimSizer) (tensor.Shape, error) { return o.out.Clone(), nil }
func (o opBase) WriteHash(h hash.Hash)                          { fmt.Fprintf(h, "genlab.%s%v", o.name, o.out) }
func (o opBase) Hashcode() uint32                               { return opHash(o.String()) }
func (o opBase) String() string                                 { return fmt.Sprintf("%s%v", o.name, o.out) }

// noDiff marks gradient ops (of the fused ops and the convolution), which
// are never differentiated again.
type noDiff struct{}

func (noDiff) DiffWRT(n int) []bool { return make([]bool, n) }
func (noDiff) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("nn: second derivatives of nn's own ops (fused ops, convolution) are not implemented")
}

func inputs32(in []G.Value, name string) ([][]float32, error) {
	out := make([][]float32, len(in))
	for i, v := range in {
		d, err := f32data(v, fmt.Sprintf("%s input %d", name, i))
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// parallelRange runs f over [0,n) in contiguous chunks on up to GOMAXPROCS
// goroutines when n is large enough to pay for them.
func parallelRange(n int, f func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/16384)
	if workers <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// ---- SiLU: y = x·σ(x);  ∂x = ∂y·σ(x)·(1 + x·(1 − σ(x))) ----

type siluOp struct{ opBase }

func newSiLUOp(s tensor.Shape) siluOp {
	return siluOp{opBase{name: "SiLU", arity: 1, in: []int{s.Dims()}, out: s.Clone()}}
}

func (op siluOp) Do(in ...G.Value) (G.Value, error) {
	d, err := inputs32(in, "silu")
	if err != nil {
		return nil, err
	}
	x := d[0]
	out := newF32(op.out...)
	y := out.Data().([]float32)
	parallelRange(len(x), func(lo, hi int) { kern.SiLU(y[lo:hi], x[lo:hi]) })
	return out, nil
}

func (op siluOp) DiffWRT(int) []bool { return []bool{true} }
func (op siluOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	g := siluGradOp{opBase: opBase{name: "SiLUGrad", arity: 2, in: []int{op.out.Dims(), op.out.Dims()}, out: op.out}}
	dx, err := G.ApplyOp(g, in[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

type siluGradOp struct {
	opBase
	noDiff
}

func (op siluGradOp) Do(in ...G.Value) (G.Value, error) {
	d, err := inputs32(in, "silu grad")
	if err != nil {
		return nil, err
	}
	x, dy := d[0], d[1]
	out := newF32(op.out...)
	dx := out.Data().([]float32)
	parallelRange(len(x), func(lo, hi int) { kern.SiLUGrad(dx[lo:hi], x[lo:hi], dy[lo:hi]) })
	return out, nil
}

// ---- GroupNorm ----

// gnGeom is the geometry of a GroupNorm: N×C×H×W in groups of C/groups
// channels; m = (C/groups)·H·W values per (sample, group).
type gnGeom struct{ n, c, hw, groups int }

func (g gnGeom) m() int { return g.c / g.groups * g.hw }

// stats returns the mean μ and 1/√(σ²+ε) of each (sample, group), in float64
// with two passes.
func (g gnGeom) stats(x []float32, eps float64) (mu, rstd []float64) {
	k := g.n * g.groups
	mu, rstd = make([]float64, k), make([]float64, k)
	m := g.m()
	for i := 0; i < k; i++ {
		blk := x[i*m : (i+1)*m]
		var s float64
		for _, v := range blk {
			s += float64(v)
		}
		mean := s / float64(m)
		var q float64
		for _, v := range blk {
			d := float64(v) - mean
			q += d * d
		}
		mu[i], rstd[i] = mean, 1/math.Sqrt(q/float64(m)+eps)
	}
	return mu, rstd
}

type groupNormOp struct {
	opBase
	g   gnGeom
	eps float64
}

func (op groupNormOp) Do(in ...G.Value) (G.Value, error) {
	d, err := inputs32(in, "groupnorm")
	if err != nil {
		return nil, err
	}
	x, gamma, beta := d[0], d[1], d[2]
	g := op.g
	mu, rstd := g.stats(x, op.eps)
	out := newF32(op.out...)
	y := out.Data().([]float32)
	per := g.c / g.groups
	for n := 0; n < g.n; n++ {
		for c := 0; c < g.c; c++ {
			k := n*g.groups + c/per
			a := float64(gamma[c]) * rstd[k]
			b := float64(beta[c]) - a*mu[k]
			off := (n*g.c + c) * g.hw
			for i, v := range x[off : off+g.hw] {
				y[off+i] = float32(a*float64(v) + b)
			}
		}
	}
	return out, nil
}

func (op groupNormOp) DiffWRT(int) []bool { return []bool{true, true, true} }
func (op groupNormOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	x, gamma := in[0], in[1]
	base := op.opBase
	dxOp := gnGradXOp{opBase: opBase{name: "GroupNormGradX", arity: 3, in: []int{4, 4, 4}, out: base.out}, g: op.g, eps: op.eps}
	dx, err := G.ApplyOp(dxOp, x, gamma, grad)
	if err != nil {
		return nil, err
	}
	cs := tensor.Shape{1, op.g.c, 1, 1}
	dgOp := gnGradGammaOp{opBase: opBase{name: "GroupNormGradGamma", arity: 2, in: []int{4, 4}, out: cs}, g: op.g, eps: op.eps}
	dg, err := G.ApplyOp(dgOp, x, grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(channelSumOp{g: convGeom{n: op.g.n, convShape: convShape{cout: op.g.c, ho: op.g.hw, wo: 1}}}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dg, db}, nil
}

// gnGradXOp: with ĝ = ∂y·γ and x̂ = (x−μ)·r, per (sample, group)
//
//	∂x = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)).
type gnGradXOp struct {
	opBase
	noDiff
	g   gnGeom
	eps float64
}

func (op gnGradXOp) Do(in ...G.Value) (G.Value, error) {
	d, err := inputs32(in, "groupnorm grad x")
	if err != nil {
		return nil, err
	}
	x, gamma, dy := d[0], d[1], d[2]
	g := op.g
	mu, rstd := g.stats(x, op.eps)
	out := newF32(op.out...)
	dx := out.Data().([]float32)
	m, per := g.m(), g.c/g.groups
	for k := 0; k < g.n*g.groups; k++ {
		var sg, sgx float64
		for j := 0; j < m; j++ {
			i := k*m + j
			c := (k%g.groups)*per + j/g.hw
			gh := float64(dy[i]) * float64(gamma[c])
			sg += gh
			sgx += gh * (float64(x[i]) - mu[k]) * rstd[k]
		}
		mg, mgx := sg/float64(m), sgx/float64(m)
		for j := 0; j < m; j++ {
			i := k*m + j
			c := (k%g.groups)*per + j/g.hw
			gh := float64(dy[i]) * float64(gamma[c])
			xh := (float64(x[i]) - mu[k]) * rstd[k]
			dx[i] = float32(rstd[k] * (gh - mg - xh*mgx))
		}
	}
	return out, nil
}

// gnGradGammaOp: ∂γ_c = Σ_{n, pixels of c} ∂y·x̂.
type gnGradGammaOp struct {
	opBase
	noDiff
	g   gnGeom
	eps float64
}

func (op gnGradGammaOp) Do(in ...G.Value) (G.Value, error) {
	d, err := inputs32(in, "groupnorm grad gamma")
	if err != nil {
		return nil, err
	}
	x, dy := d[0], d[1]
	g := op.g
	mu, rstd := g.stats(x, op.eps)
	out := newF32(op.out...)
	dg := out.Data().([]float32)
	per := g.c / g.groups
	acc := make([]float64, g.c)
	for n := 0; n < g.n; n++ {
		for c := 0; c < g.c; c++ {
			k := n*g.groups + c/per
			off := (n*g.c + c) * g.hw
			var s float64
			for i := off; i < off+g.hw; i++ {
				s += float64(dy[i]) * (float64(x[i]) - mu[k])
			}
			acc[c] += s * rstd[k]
		}
	}
	for c, v := range acc {
		dg[c] = float32(v)
	}
	return out, nil
}

// ---- AddChannel: y[n,c,·] = x[n,c,·] + e[n,c];  ∂x = ∂y, ∂e = Σ_pixels ∂y ----

type addChannelOp struct {
	opBase
	n, c, hw int
}

func (op addChannelOp) Do(in ...G.Value) (G.Value, error) {
	d, err := inputs32(in, "add channel")
	if err != nil {
		return nil, err
	}
	x, e := d[0], d[1]
	out := newF32(op.out...)
	y := out.Data().([]float32)
	for k := 0; k < op.n*op.c; k++ {
		ek := e[k]
		for i, v := range x[k*op.hw : (k+1)*op.hw] {
			y[k*op.hw+i] = v + ek
		}
	}
	return out, nil
}

func (op addChannelOp) DiffWRT(int) []bool { return []bool{true, true} }
func (op addChannelOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	ps := planeSumOp{opBase: opBase{name: "PlaneSum", arity: 1, in: []int{4}, out: tensor.Shape{op.n, op.c}}, n: op.n, c: op.c, hw: op.hw}
	de, err := G.ApplyOp(ps, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{grad, de}, nil
}

// planeSumOp sums each N×C plane of a N×C×H×W tensor into N×C.
type planeSumOp struct {
	opBase
	noDiff
	n, c, hw int
}

func (op planeSumOp) Do(in ...G.Value) (G.Value, error) {
	d, err := inputs32(in, "plane sum")
	if err != nil {
		return nil, err
	}
	out := newF32(op.out...)
	s := out.Data().([]float32)
	for k := range s {
		var a float32
		for _, v := range d[0][k*op.hw : (k+1)*op.hw] {
			a += v
		}
		s[k] = a
	}
	return out, nil
}

// ---- nearest ×2 up-sampling and its adjoint (2×2 block sums) ----

type upsampleOp struct {
	opBase
	nc, h, w int
}

func (op upsampleOp) Do(in ...G.Value) (G.Value, error) {
	d, err := inputs32(in, "upsample")
	if err != nil {
		return nil, err
	}
	out := newF32(op.out...)
	upsample2x(out.Data().([]float32), d[0], op.nc, op.h, op.w)
	return out, nil
}

func (op upsampleOp) DiffWRT(int) []bool { return []bool{true} }
func (op upsampleOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	g := upsampleGradOp{opBase: opBase{name: "Upsample2xGrad", arity: 1, in: []int{4}, out: in[0].Shape().Clone()}, nc: op.nc, h: op.h, w: op.w}
	dx, err := G.ApplyOp(g, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

type upsampleGradOp struct {
	opBase
	noDiff
	nc, h, w int
}

func (op upsampleGradOp) Do(in ...G.Value) (G.Value, error) {
	d, err := inputs32(in, "upsample grad")
	if err != nil {
		return nil, err
	}
	out := newF32(op.out...)
	upsample2xGrad(out.Data().([]float32), d[0], op.nc, op.h, op.w)
	return out, nil
}
