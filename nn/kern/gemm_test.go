package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

type sgemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// refSgemm returns C = alpha·op(A)·op(B) + beta·C in float64 and, per
// element, the magnitude Σ|alpha·a·b| + |beta·c| that bounds rounding.
func refSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (ref, mag []float64) {
	ref, mag = make([]float64, m*n), make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, t float64
			for p := 0; p < k; p++ {
				ai, bi := i*lda+p, p*ldb+j
				if transA {
					ai = p*lda + i
				}
				if transB {
					bi = j*ldb + p
				}
				av, bv := a[ai], b[bi]
				s += float64(av) * float64(bv)
				t += math.Abs(float64(av) * float64(bv))
			}
			s *= float64(alpha)
			t *= math.Abs(float64(alpha))
			if beta != 0 {
				s += float64(beta) * float64(c[i*ldc+j])
				t += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			ref[i*n+j], mag[i*n+j] = s, t
		}
	}
	return ref, mag
}

func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// checkSgemmCase runs f on one case and compares with refSgemm within
// 1e-6·(√k+2)·mag: float32 accumulation of k terms, in any order, errs by
// at most about k·2⁻²⁴·mag, and typically by √k·2⁻²⁴·mag; the stated bound
// sits between. Padding columns of C (beyond n) must stay untouched.
func checkSgemmCase(t *testing.T, name string, f sgemmFunc, rng *rand.Rand, tA, tB bool, m, n, k, pad int, alpha, beta float32) {
	t.Helper()
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+pad, bc+2*pad, n+3*pad
	a := randSlice(rng, max(0, (ar-1)*lda+ac))
	b := randSlice(rng, max(0, (br-1)*ldb+bc))
	c := randSlice(rng, m*ldc)
	if beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	c0 := append([]float32(nil), c...)
	ref, mag := refSgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c0, ldc)
	f(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	tol := 1e-6 * (math.Sqrt(float64(k)) + 2)
	for i := 0; i < m; i++ {
		for j := 0; j < ldc; j++ {
			got := c[i*ldc+j]
			if j >= n {
				if math.Float32bits(got) != math.Float32bits(c0[i*ldc+j]) {
					t.Fatalf("%s tA=%v tB=%v %dx%dx%d: padding C[%d,%d] changed", name, tA, tB, m, n, k, i, j)
				}
				continue
			}
			want, bound := ref[i*n+j], tol*mag[i*n+j]+1e-30
			if d := math.Abs(float64(got) - want); !(d <= bound) {
				t.Fatalf("%s tA=%v tB=%v m=%d n=%d k=%d pad=%d α=%v β=%v: C[%d,%d] = %v, want %v (|err| %.3g > %.3g)",
					name, tA, tB, m, n, k, pad, alpha, beta, i, j, got, want, d, bound)
			}
		}
	}
}

var gemmImpls = []struct {
	name string
	f    sgemmFunc
}{
	{"scalar", sgemmScalar},
	{"gonum", sgemmGonum},
	{"Sgemm", Sgemm},
}

func TestSgemmOddSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	sizes := []int{1, 2, 3, 7, 17, 33, 65}
	for _, g := range gemmImpls {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, m := range sizes {
					for _, n := range sizes {
						for _, k := range sizes {
							checkSgemmCase(t, g.name, g.f, rng, tA, tB, m, n, k, (m+n+k)%3, 1, 0)
						}
					}
				}
			}
		}
	}
}

func TestSgemmAlphaBeta(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct{ alpha, beta float32 }{{1, 0}, {1, 1}, {-0.5, 0}, {2, -1.5}, {0, 0.5}, {0, 0}, {1.25, 1}, {-1, 0.25}}
	for _, g := range gemmImpls {
		for _, ab := range cases {
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					checkSgemmCase(t, g.name, g.f, rng, tA, tB, 19, 37, 23, 5, ab.alpha, ab.beta)
					checkSgemmCase(t, g.name, g.f, rng, tA, tB, 4, 5, 0, 1, ab.alpha, ab.beta)
				}
			}
		}
	}
}

// TestSgemmLarge covers the blocking of the fast path: sizes beyond one
// cache block in each dimension, with ragged edges.
func TestSgemmLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 3))
	shapes := [][3]int{{131, 300, 600}, {64, 1030, 144}, {257, 129, 513}, {6, 2049, 9}}
	for _, s := range shapes {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				checkSgemmCase(t, "Sgemm", Sgemm, rng, tA, tB, s[0], s[1], s[2], 3, 0.75, 0.5)
			}
		}
	}
}

