package nn

import (
	"genlab/nn/kern"
)

// Convolution in the engine's activation layout, CNHW: a tensor of C
// channels over n images of H×W pixels is the C×(n·H·W) row-major matrix
// whose row c holds channel c of image 0, then of image 1, and so on.
//
// The layout is chosen for the batched GEMM. With the im2col matrix of a
// whole shard, col (K×n·P, K = Cin·k², P = Ho·Wo), a convolution is one
// product per layer, Y = W·col (Cout×K by K×n·P), whose result is already
// CNHW: no transpose of the output (NCHW would need one per image, or one
// GEMM per image as nn's graph op does), and the weight and input gradients
// are single products as well, dW = dY·colᵀ and dcol = Wᵀ·dY. A 1×1
// convolution multiplies the activation matrix itself. Concatenating
// channels, the U-Net's skip connections, stacks row blocks, so producers
// write their outputs straight into a slice of the concatenation. NHWC
// would also give one GEMM per layer (Y = col·Wᵀ) but interleaves
// concatenated channels in every pixel, and GroupNorm and the per-(image,
// channel) embedding add would stride over memory instead of running over
// contiguous planes of H·W values. Measured on the U-Net at 14²/ch 32, the
// per-image NCHW GEMMs of the graph op ran at a third of the batched
// GEMM's rate (see docs/PERFORMANCE.md).

// convShape is the geometry of a k×k convolution with the given stride and
// zero padding (k−1)/2, of Cin×H×W input planes into Cout×Ho×Wo.
type convShape struct {
	cin, cout, k, stride, pad int
	h, w, ho, wo              int
}

func newConvShape(cin, cout, k, stride, h, w int) convShape {
	s := convShape{cin: cin, cout: cout, k: k, stride: stride, pad: (k - 1) / 2, h: h, w: w}
	s.ho = (h+2*s.pad-k)/stride + 1
	s.wo = (w+2*s.pad-k)/stride + 1
	return s
}

func (s convShape) kk() int { return s.cin * s.k * s.k }
func (s convShape) p() int  { return s.ho * s.wo }

// direct reports whether the column matrix is the input itself (1×1,
// stride 1, no padding).
func (s convShape) direct() bool { return s.k == 1 && s.stride == 1 && s.pad == 0 }

// colSize is the scratch length im2col needs for n images.
func (s convShape) colSize(n int) int {
	if s.direct() {
		return 0
	}
	return s.kk() * n * s.p()
}

// jRange returns the output columns [lo, hi) whose input column
// stride·j + v − pad lies inside [0, w).
func (s convShape) jRange(v int) (lo, hi int) {
	if d := s.pad - v; d > 0 {
		lo = (d + s.stride - 1) / s.stride
	}
	num := s.w - 1 + s.pad - v
	if num < 0 {
		return lo, lo
	}
	hi = min(s.wo, num/s.stride+1)
	return lo, max(hi, lo)
}

// im2col writes col (K×n·P) for x (Cin×n·H·W, CNHW; for n = 1 an image in
// CHW): col[(c,u,v), (i,y,z)] = x[c, i, stride·y+u−pad, stride·z+v−pad],
// 0 outside.
func (s convShape) im2col(col, x []float32, n int) {
	if s.stride == 1 && s.k > 1 {
		s.im2colShift(col, x, n)
		return
	}
	P, hw := s.p(), s.h*s.w
	ld := n * P
	for c := 0; c < s.cin; c++ {
		for u := 0; u < s.k; u++ {
			for v := 0; v < s.k; v++ {
				row := col[((c*s.k+u)*s.k+v)*ld:][:ld]
				lo, hi := s.jRange(v)
				off := v - s.pad
				for i := 0; i < n; i++ {
					xc := x[(c*n+i)*hw:][:hw]
					ri := row[i*P:][:P]
					for y := 0; y < s.ho; y++ {
						yy := s.stride*y + u - s.pad
						dst := ri[y*s.wo:][:s.wo]
						if yy < 0 || yy >= s.h {
							clear(dst)
							continue
						}
						src := xc[yy*s.w:][:s.w]
						clear(dst[:lo])
						clear(dst[hi:])
						if s.stride == 1 {
							copy(dst[lo:hi], src[lo+off:hi+off])
							continue
						}
						for j := lo; j < hi; j++ {
							dst[j] = src[s.stride*j+off]
						}
					}
				}
			}
		}
	}
}

