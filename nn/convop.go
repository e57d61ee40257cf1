package nn

import (
	"fmt"
	"hash"
	"hash/fnv"
	"runtime"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"genlab/nn/kern"
)

// This file holds genlab's own float32 convolution op for gorgonia. Per image
// n it forms the im2col matrix col_n (K×P, K = Cin·k², P = Ho·Wo) and
//
//	y_n   = W·col_n + b           (Cout×P, written straight into NCHW)
//	∂W   += ∂y_n·col_nᵀ
//	∂x_n  = col2im(Wᵀ·∂y_n)
//	∂b    = Σ_{n,p} ∂y_n
//
// with W viewed as Cout×K. Compared with gorgonia.Conv2d it needs no
// transposes of the activations, reuses one column buffer per worker, and
// spreads images over GOMAXPROCS goroutines; the matrix products go through
// kern.Sgemm.

// convGeom is the geometry of one convolution of a batch of n images.
type convGeom struct {
	n int
	convShape
}

func (g convGeom) String() string {
	return fmt.Sprintf("%dx%dx%dx%d*%dx%dx%dx%d/s%d/p%d", g.n, g.cin, g.h, g.w, g.cout, g.cin, g.k, g.k, g.stride, g.pad)
}

// columns returns the K×P column matrix of image i of the batch x: the
// image itself for a direct (1×1, stride 1, unpadded) convolution, else its
// im2col into worker wk's buffer cols[wk], allocated on first use.
func (g convGeom) columns(cols [][]float32, wk int, x []float32, i int) []float32 {
	xi := x[i*g.cin*g.h*g.w : (i+1)*g.cin*g.h*g.w]
	if g.direct() {
		return xi
	}
	if cols[wk] == nil {
		cols[wk] = make([]float32, g.kk()*g.p())
	}
	g.im2col(cols[wk], xi, 1)
	return cols[wk]
}

// parallelImages runs f(worker, n) for every image n, spreading images over
// at most GOMAXPROCS workers.
func parallelImages(n int, f func(worker, img int)) int {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(0, i)
		}
		return 1
	}
	var wg sync.WaitGroup
	for wk := 0; wk < workers; wk++ {
		wg.Add(1)
		go func(wk int) {
			defer wg.Done()
			for i := wk; i < n; i += workers {
				f(wk, i)
			}
		}(wk)
	}
	wg.Wait()
	return workers
}

// f32data returns the row-major float32 data of v, materialising views so
// that the slice always has v's logical layout.
func f32data(v G.Value, what string) ([]float32, error) {
	if t, ok := v.(*tensor.Dense); ok && t.IsView() {
		v = t.Materialize().(*tensor.Dense)
	}
	d, ok := v.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("nn: conv %s: want float32 data, got %T", what, v.Data())
	}
	return d, nil
}

func newF32(shape ...int) *tensor.Dense {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, n)))
}

func opHash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

func fourD() G.TensorType { return G.TensorType{Dims: 4, Of: hm.TypeVariable('a')} }

// ---- forward: y = conv(x, W) + b ----

type convOp struct {
	pureOp
	g convGeom
}

func (op convOp) Arity() int { return 3 }
func (op convOp) Type() hm.Type {
	t := fourD()
	return hm.NewFnType(t, t, t, t)
}
func (op convOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.n, op.g.cout, op.g.ho, op.g.wo}, nil
}
func (op convOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "genlab.conv(%v)", op.g) }
func (op convOp) Hashcode() uint32      { return opHash(op.String()) }
func (op convOp) String() string        { return fmt.Sprintf("Conv(%v)", op.g) }

func (op convOp) Do(in ...G.Value) (G.Value, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("nn: conv: %d inputs", len(in))
	}
	x, err := f32data(in[0], "x")
	if err != nil {
		return nil, err
	}
	w, err := f32data(in[1], "w")
	if err != nil {
		return nil, err
	}
	b, err := f32data(in[2], "b")
	if err != nil {
		return nil, err
	}
	g := op.g
	K, P := g.kk(), g.p()
	out := newF32(g.n, g.cout, g.ho, g.wo)
	y := out.Data().([]float32)
	cols := make([][]float32, runtime.GOMAXPROCS(0))
	parallelImages(g.n, func(wk, i int) {
		col := g.columns(cols, wk, x, i)
		yi := y[i*g.cout*P : (i+1)*g.cout*P]
		for o := 0; o < g.cout; o++ {
			row := yi[o*P : (o+1)*P]
			for j := range row {
				row[j] = b[o]
			}
		}
		kern.Sgemm(false, false, g.cout, P, K, 1, w, K, col, P, 1, yi, P)
	})
	return out, nil
}

func (op convOp) DiffWRT(int) []bool { return []bool{true, true, true} }