// TestSgemmAgreement requires the selected fast path and the scalar
// reference to agree within the same bound on identical inputs.
func TestSgemmAgreement(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 4))
	for _, s := range [][3]int{{32, 500, 144}, {65, 77, 300}, {1, 1, 1000}} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				m, n, k := s[0], s[1], s[2]
				a, b := randSlice(rng, m*k), randSlice(rng, k*n)
				lda, ldb := k, n
				if tA {
					lda = m
				}
				if tB {
					ldb = k
				}
				c1, c2 := make([]float32, m*n), make([]float32, m*n)
				sgemmScalar(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c1, n)
				Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c2, n)
				_, mag := refSgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c1, n)
				tol := 2e-6 * (math.Sqrt(float64(k)) + 2)
				for i := range c1 {
					if d := math.Abs(float64(c1[i] - c2[i])); d > tol*mag[i] {
						t.Fatalf("%s tA=%v tB=%v %v: element %d: scalar %v, fast %v", Impl(), tA, tB, s, i, c1[i], c2[i])
					}
				}
			}
		}
	}
}

func TestSgemmPanics(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	a, b, c := make([]float32, 6), make([]float32, 6), make([]float32, 4)
	mustPanic("short C", func() { Sgemm(false, false, 2, 3, 3, 1, a, 3, b, 3, 0, c, 3) })
	mustPanic("small lda", func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2) })
	mustPanic("negative", func() { Sgemm(false, false, -1, 2, 3, 1, a, 3, b, 2, 0, c, 2) })
}

// gemmShapes are the shapes that matter to genlab: convolution forward
// (W·col), its backward transposes, the MLP layers and a small one.
var gemmShapes = []struct {
	name    string
	tA, tB  bool
	m, n, k int
}{
	{"conv64x2048x576", false, false, 64, 2048, 576},
	{"conv128x2048x1152", false, false, 128, 2048, 1152},
	{"conv32x2048x144", false, false, 32, 2048, 144},
	{"convWtdY576x2048x64", true, false, 576, 2048, 64},
	{"convdYcolT64x576x2048", false, true, 64, 576, 2048},
	{"mlp256x512x816", false, false, 256, 512, 816},
	{"mlp256x512x512", false, false, 256, 512, 512},
	{"mlpT816x512x256", false, true, 256, 816, 512},
	{"mlpTA512x512x256", true, false, 512, 512, 256},
	{"small64x128x128", false, false, 64, 128, 128},
}

// benchSgemm reports GFLOP/s and, for single-threaded f, GFLOP per
// CPU-second of the calling thread.
func benchSgemm(b *testing.B, f sgemmFunc, singleThreaded bool) {
	for _, s := range gemmShapes {
		b.Run(s.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(2, 2))
			lda, ldb := s.k, s.n
			if s.tA {
				lda = s.m
			}
			if s.tB {
				ldb = s.k
			}
			a, bb, c := randSlice(rng, s.m*s.k), randSlice(rng, s.k*s.n), make([]float32, s.m*s.n)
			f(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ReportAllocs()
			b.ResetTimer()
			t0, ok := threadCPU()
			for b.Loop() {
				f(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			}
			flop := 2 * float64(s.m*s.n*s.k) * float64(b.N)
			b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			// GFLOP per CPU-second of this thread: the kernel's speed while it
			// had a core.
			if t1, ok1 := threadCPU(); singleThreaded && ok && ok1 && t1 > t0 {
				b.ReportMetric(flop/(t1-t0).Seconds()/1e9, "GFLOP/cpu-s")
			}
		})
	}
}

// BenchmarkSgemm measures the selected path (see Impl) over gemmShapes.
func BenchmarkSgemm(b *testing.B) { benchSgemm(b, Sgemm, Impl() != "gonum") }

// BenchmarkSgemmScalar measures the pure-Go reference.
func BenchmarkSgemmScalar(b *testing.B) { benchSgemm(b, sgemmScalar, true) }

func Example_impl() {
	c := make([]float32, 4)
	Sgemm(false, false, 2, 2, 2, 1, []float32{1, 2, 3, 4}, 2, []float32{5, 6, 7, 8}, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [19 22 43 50]
}

// TestSgemmConcurrent runs Sgemm from several goroutines at once (the
// engine parallelises over chunks), each checked against the reference.
func TestSgemmConcurrent(t *testing.T) {
	const workers = 4
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			rng := rand.New(rand.NewPCG(7, uint64(w)))
			m, n, k := 40+w, 300+7*w, 200
			tB, ldb := w%2 == 1, n
			if tB {
				ldb = k
			}
			a, b := randSlice(rng, m*k), randSlice(rng, k*n)
			want, got := make([]float32, m*n), make([]float32, m*n)
			sgemmScalar(false, tB, m, n, k, 1, a, k, b, ldb, 0, want, n)
			for range 20 {
				Sgemm(false, tB, m, n, k, 1, a, k, b, ldb, 0, got, n)
			}
			for i := range want {
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-3 {
					errs <- fmt.Errorf("worker %d: element %d: %v, want %v", w, i, got[i], want[i])
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
