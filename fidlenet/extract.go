package fidlenet

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
	"genlab/nn"
	"genlab/nn/kern"
)

// Extractor computes a Net's features on nn's engine (no gorgonia tape):
// batches of images are cut into shards of extractShard images, each run by
// one of GOMAXPROCS workers through its own buffers as CNHW convolutions
// (nn.ConvCNHW, one GEMM per layer), fused ReLU + 2×2 max-pooling, and one
// GEMM for the hidden layer. It shares the network's parameters. It is not
// safe for concurrent use.
type Extractor struct {
	net          *Net
	batch        int
	conv1, conv2 nn.ConvCNHW
	bufs         []*extractBufs
}

// extractShard is the number of images one worker forwards at a time. It
// is fixed, so features do not depend on the thread count.
const extractShard = 50

type extractBufs struct {
	x, c1, p1, c2, p2, flat, col []float32
}

// DefaultExtractBatch is the batch size NewExtractor callers use by default.
// Features do not depend on it.
const DefaultExtractBatch = 200

// NewExtractor returns an extractor of n. Images are processed in shards of
// a fixed size; batch (≥ 1) is kept for callers that size their own work by
// it and changes nothing.
func (n *Net) NewExtractor(batch int) (*Extractor, error) {
	if batch < 1 {
		return nil, fmt.Errorf("fidlenet: NewExtractor: batch %d < 1", batch)
	}
	c := n.cfg
	e := &Extractor{net: n, batch: batch}
	var err error
	if e.conv1, err = nn.NewConvCNHW(1, c.C1, 5, 1, Side, Side); err != nil {
		return nil, err
	}
	if e.conv2, err = nn.NewConvCNHW(c.C1, c.C2, 5, 1, Side/2, Side/2); err != nil {
		return nil, err
	}
	workers := runtime.GOMAXPROCS(0)
	s := extractShard
	for w := 0; w < workers; w++ {
		e.bufs = append(e.bufs, &extractBufs{x: make([]float32, s*Side*Side),
			c1: make([]float32, c.C1*s*Side*Side), p1: make([]float32, c.C1*s*Side*Side/4),
			c2: make([]float32, c.C2*s*Side*Side/4), p2: make([]float32, c.C2*s*49),
			flat: make([]float32, s*49*c.C2),
			col:  make([]float32, max(e.conv1.ColSize(s), e.conv2.ColSize(s))),
		})
	}
	return e, nil
}

// Close releases nothing; it is kept so that callers can defer it.
func (e *Extractor) Close() {}

// Features returns the N×Hidden matrix (float64) of penultimate-layer
// features of the 28×28 images im, one row per image, each image mapped to
// [−1, 1] by data.PixelToUnit. A row does not depend on the batch size or
// the thread count; it depends on the image's position within its shard
// only through float32 rounding, at the 1e-7 relative level.
func (e *Extractor) Features(im *data.Images) (*mat.Dense, error) {
	if im.H != Side || im.W != Side {
		return nil, fmt.Errorf("fidlenet: Features: images are %d×%d, want %d×%d", im.H, im.W, Side, Side)
	}
	if im.N == 0 {
		return nil, fmt.Errorf("fidlenet: Features: no images")
	}
	out := mat.NewDense(im.N, e.net.cfg.Hidden, nil)
	shards := (im.N + extractShard - 1) / extractShard
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range e.bufs {
		wg.Add(1)
		go func(b *extractBufs) {
			defer wg.Done()
			for s := int(next.Add(1)) - 1; s < shards; s = int(next.Add(1)) - 1 {
				lo := s * extractShard
				e.shard(b, im, lo, min(lo+extractShard, im.N), out)
			}
		}(e.bufs[w])
	}
	wg.Wait()
	return out, nil
}

