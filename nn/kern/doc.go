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
// training runs use, and it measured fastest everywhere. Figures from the
// development machine (AMD EPYC Zen 5, 2 cores shared with other engineers'
// builds), single-threaded, as GFLOP per CPU-second of the calling thread
// (BenchmarkSgemm's GFLOP/cpu-s: the speed while the thread had a core;
// wall-clock figures were 30–100% of these depending on the load), as
// ranges over repeated runs:
//
//	Sgemm (m×n×k)                 scalar  gonum¹  asm-avx2  asm-avx512  OpenBLAS²
//	conv W·col    64×2048×576      2.5     11       75–79    172–195     80–94
//	conv W·col   128×2048×1152     2.7–3.9  7.5     79–80    162–191     93–96
//	conv W·col    32×2048×144      3.7      6.9     56–65    192–200     81–87
//	conv Wᵀ·dY   576×2048×64       3.7      9.9     94–99    190–200     85–97
//	conv dY·colᵀ  64×576×2048      3.3–3.5  9.2     73–85    108–170     80–88
//	MLP          256×512×816       3.6     11       72–88    164–198     76–98
//	MLP          256×512×512       3.4–4.3  8.4     79–97    183–196     77–97
//	MLP ·Bᵀ      256×816×512       3.5      7.2     95–100   172–195     90–98
//	MLP Aᵀ·      512×512×256       3.3–3.7  5.7     79–92    166–195     85–97
//	small         64×128×128       2.2–6.4 14       66–85    150–175     76–91
//
// ¹ Wall clock with GOMAXPROCS=1 under load, so a lower bound: gonum's
// Sgemm runs blocks on several goroutines (and allocates ~70 small objects
// per call doing so). ² Debian's OpenBLAS 0.3.21 (its AVX2 kernels on this CPU),
// OPENBLAS_NUM_THREADS=1. The AVX-512 micro-kernel alone runs at 196
// GFLOP/cpu-s in L1 (two 16-lane FMAs per cycle at ~3.1 GHz, the core's
// peak), so the large shapes reach 85–100% of peak and the smallest 75%.
//
// Elementwise, in Gelem per CPU-second on 65,536 float32 (L2 resident):
// ExpTo 5.2–5.7 (AVX-512), 2.5 (AVX2), 3.5 (archsimd), 0.14–0.22 (Exp per
// element); SiLU 4.1–4.3, 1.8, 2.6, 0.11–0.19; SiLUGrad 3.2–3.3;
// AffineSiLUTo 3.4–3.6; AdamStep 3.4 (scalar 0.4); SumSq 24, Dot 13;
// Axpy 20.
//
// The archsimd versions of ExpTo and SiLU are therefore not selected in any
// build; they stay tested and benchmarked (BenchmarkSiLUArchsimd) with
// GOEXPERIMENT=simd. OpenBLAS beats the AVX2 kernel on the convolution
// shapes but not the AVX-512 one, hence the openblas route above.
//
// # Sgemm
//
// A blocked driver (gemm.go) packs α·op(A) into slivers of mr rows per
// block of kc = 256 steps and calls a register-blocked micro-kernel
// (gemm_amd64.s): 8×48 with 24 zmm accumulators (AVX-512) or 6×16 with 12
// ymm accumulators (AVX2). A row-major B is read in place, except by the
// AVX2 kernel when its rows are ≥ 4 KiB apart (TLB bound); a transposed B
// is packed 384 columns at a time by an 8×8 AVX2 block transpose. The
// AVX-512 kernel finishes a ragged last column sliver under masks; other
// edges go through a scratch tile. Scratch buffers come from a free list
// that the garbage collector does not empty, so calls after the first
// allocate nothing (0 allocs/op in every benchmark).
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