// col2im adds col (K×n·P) into dx (Cin×n·H·W), the adjoint of im2col.
func (s convShape) col2im(dx, col []float32, n int) {
	if s.stride == 1 && s.k > 1 {
		s.col2imShift(dx, col, n)
		return
	}
	P, hw := s.p(), s.h*s.w
	ld := n * P
	for c := 0; c < s.cin; c++ {
		for u := 0; u < s.k; u++ {
			for v := 0; v < s.k; v++ {
				row := col[((c*s.k+u)*s.k+v)*ld:][:ld]
				lo, hi := s.jRange(v)
				off := v - s.pad
				for i := 0; i < n; i++ {
					dc := dx[(c*n+i)*hw:][:hw]
					ri := row[i*P:][:P]
					for y := 0; y < s.ho; y++ {
						yy := s.stride*y + u - s.pad
						if yy < 0 || yy >= s.h {
							continue
						}
						dst := dc[yy*s.w:][:s.w]
						src := ri[y*s.wo:][:s.wo]
						if s.stride == 1 {
							kern.Axpy(1, src[lo:hi], dst[lo+off:hi+off])
							continue
						}
						for j := lo; j < hi; j++ {
							dst[s.stride*j+off] += src[j]
						}
					}
				}
			}
		}
	}
}

// At stride 1 the output plane equals the input plane in size, and row
// (c,u,v) of the column matrix is the input plane shifted by
// d = (u−pad)·W + (v−pad) in its row-major storage, except in the rows and
// columns that the shift moves off the plane (zeros in im2col; dropped in
// col2im). The shift routes move each plane in one contiguous copy or axpy
// and then fix those few border elements, instead of one short copy per
// image row.

// shiftSpan returns, for the shift of row (u, v), the output rows [y0, y1)
// that stay on the plane, the valid columns [lo, hi) and the flat offset d.
func (s convShape) shiftSpan(u, v int) (y0, y1, lo, hi, d int) {
	du, dv := u-s.pad, v-s.pad
	y0, y1 = max(0, -du), min(s.h, s.h-du)
	lo, hi = max(0, -dv), min(s.w, s.w-dv)
	return y0, y1, lo, hi, du*s.w + dv
}

// flatRange clips [a, b) so that [a+d, b+d) lies inside [0, hw).
func flatRange(a, b, d, hw int) (int, int) {
	return max(a, -d), min(b, hw-d)
}

func (s convShape) im2colShift(col, x []float32, n int) {
	hw := s.h * s.w
	ld := n * hw
	for c := 0; c < s.cin; c++ {
		for u := 0; u < s.k; u++ {
			for v := 0; v < s.k; v++ {
				row := col[((c*s.k+u)*s.k+v)*ld:][:ld]
				y0, y1, lo, hi, d := s.shiftSpan(u, v)
				a, b := flatRange(y0*s.w, y1*s.w, d, hw)
				for i := 0; i < n; i++ {
					dst, src := row[i*hw:][:hw], x[(c*n+i)*hw:][:hw]
					clear(dst[:y0*s.w])
					clear(dst[y1*s.w:])
					if a < b {
						copy(dst[a:b], src[a+d:b+d])
					}
					zeroColumns(dst, y0, y1, s.w, lo, hi)
				}
			}
		}
	}
}

// zeroColumns zeroes columns [0, lo) and [hi, w) of rows [y0, y1) of a
// plane of width w (a pixel or two per row for the usual kernels).
func zeroColumns(p []float32, y0, y1, w, lo, hi int) {
	if lo == 0 && hi == w {
		return
	}
	p = p[:y1*w]
	for r := y0 * w; r < len(p); r += w {
		for j := r; j < r+lo; j++ {
			p[j] = 0
		}
		for j := r + hi; j < r+w; j++ {
			p[j] = 0
		}
	}
}

