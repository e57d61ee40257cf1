//go:build amd64 && !purego

package kern

import (
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestSgemmAsmKernels runs every assembly kernel the CPU supports (not
// only the selected one) through the odd-size and blocking cases.
func TestSgemmAsmKernels(t *testing.T) {
	kernels := map[*gemmKernel]bool{
		gemmAVX2:   cpu.X86.HasAVX2 && cpu.X86.HasFMA,
		gemmAVX512: cpu.X86.HasAVX512F && cpu.X86.HasAVX2 && cpu.X86.HasFMA,
	}
	rng := rand.New(rand.NewPCG(5, 1))
	for g, ok := range kernels {
		if !ok {
			t.Logf("%s: not supported by this CPU", g.name)
			continue
		}
		f := func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			checkSgemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
			g.sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, s := range [][3]int{{1, 1, 1}, {5, 15, 3}, {7, 17, 33}, {13, 49, 65}, {67, 97, 300}, {131, 400, 40}, {16, 1100, 40}, {800, 53, 41}} {
					checkSgemmCase(t, g.name, f, rng, tA, tB, s[0], s[1], s[2], 1, 1, 0)
					checkSgemmCase(t, g.name, f, rng, tA, tB, s[0], s[1], s[2], 2, -0.5, 1.5)
				}
			}
		}
	}
}

// BenchmarkSgemmAVX2 and BenchmarkSgemmAVX512 measure each assembly kernel
// regardless of the route the build selects.
func BenchmarkSgemmAVX2(b *testing.B) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		b.Skip("no AVX2+FMA")
	}
	benchSgemm(b, gemmAVX2.sgemm, true)
}

func BenchmarkSgemmAVX512(b *testing.B) {
	if !cpu.X86.HasAVX512F || !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		b.Skip("no AVX-512F")
	}
	benchSgemm(b, gemmAVX512.sgemm, true)
}
