// Package kern holds the float32 compute kernels of genlab's fast engine:
// Sgemm (C = α·op(A)·op(B) + β·C, row-major, gonum's blas32 contract), Exp
// and Sigmoid, the SiLU forward and backward passes, the fused
// GroupNorm-affine→SiLU forward, the BLAS-1 kernels (Axpy, Scale, Add,
// AffineTo), float64-accumulated reductions (Sum, SumSq, Dot) and the Adam
// and EMA updates of nn.Adam and nn.EMA. Every kernel is single-threaded;
// callers parallelise over chunks. Each has a pure-Go reference (sgemmScalar,
// expScalar, …) that the tests compare the fast paths against in every build.
//
// # Routes
//
// Impl reports the route as "<route>" or "gemm=<route>,elem=<route>".
//
//	build                          Sgemm                        exp/SiLU family    other elementwise
//	default (amd64)                asm-avx512, asm-avx2, gonum  asm-avx512/-avx2   asm-avx2
//	GOEXPERIMENT=simd              as default                   as default         as default
//	-tags openblas (cgo)           asm-avx512, else openblas    as default         as default
//	-tags purego, other GOARCH     gonum                        scalar             scalar
//
// Each choice is by CPUID (golang.org/x/sys/cpu) at init: AVX-512F selects
// the AVX-512 kernels, AVX2+FMA the AVX2 ones; without AVX2+FMA Sgemm is
// gonum's pure-Go blas32 and the elementwise kernels are scalar Go.
//
// Why assembly: it works in the default build, which is what genlab's
// training runs use, and it measured fastest everywhere. On the development
// machine (AMD EPYC Zen 5, 2 cores shared with other builds, so figures are
// the best of several short runs and vary by ±30%), single-threaded:
//
//	Sgemm GFLOP/s                  scalar  gonum¹  asm-avx2  asm-avx512  OpenBLAS 0.3.21
//	conv 64×2048×576   W·col        4       12      45–60    110–190     55–91
//	conv 128×2048×1152 W·col        4        9      58–75    135–187     30–93
//	conv 32×2048×144   W·col        6       13      34–62    120–193     37–63
//	conv 576×2048×64   Wᵀ·dY        6        9      50–80    119–175     30–68
//	conv 64×576×2048   dY·colᵀ      1.6      9      35–79     97–164     22–85
//	MLP 256×512×816                 3.6      8      22–51    109–165     24–99
//	MLP 256×512×512                 4.3      8      41–55     92–164     28–96
//	MLP 256×816×512    ·Bᵀ          1.3      9      41–59    105–180     14–94
//	MLP 512×512×256    Aᵀ·          1.7      8      42–63    116–157     88–97
//	small 64×128×128                6       17      27–81     52–129     53–74
//
// ¹ gonum's Sgemm may use both cores. The AVX-512 micro-kernel alone runs at
// 196 GFLOP/s in L1, i.e. 2 × 16-lane FMAs per cycle at ~3.1 GHz, the
// core's peak; the large shapes reach 60–95% of it.
//
// The archsimd (GOEXPERIMENT=simd) versions of ExpTo and SiLU ran at ~2.4
// Gelem/s against 4.3 for the AVX-512 assembly (2.0 for AVX2, 0.11 scalar),
// so no build selects them; they stay tested and benchmarked in that build.
// OpenBLAS beats the AVX2 kernel but not the AVX-512 one, hence the openblas
// route above.
//
// # Sgemm
//
// A blocked driver (gemm.go) packs α·op(A) into slivers of mr rows per
// block of kc = 256 steps, reads a row-major B in place (a transposed B is
// packed, 384 columns at a time, by an 8×8 AVX2 block transpose), and calls
// the register-blocked micro-kernel: 8×48 with 24 zmm accumulators
// (AVX-512) or 6×16 with 12 ymm accumulators (AVX2), in gemm_amd64.s.
// Ragged edges go through a scratch tile. Scratch buffers come from a free
// list that the garbage collector does not empty, so calls after the first
// allocate nothing.
//
// # Accuracy
//
// Exp: x = n·ln2 + r with ln2 split in two (Cody–Waite), |r| ≤ ln2/2, a
// degree-7 Taylor polynomial for e^r, 2ⁿ applied in two exact halves so
// that denormal results are correctly scaled. Measured maximum relative
// error against math.Exp over 8.9 million float32 in [−104, 89] (every
// 251st bit pattern) with a normal result: 9.6e-8 (Exp), 7.3e-8 (ExpTo,
// AVX-512). Sigmoid: 1.4e-7. The vector paths agree with the scalar ones
// within 8 ulp of the terms' magnitude (TestElementwiseAgreement), Sgemm's
// paths within 2e-6·(√k+2)·Σ|a||b| (TestSgemmAgreement); Sum, SumSq and Dot
// are bitwise identical in every build.
package kern