// col2imShift is col2im at stride 1; it zeroes the off-plane columns of
// col (scratch) before adding each shifted plane.
func (s convShape) col2imShift(dx, col []float32, n int) {
	hw := s.h * s.w
	ld := n * hw
	for c := 0; c < s.cin; c++ {
		for u := 0; u < s.k; u++ {
			for v := 0; v < s.k; v++ {
				row := col[((c*s.k+u)*s.k+v)*ld:][:ld]
				y0, y1, lo, hi, d := s.shiftSpan(u, v)
				a, b := flatRange(y0*s.w, y1*s.w, d, hw)
				if a >= b {
					continue
				}
				for i := 0; i < n; i++ {
					src := row[i*hw:][:hw]
					zeroColumns(src, y0, y1, s.w, lo, hi)
					kern.Axpy(1, src[a:b], dx[(c*n+i)*hw+a+d:][:b-a])
				}
			}
		}
	}
}

// econv is a convolution layer of the engine, on CNHW activations.
type econv struct {
	convShape
	wt, bs []float32 // Cout×Cin×k×k and Cout, the Params' storage
	wi, bi int       // their indices in Params()
}

func newEconv(c *Conv, idx map[*Param]int, h, w int) *econv {
	s := c.W.Shape
	return &econv{convShape: newConvShape(s[1], s[0], s[2], c.Stride, h, w),
		wt: c.W.Data(), bs: c.B.Data(), wi: idx[c.W], bi: idx[c.B]}
}

// forward computes, for the n images of x (Cin×n·H·W),
//
//	y[o,i,·] = alpha·(W∗x + b[o] + e[i,o]) + (acc ? y[o,i,·] : 0)
//
// into y (Cout×n·Ho·Wo); e (n×Cout, row-major) may be nil. col is scratch of
// at least colSize(n).
func (l *econv) forward(y, x, e []float32, n int, alpha float32, acc bool, col []float32) {
	P := l.p()
	ld := n * P
	y = y[:l.cout*ld]
	for o := 0; o < l.cout; o++ {
		for i := 0; i < n; i++ {
			v := l.bs[o]
			if e != nil {
				v += e[i*l.cout+o]
			}
			v *= alpha
			pl := y[o*ld+i*P:][:P]
			if acc {
				addConst(pl, v)
			} else {
				fill(pl, v)
			}
		}
	}
	cm := l.columns(col, x, n)
	kern.Sgemm(false, false, l.cout, ld, l.kk(), alpha, l.wt, l.kk(), cm, ld, 1, y, ld)
}

// backward takes dy (Cout×n·Ho·Wo), the gradient of the output of
// forward(…, alpha, …), and sets g[wi], g[bi] to the weight and bias
// gradients, de (n×Cout, if not nil) to the gradient of e, and adds the
// input gradient to dx (if not nil). x is forward's input; col is scratch of
// at least colSize(n).
func (l *econv) backward(g [][]float32, de, dx, dy, x []float32, n int, alpha float32, col []float32) {
	P := l.p()
	ld := n * P
	K := l.kk()
	gb := g[l.bi]
	clear(gb)
	for o := 0; o < l.cout; o++ {
		for i := 0; i < n; i++ {
			s := float32(kern.Sum(dy[o*ld+i*P:][:P])) * alpha
			gb[o] += s
			if de != nil {
				de[i*l.cout+o] = s
			}
		}
	}
	cm := l.columns(col, x, n)
	kern.Sgemm(false, true, l.cout, K, ld, alpha, dy, ld, cm, ld, 0, g[l.wi], K)
	if dx == nil {
		return
	}
	if l.direct() {
		kern.Sgemm(true, false, K, ld, l.cout, alpha, l.wt, K, dy, ld, 1, dx, ld)
		return
	}
	kern.Sgemm(true, false, K, ld, l.cout, alpha, l.wt, K, dy, ld, 0, cm, ld)
	l.col2im(dx, cm, n)
}

func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}

func addConst(s []float32, v float32) {
	for i := range s {
		s[i] += v
	}
}
