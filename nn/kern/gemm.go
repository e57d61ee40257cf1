package kern

import "sync"

// gemmKernel is a register-blocked micro-kernel and its tile shape. fn
// computes the mr×nr tile C = Apanel·Bsliver + beta·C over k steps (C not
// read if beta == 0) from a packed A sliver and k rows of nr values of B,
// ldb apart; see gemm_amd64.s.
type gemmKernel struct {
	mr, nr int
	name   string
	fn     func(k int, a, b *float32, ldb int, c *float32, ldc int, beta float32)
	// edge, if not nil, is fn for a full-height tile of 0 < cols < nr
	// columns, touching neither B nor C past them.
	edge func(k int, a, b *float32, ldb int, c *float32, ldc int, beta float32, cols int)
	// packWide is the row stride (in elements) from which a row-major B is
	// packed rather than read in place; 0 means never.
	packWide int

	mu   sync.Mutex
	free []*gemmScratch // scratch of finished calls, never released
}

// Cache blocking. A kc×nr sliver of B streams from L2 (the kc×nc panel,
// 256·384·4 B = 384 KiB, stays there) while a kc×mr sliver of A (8 KiB)
// stays in L1; A is packed in blocks of at most mc rows. A row-major B is
// read in place, its rows ldb apart, which saves a copy of B per call (20%
// of the time of the convolution shapes, where m is small), unless the
// kernel asks for packing from some stride on (packWide). A transposed B is
// always packed; so is the ragged last sliver when no masked edge kernel
// covers it.
const (
	gemmKC = 256
	gemmNC = 384 // a multiple of every nr
)

func (g *gemmKernel) mc() int { return 96 * g.mr }

type gemmScratch struct {
	a, b, tile []float32
	edge       []float32 // the packed ragged sliver of an in-place B
}

// scratch returns a free scratch, allocating one only when every existing
// one is in use by a concurrent call. Unlike a sync.Pool, the free list is
// not emptied by the garbage collector, so steady state is allocation free;
// its size is bounded by the number of concurrent calls (~1.7 MB each).
func (g *gemmKernel) scratch() *gemmScratch {
	g.mu.Lock()
	if n := len(g.free); n > 0 {
		s := g.free[n-1]
		g.free = g.free[:n-1]
		g.mu.Unlock()
		return s
	}
	g.mu.Unlock()
	return &gemmScratch{
		a:    make([]float32, g.mc()*gemmKC),
		b:    make([]float32, gemmNC*gemmKC),
		edge: make([]float32, g.nr*gemmKC),
		tile: make([]float32, g.mr*g.nr),
	}
}

// sgemm computes Sgemm (arguments checked) with packing, cache blocking
// and the micro-kernel.
func (g *gemmKernel) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	s := g.scratch()
	mr, nr, mcMax := g.mr, g.nr, g.mc()
	for pc := 0; pc < k; pc += gemmKC {
		kc := min(gemmKC, k-pc)
		bt := beta
		if pc > 0 {
			bt = 1
		}
		for ic := 0; ic < m; ic += mcMax {
			mc := min(mcMax, m-ic)
			packA(s.a, transA, a, lda, ic, pc, mc, kc, mr, alpha)
			for jc := 0; jc < n; jc += gemmNC {
				nc := min(gemmNC, n-jc)
				packed := transB || (g.packWide > 0 && ldb >= g.packWide)
				if packed {
					packB(s.b, transB, b, ldb, pc, jc, kc, nc, nr)
				} else if rem := nc % nr; rem != 0 && (g.edge == nil || mc%mr != 0) {
					packB(s.edge, false, b, ldb, pc, jc+nc-rem, kc, rem, nr)
				}
				for ir := 0; ir < mc; ir += mr {
					ap := &s.a[ir*kc]
					rows := min(mr, mc-ir)
					for jr := 0; jr < nc; jr += nr {
						cols := min(nr, nc-jr)
						var bp *float32
						bs := nr
						masked := cols < nr && rows == mr && g.edge != nil
						switch {
						case packed:
							bp = &s.b[jr*kc]
						case cols < nr && !masked:
							bp = &s.edge[0]
						default:
							bp, bs = &b[pc*ldb+jc+jr], ldb
						}
						ci := (ic+ir)*ldc + jc + jr
						if rows == mr && cols == nr {
							g.fn(kc, ap, bp, bs, &c[ci], ldc, bt)
							continue
						}
						if masked {
							g.edge(kc, ap, bp, bs, &c[ci], ldc, bt, cols)
							continue
						}
						g.fn(kc, ap, bp, bs, &s.tile[0], nr, 0)
						mergeTile(c[ci:], ldc, s.tile, nr, rows, cols, bt)
					}
				}
			}
		}
	}
	g.mu.Lock()
	g.free = append(g.free, s)
	g.mu.Unlock()
}

