package kdiff

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"genlab/nn"
)

// NetU is a UPredictor over a network trained through Bridge: û = F(z; s)
// (c_in = 1 on z, c_noise = s), evaluated in float32 in chunks of the
// compiled batch size (the last chunk zero-padded). Unlike the bridge it is
// defined at s = 0, where the native sampler starts.
type NetU struct {
	pred    *nn.Predictor
	dim     int
	in, out []float32
	cond    []float32
}

var _ UPredictor = (*NetU)(nil)

// NewNetU compiles a forward graph of m at the given batch size.
func NewNetU(m nn.Model, batch int) (*NetU, error) {
	if m.In() != m.Out() {
		return nil, fmt.Errorf("kdiff: NetU needs In = Out, got %d→%d", m.In(), m.Out())
	}
	p, err := nn.NewPredictor(m, batch)
	if err != nil {
		return nil, fmt.Errorf("kdiff: %w", err)
	}
	d := m.In()
	return &NetU{pred: p, dim: d, in: make([]float32, batch*d), out: make([]float32, batch*d), cond: make([]float32, batch)}, nil
}

// PredictU implements UPredictor.
func (n *NetU) PredictU(dst, z *mat.Dense, s float64) error {
	rows, cols := z.Dims()
	if cols != n.dim {
		panic(fmt.Sprintf("kdiff: NetU has dim %d, z has %d columns", n.dim, cols))
	}
	b := n.pred.Batch()
	for i := range n.cond {
		n.cond[i] = float32(s)
	}
	for lo := 0; lo < rows; lo += b {
		hi := min(lo+b, rows)
		for i := lo; i < hi; i++ {
			for j, v := range z.RawRowView(i) {
				n.in[(i-lo)*cols+j] = float32(v)
			}
		}
		clear(n.in[(hi-lo)*cols:])
		if err := n.pred.Predict(n.out, n.in, n.cond); err != nil {
			return fmt.Errorf("kdiff: predict at s %.4g: %w", s, err)
		}
		for i := lo; i < hi; i++ {
			dr := dst.RawRowView(i)
			for j := range dr {
				dr[j] = float64(n.out[(i-lo)*cols+j])
			}
		}
	}
	return nil
}

// Close releases the compiled graph.
func (n *NetU) Close() { n.pred.Close() }