// shard writes the features of images [lo, hi) into rows lo… of out.
func (e *Extractor) shard(b *extractBufs, im *data.Images, lo, hi int, out *mat.Dense) {
	n, c := hi-lo, e.net.cfg
	x := b.x[:n*Side*Side]
	for i := 0; i < n; i++ {
		dst := x[i*Side*Side : (i+1)*Side*Side]
		for j, p := range im.Image(lo + i) {
			dst[j] = float32(data.PixelToUnit(p))
		}
	}
	e.conv1.Forward(b.c1, x, e.net.w1.Data(), e.net.b1.Data(), n, b.col)
	reluPool2(b.p1, b.c1, c.C1*n, Side, Side)
	e.conv2.Forward(b.c2, b.p1, e.net.w2.Data(), e.net.b2.Data(), n, b.col)
	reluPool2(b.p2, b.c2, c.C2*n, Side/2, Side/2)
	nn.FromCNHW(b.flat, b.p2, n, c.C2, 49)
	f := b.c1[:n*c.Hidden]
	for i := 0; i < n; i++ {
		copy(f[i*c.Hidden:(i+1)*c.Hidden], e.net.b3.Data())
	}
	kern.Sgemm(false, false, n, c.Hidden, 49*c.C2, 1, b.flat, 49*c.C2, e.net.w3.Data(), c.Hidden, 1, f, c.Hidden)
	for i := 0; i < n; i++ {
		row := out.RawRowView(lo + i)
		for j, v := range f[i*c.Hidden : (i+1)*c.Hidden] {
			row[j] = float64(max(v, 0))
		}
	}
}

// reluPool2 writes max(0, max of each 2×2 block) of planes h×w planes (h, w
// even) into planes of h/2×w/2: ReLU then 2×2 max-pooling with stride 2.
func reluPool2(dst, src []float32, planes, h, w int) {
	h2, w2 := h/2, w/2
	for k := 0; k < planes; k++ {
		s, d := src[k*h*w:(k+1)*h*w], dst[k*h2*w2:(k+1)*h2*w2]
		for i := 0; i < h2; i++ {
			r0, r1 := s[2*i*w:(2*i+1)*w], s[(2*i+1)*w:(2*i+2)*w]
			for j := 0; j < w2; j++ {
				d[i*w2+j] = max(0, r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1])
			}
		}
	}
}

// Logits returns the N×10 class scores z = f·W + b of the classifier head
// for features f (N×Hidden, from Features), computed in float64.
func (n *Net) Logits(f *mat.Dense) *mat.Dense {
	r, c := f.Dims()
	if c != n.cfg.Hidden {
		panic(fmt.Sprintf("fidlenet: Logits: %d feature columns, want %d", c, n.cfg.Hidden))
	}
	w := mat.NewDense(c, Classes, nil)
	for i, v := range n.w4.Data() {
		w.RawMatrix().Data[i] = float64(v)
	}
	z := mat.NewDense(r, Classes, nil)
	z.Mul(f, w)
	for i := 0; i < r; i++ {
		row := z.RawRowView(i)
		for k := range row {
			row[k] += float64(n.b4.Data()[k])
		}
	}
	return z
}

// Classify returns the arg-max class of each row of the logits z.
func Classify(z *mat.Dense) []int {
	r, _ := z.Dims()
	out := make([]int, r)
	for i := range out {
		row := z.RawRowView(i)
		best := 0
		for k, v := range row {
			if v > row[best] {
				best = k
			}
		}
		out[i] = best
	}
	return out
}

// Accuracy returns the fraction of the labelled 28×28 images im that n
// classifies correctly, and the predicted classes.
func (n *Net) Accuracy(im *data.Images, batch int) (float64, []int, error) {
	if len(im.Labels) != im.N {
		return 0, nil, fmt.Errorf("fidlenet: Accuracy: %d labels for %d images", len(im.Labels), im.N)
	}
	e, err := n.NewExtractor(batch)
	if err != nil {
		return 0, nil, err
	}
	defer e.Close()
	f, err := e.Features(im)
	if err != nil {
		return 0, nil, err
	}
	pred := Classify(n.Logits(f))
	ok := 0
	for i, p := range pred {
		if p == int(im.Labels[i]) {
			ok++
		}
	}
	return float64(ok) / float64(im.N), pred, nil
}
