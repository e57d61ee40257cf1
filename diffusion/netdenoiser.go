package diffusion

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"genlab/nn"
)

// NetDenoiser wraps a network F with a Target's preconditioning,
//
//	D(x;σ) = c_skip(σ)·x + c_out(σ)·F(c_in(σ)·x; c_noise(σ)),
//
// evaluating F in float32 in chunks of a fixed batch size (the last chunk is
// zero-padded), so any number of rows can be denoised.
type NetDenoiser struct {
	pred   *nn.Predictor
	target Target
	dim    int
	in     []float32
	cond   []float32
	out    []float32
}

var _ Denoiser = (*NetDenoiser)(nil)

// NewNetDenoiser compiles a forward graph of m at the given batch size.
func NewNetDenoiser(m nn.Model, t Target, batch int) (*NetDenoiser, error) {
	p, err := nn.NewPredictor(m, batch)
	if err != nil {
		return nil, fmt.Errorf("diffusion: %w", err)
	}
	d := m.In()
	return &NetDenoiser{pred: p, target: t, dim: d,
		in: make([]float32, batch*d), cond: make([]float32, batch), out: make([]float32, batch*m.Out())}, nil
}

// Denoise implements Denoiser.
func (n *NetDenoiser) Denoise(dst, x *mat.Dense, sigma float64) error {
	rows, cols := x.Dims()
	if cols != n.dim {
		panic(fmt.Sprintf("diffusion: NetDenoiser has dim %d, x has %d columns", n.dim, cols))
	}
	sc := n.target.Scalings(sigma)
	b := n.pred.Batch()
	for i := range n.cond {
		n.cond[i] = float32(sc.CNoise)
	}
	for lo := 0; lo < rows; lo += b {
		hi := min(lo+b, rows)
		for i := lo; i < hi; i++ {
			for j, v := range x.RawRowView(i) {
				n.in[(i-lo)*cols+j] = float32(sc.CIn * v)
			}
		}
		clear(n.in[(hi-lo)*cols:])
		if err := n.pred.Predict(n.out, n.in, n.cond); err != nil {
			return fmt.Errorf("diffusion: denoise at σ %.4g: %w", sigma, err)
		}
		for i := lo; i < hi; i++ {
			xr, dr := x.RawRowView(i), dst.RawRowView(i)
			for j := range dr {
				dr[j] = sc.CSkip*xr[j] + sc.COut*float64(n.out[(i-lo)*cols+j])
			}
		}
	}
	return nil
}

// Close releases the compiled graph.
func (n *NetDenoiser) Close() { n.pred.Close() }
