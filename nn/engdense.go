package nn

import (
	"math"

	"genlab/nn/kern"
)

// edense is a Linear layer on row-major n×in activations: y = x·W + b.
type edense struct {
	w, b    []float32
	wi, bi  int
	in, out int
}

func newEdense(w, b *Param, idx map[*Param]int) *edense {
	return &edense{w: w.Data(), b: b.Data(), wi: idx[w], bi: idx[b], in: w.Shape[0], out: w.Shape[1]}
}

// forward sets y (n×out) = x·W + b.
func (l *edense) forward(y, x []float32, n int) {
	for i := 0; i < n; i++ {
		copy(y[i*l.out:(i+1)*l.out], l.b)
	}
	kern.Sgemm(false, false, n, l.out, l.in, 1, x, l.in, l.w, l.out, 1, y, l.out)
}

// backward sets g[wi] = xᵀ·dy, g[bi] = Σ_rows dy and, if dx is not nil,
// writes (acc: adds) dy·Wᵀ into dx.
func (l *edense) backward(g [][]float32, dx, dy, x []float32, n int, acc bool) {
	kern.Sgemm(true, false, l.in, l.out, n, 1, x, l.in, dy, l.out, 0, g[l.wi], l.out)
	gb := g[l.bi]
	clear(gb)
	for i := 0; i < n; i++ {
		kern.Axpy(1, dy[i*l.out:(i+1)*l.out], gb)
	}
	if dx == nil {
		return
	}
	beta := float32(0)
	if acc {
		beta = 1
	}
	kern.Sgemm(false, true, n, l.in, l.out, 1, dy, l.out, l.w, l.out, beta, dx, l.in)
}

// fourierTo writes the n×2F embedding [cos 2πf_k c_i …, sin 2πf_k c_i …]
// into dst, with the angle rounded to float32 as the graph's op does.
func fourierTo(dst, c, freqs []float32, n int) {
	F := len(freqs)
	for i := 0; i < n; i++ {
		row := dst[i*2*F : (i+1)*2*F]
		for k, f := range freqs {
			a := float64(float32(c[i]*f) * float32(2*math.Pi))
			row[k] = float32(math.Cos(a))
			row[F+k] = float32(math.Sin(a))
		}
	}
}
