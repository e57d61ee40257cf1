package fidlenet

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
	G "gorgonia.org/gorgonia"

	"genlab/data"
)

// Extractor is a compiled forward graph of a Net up to its features, at a
// fixed batch size. It shares the network's parameters. It is not safe for
// concurrent use.
type Extractor struct {
	net   *Net
	gr    *graph
	vm    G.VM
	featV G.Value
	batch int
}

// DefaultExtractBatch is the batch size NewExtractor callers use by default.
// Features do not depend on it.
const DefaultExtractBatch = 200

// NewExtractor compiles the feature graph of n at the given batch size.
func (n *Net) NewExtractor(batch int) (*Extractor, error) {
	if batch < 1 {
		return nil, fmt.Errorf("fidlenet: NewExtractor: batch %d < 1", batch)
	}
	gr, err := n.build(batch, false)
	if err != nil {
		return nil, err
	}
	e := &Extractor{net: n, gr: gr, batch: batch}
	G.Read(gr.feat, &e.featV)
	e.vm = G.NewTapeMachine(gr.g)
	return e, nil
}

// Close releases the compiled machine.
func (e *Extractor) Close() { e.vm.Close() }

// Features returns the N×Hidden matrix (float64) of penultimate-layer
// features of the 28×28 images im, one row per image, each image mapped to
// [−1, 1] by data.PixelToUnit. The last partial batch is zero-padded. A row
// depends on its position within the batch only through float32 rounding
// (blocked matrix products), at the 1e-7 relative level.
func (e *Extractor) Features(im *data.Images) (*mat.Dense, error) {
	if im.H != Side || im.W != Side {
		return nil, fmt.Errorf("fidlenet: Features: images are %d×%d, want %d×%d", im.H, im.W, Side, Side)
	}
	if im.N == 0 {
		return nil, fmt.Errorf("fidlenet: Features: no images")
	}
	d := e.net.cfg.Hidden
	out := mat.NewDense(im.N, d, nil)
	for s := 0; s < im.N; s += e.batch {
		k := min(e.batch, im.N-s)
		clear(e.gr.xd)
		for i := 0; i < k; i++ {
			dst := e.gr.xd[i*Side*Side : (i+1)*Side*Side]
			for j, p := range im.Image(s + i) {
				dst[j] = float32(data.PixelToUnit(p))
			}
		}
		if err := e.vm.RunAll(); err != nil {
			e.vm.Reset()
			return nil, fmt.Errorf("fidlenet: Features: batch at %d: %w", s, err)
		}
		f := e.featV.Data().([]float32)
		for i := 0; i < k; i++ {
			row := out.RawRowView(s + i)
			for j := range row {
				row[j] = float64(f[i*d+j])
			}
		}
		e.vm.Reset()
	}
	return out, nil
}

// Logits returns the N×10 class scores z = f·W + b of the classifier head
// for features f (N×Hidden, from Features), computed in float64.
func (n *Net) Logits(f *mat.Dense) *mat.Dense {
	r, c := f.Dims()
	if c != n.cfg.Hidden {
		panic(fmt.Sprintf("fidlenet: Logits: %d feature columns, want %d", c, n.cfg.Hidden))
	}
	w := mat.NewDense(c, Classes, nil)
	for i, v := range n.w4.data {
		w.RawMatrix().Data[i] = float64(v)
	}
	z := mat.NewDense(r, Classes, nil)
	z.Mul(f, w)
	for i := 0; i < r; i++ {
		row := z.RawRowView(i)
		for k := range row {
			row[k] += float64(n.b4.data[k])
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
