package nn

import (
	"fmt"

	"genlab/nn/kern"
)

// ConvCNHW is the engine's convolution for other packages' forward-only
// paths (fidlenet's feature extractor): a k×k cross-correlation with the
// given stride and zero padding (k−1)/2 of n images in the CNHW layout
// (channel c of image i is the plane at (c·n + i)·H·W), as one GEMM over
// the batch:
//
//	y[o,i,·] = b[o] + Σ_{c,u,v} w[o,c,u,v]·x[c,i, s·y+u−p, s·x+v−p].
//
// See engconv.go for why CNHW.
type ConvCNHW struct{ s convShape }

// NewConvCNHW returns the convolution of Cin×H×W planes by Cout×Cin×k×k
// filters (k odd, stride ≥ 1).
func NewConvCNHW(cin, cout, k, stride, h, w int) (ConvCNHW, error) {
	if cin < 1 || cout < 1 || k < 1 || k%2 == 0 || stride < 1 || h < 1 || w < 1 {
		return ConvCNHW{}, fmt.Errorf("nn: NewConvCNHW: cin %d, cout %d, k %d, stride %d, %d×%d", cin, cout, k, stride, h, w)
	}
	return ConvCNHW{newConvShape(cin, cout, k, stride, h, w)}, nil
}

// Out returns the output plane size Ho×Wo.
func (c ConvCNHW) Out() (ho, wo int) { return c.s.ho, c.s.wo }

// ColSize is the length of the scratch Forward needs for n images.
func (c ConvCNHW) ColSize(n int) int { return c.s.colSize(n) }

// Forward sets y (Cout×n·Ho·Wo) to the convolution of x (Cin×n·H·W) with
// w (Cout×Cin×k×k) plus b (Cout). col is scratch of at least ColSize(n).
func (c ConvCNHW) Forward(y, x, w, b []float32, n int, col []float32) {
	s := c.s
	P := s.p()
	ld := n * P
	for o := 0; o < s.cout; o++ {
		fill(y[o*ld:(o+1)*ld], b[o])
	}
	kern.Sgemm(false, false, s.cout, ld, s.kk(), 1, w, s.kk(), s.columns(col, x, n), ld, 1, y, ld)
}

// columns returns the K×n·P column matrix of x: x itself for a direct
// convolution, else its im2col in col.
func (s convShape) columns(col, x []float32, n int) []float32 {
	if s.direct() {
		return x[:s.cin*n*s.p()]
	}
	col = col[:s.colSize(n)]
	s.im2col(col, x, n)
	return col
}

// ToCNHW transposes n rows of C planes of p values (row-major N×C×P, a
// batch of flattened CHW images) to C×N×P.
func ToCNHW(dst, src []float32, n, C, p int) {
	for i := 0; i < n; i++ {
		for c := 0; c < C; c++ {
			copy(dst[(c*n+i)*p:(c*n+i+1)*p], src[(i*C+c)*p:(i*C+c+1)*p])
		}
	}
}

// FromCNHW is the inverse of ToCNHW.
func FromCNHW(dst, src []float32, n, C, p int) {
	for i := 0; i < n; i++ {
		for c := 0; c < C; c++ {
			copy(dst[(i*C+c)*p:(i*C+c+1)*p], src[(c*n+i)*p:(c*n+i+1)*p])
		}
	}
}