// mergeTile sets C = T + beta·C on a rows×cols corner (C not read if
// beta == 0).
func mergeTile(c []float32, ldc int, t []float32, ldt, rows, cols int, beta float32) {
	for r := 0; r < rows; r++ {
		cr, tr := c[r*ldc:r*ldc+cols], t[r*ldt:r*ldt+cols]
		if beta == 0 {
			copy(cr, tr)
			continue
		}
		for j, v := range tr {
			cr[j] = v + beta*cr[j]
		}
	}
}

// scaleC sets C = beta·C (C = 0 if beta == 0).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(ci)
		} else if beta != 1 {
			for j := range ci {
				ci[j] *= beta
			}
		}
	}
}

// packA copies alpha·op(A)[ic:ic+mc, pc:pc+kc] into slivers of mr rows:
// sliver s holds, for p = 0…kc−1, the mr values op(A)[ic+s·mr+r, pc+p];
// rows past mc are zero.
func packA(dst []float32, trans bool, a []float32, lda, ic, pc, mc, kc, mr int, alpha float32) {
	for s := 0; s < mc; s += mr {
		d := dst[s*kc : (s+mr)*kc]
		rows := min(mr, mc-s)
		if trans && rows == 8 && mr == 8 {
			copy8(d, a[pc*lda+ic+s:], lda, kc, alpha)
			continue
		}
		if trans { // op(A)[i,p] = a[p*lda+i]: rows are contiguous
			for p := 0; p < kc; p++ {
				src := a[(pc+p)*lda+ic+s:]
				dp := d[p*mr : p*mr+mr]
				for r := 0; r < rows; r++ {
					dp[r] = alpha * src[r]
				}
				clear(dp[rows:])
			}
			continue
		}
		transposeInto(d, mr, a[(ic+s)*lda+pc:], lda, rows, kc, alpha)
	}
}

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into slivers of nr columns:
// sliver s holds, for p = 0…kc−1, the nr values op(B)[pc+p, jc+s·nr+j];
// columns past nc are zero.
func packB(dst []float32, trans bool, b []float32, ldb, pc, jc, kc, nc, nr int) {
	for s := 0; s < nc; s += nr {
		d := dst[s*kc : (s+nr)*kc]
		cols := min(nr, nc-s)
		if !trans { // op(B)[p,j] = b[p*ldb+j]: columns are contiguous
			for p := 0; p < kc; p++ {
				src := b[(pc+p)*ldb+jc+s : (pc+p)*ldb+jc+s+cols]
				dp := d[p*nr : p*nr+nr]
				copy(dp, src)
				clear(dp[cols:])
			}
			continue
		}
		transposeInto(d, nr, b[(jc+s)*ldb+pc:], ldb, cols, kc, 1)
	}
}

// transposeInto sets d[p*w+r] = alpha·src[r*lds+p] for r < rows, p < kc,
// and zero for rows ≤ r < w. It reads eight source rows at a time so that
// each step writes eight adjacent values.
func transposeInto(d []float32, w int, src []float32, lds, rows, kc int, alpha float32) {
	d = d[:kc*w]
	r := 0
	for ; r+8 <= rows; r += 8 {
		transpose8(d[r:], w, src[r*lds:], lds, kc, alpha)
	}
	for ; r < rows; r++ {
		sr := src[r*lds : r*lds+kc]
		for p, v := range sr {
			d[p*w+r] = alpha * v
		}
	}
	if rows < w {
		for p := 0; p < kc; p++ {
			clear(d[p*w+rows : p*w+w])
		}
	}
}

// transpose8 sets d[p*w+r] = alpha·src[r*lds+p] for r < 8, p < kc.
var transpose8 = func(d []float32, w int, src []float32, lds, kc int, alpha float32) {
	transpose8Go(d, w, src, lds, 0, kc, alpha)
}

// transpose8Go is transpose8 over the columns p0 ≤ p < kc.
func transpose8Go(d []float32, w int, src []float32, lds, p0, kc int, alpha float32) {
	s0 := src[0*lds : 0*lds+kc]
	s1 := src[1*lds : 1*lds+kc]
	s2 := src[2*lds : 2*lds+kc]
	s3 := src[3*lds : 3*lds+kc]
	s4 := src[4*lds : 4*lds+kc]
	s5 := src[5*lds : 5*lds+kc]
	s6 := src[6*lds : 6*lds+kc]
	s7 := src[7*lds : 7*lds+kc]
	for p := p0; p < kc; p++ {
		o := (*[8]float32)(d[p*w:])
		o[0], o[1], o[2], o[3] = alpha*s0[p], alpha*s1[p], alpha*s2[p], alpha*s3[p]
		o[4], o[5], o[6], o[7] = alpha*s4[p], alpha*s5[p], alpha*s6[p], alpha*s7[p]
	}
}

// copy8 sets d[p*8+r] = alpha·src[p*lds+r] for r < 8, p < kc.
var copy8 = func(d, src []float32, lds, kc int, alpha float32) {
	for p := 0; p < kc; p++ {
		o, v := (*[8]float32)(d[p*8:]), (*[8]float32)(src[p*lds:])
		for r := range o {
			o[r] = alpha * v[r]
		}
	}
}