func (op convOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	x, w := inputs[0], inputs[1]
	dx, err := G.ApplyOp(convGradXOp{g: op.g}, w, grad)
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(convGradWOp{g: op.g}, x, grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(channelSumOp{g: op.g}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// ---- ∂x = col2im(Wᵀ·∂y) ----

type convGradXOp struct {
	pureOp
	noDiff
	g convGeom
}

func (op convGradXOp) Arity() int { return 2 }
func (op convGradXOp) Type() hm.Type {
	t := fourD()
	return hm.NewFnType(t, t, t)
}
func (op convGradXOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.n, op.g.cin, op.g.h, op.g.w}, nil
}
func (op convGradXOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "genlab.convdx(%v)", op.g) }
func (op convGradXOp) Hashcode() uint32      { return opHash(op.String()) }
func (op convGradXOp) String() string        { return fmt.Sprintf("ConvGradX(%v)", op.g) }

func (op convGradXOp) Do(in ...G.Value) (G.Value, error) {
	w, err := f32data(in[0], "w")
	if err != nil {
		return nil, err
	}
	dy, err := f32data(in[1], "dy")
	if err != nil {
		return nil, err
	}
	g := op.g
	K, P := g.kk(), g.p()
	out := newF32(g.n, g.cin, g.h, g.w)
	dx := out.Data().([]float32)
	cols := make([][]float32, runtime.GOMAXPROCS(0))
	parallelImages(g.n, func(wk, i int) {
		dyi := dy[i*g.cout*P : (i+1)*g.cout*P]
		dxi := dx[i*g.cin*g.h*g.w : (i+1)*g.cin*g.h*g.w]
		if g.direct() {
			kern.Sgemm(true, false, K, P, g.cout, 1, w, K, dyi, P, 0, dxi, P)
			return
		}
		if cols[wk] == nil {
			cols[wk] = make([]float32, K*P)
		}
		col := cols[wk]
		kern.Sgemm(true, false, K, P, g.cout, 1, w, K, dyi, P, 0, col, P)
		g.col2im(dxi, col, 1)
	})
	return out, nil
}

// ---- ∂W = Σ_n ∂y_n·col_nᵀ ----

type convGradWOp struct {
	pureOp
	noDiff
	g convGeom
}

func (op convGradWOp) Arity() int { return 2 }
func (op convGradWOp) Type() hm.Type {
	t := fourD()
	return hm.NewFnType(t, t, t)
}
func (op convGradWOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.cout, op.g.cin, op.g.k, op.g.k}, nil
}
func (op convGradWOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "genlab.convdw(%v)", op.g) }
func (op convGradWOp) Hashcode() uint32      { return opHash(op.String()) }
func (op convGradWOp) String() string        { return fmt.Sprintf("ConvGradW(%v)", op.g) }

func (op convGradWOp) Do(in ...G.Value) (G.Value, error) {
	x, err := f32data(in[0], "x")
	if err != nil {
		return nil, err
	}
	dy, err := f32data(in[1], "dy")
	if err != nil {
		return nil, err
	}
	g := op.g
	K, P := g.kk(), g.p()
	// Images are summed in fixed blocks of gradWBlock, each block by one
	// worker, and the block sums are added in order: the result does not
	// depend on GOMAXPROCS.
	nb := (g.n + gradWBlock - 1) / gradWBlock
	parts := make([][]float32, nb)
	cols := make([][]float32, runtime.GOMAXPROCS(0))
	parallelImages(nb, func(wk, blk int) {
		part := make([]float32, g.cout*K)
		for i := blk * gradWBlock; i < min((blk+1)*gradWBlock, g.n); i++ {
			col := g.columns(cols, wk, x, i)
			dyi := dy[i*g.cout*P : (i+1)*g.cout*P]
			kern.Sgemm(false, true, g.cout, K, P, 1, dyi, P, col, P, 1, part, K)
		}
		parts[blk] = part
	})
	out := newF32(g.cout, g.cin, g.k, g.k)
	dw := out.Data().([]float32)
	for _, p := range parts {
		for j, v := range p {
			dw[j] += v
		}
	}
	return out, nil
}

// gradWBlock is the number of images whose weight gradients one worker sums
// before the ordered reduction.
const gradWBlock = 4

// ---- ∂b = Σ_{n,i,j} ∂y[n,·,i,j], shaped 1×C×1×1 ----

type channelSumOp struct {
	pureOp
	noDiff
	g convGeom
}

func (op channelSumOp) Arity() int { return 1 }
func (op channelSumOp) Type() hm.Type {
	t := fourD()
	return hm.NewFnType(t, t)
}
func (op channelSumOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{1, op.g.cout, 1, 1}, nil
}
func (op channelSumOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "genlab.chsum(%v)", op.g) }
func (op channelSumOp) Hashcode() uint32      { return opHash(op.String()) }
func (op channelSumOp) String() string        { return fmt.Sprintf("ChannelSum(%v)", op.g) }

func (op channelSumOp) Do(in ...G.Value) (G.Value, error) {
	dy, err := f32data(in[0], "dy")
	if err != nil {
		return nil, err
	}
	g := op.g
	P := g.p()
	out := newF32(1, g.cout, 1, 1)
	db := out.Data().([]float32)
	for i := 0; i < g.n; i++ {
		for o := 0; o < g.cout; o++ {
			var s float32
			for _, v := range dy[(i*g.cout+o)*P : (i*g.cout+o+1)*P] {
				s += v
			}
			db[o] += s
		}
	}
	return out, nil
}
