//go:build amd64 && !purego

package kern

import "golang.org/x/sys/cpu"

// The assembly micro-kernels; see gemm_amd64.s.

//go:noescape
func kern8x48AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, beta float32)

//go:noescape
func kern8x48AVX512Edge(k int, a, b *float32, ldb int, c *float32, ldc int, beta float32, cols int)

//go:noescape
func kern6x16AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, beta float32)

//go:noescape
func copy8AVX2(d *float32, src *float32, lds, kc int, alpha float32)

//go:noescape
func transpose8AVX2(d *float32, w int, src *float32, lds, kc int, alpha float32)

var (
	gemmAVX512 = &gemmKernel{mr: 8, nr: 48, name: "asm-avx512", fn: kern8x48AVX512, edge: kern8x48AVX512Edge}
	// The AVX2 kernel takes B's rows one cache line at a time, so with rows
	// a page or more apart (ldb ≥ 1024) it waits on the TLB: packing B then
	// gains 15–20% (conv shapes, N = 2048). The AVX-512 kernel, with three
	// lines per row and twice the work per step, is faster in place.
	gemmAVX2 = &gemmKernel{mr: 6, nr: 16, name: "asm-avx2", fn: kern6x16AVX2, packWide: 1024}
)

// bestAsmGemm returns the fastest assembly kernel the CPU and OS support,
// or nil.
func bestAsmGemm() *gemmKernel {
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return gemmAVX512
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return gemmAVX2
	}
	return nil
}

func init() {
	if g := bestAsmGemm(); g != nil {
		useGemm(g)
		transpose8 = func(d []float32, w int, src []float32, lds, kc int, alpha float32) {
			if n := kc &^ 7; n > 0 {
				_ = d[(n-1)*w+7]
				_ = src[7*lds+n-1]
				transpose8AVX2(&d[0], w, &src[0], lds, n, alpha)
			}
			transpose8Go(d, w, src, lds, kc&^7, kc, alpha)
		}
		copy8 = func(d, src []float32, lds, kc int, alpha float32) {
			if kc > 0 {
				_ = d[kc*8-1]
				_ = src[(kc-1)*lds+7]
				copy8AVX2(&d[0], &src[0], lds, kc, alpha)
			}
		}
	}
}
