package kern

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

const benchN = 1 << 16 // 256 KiB per slice: L2-resident, like one chunk of activations

func benchElem(b *testing.B, f func(y, x, dy []float32)) {
	rng := rand.New(rand.NewPCG(4, 4))
	x, y, dy := randSlice(rng, benchN), make([]float32, benchN), randSlice(rng, benchN)
	b.SetBytes(4 * benchN)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	t0, ok := threadCPU()
	for b.Loop() {
		f(y, x, dy)
	}
	elems := float64(benchN) * float64(b.N)
	b.ReportMetric(elems/b.Elapsed().Seconds()/1e9, "Gelem/s")
	if t1, ok1 := threadCPU(); ok && ok1 && t1 > t0 {
		b.ReportMetric(elems/(t1-t0).Seconds()/1e9, "Gelem/cpu-s")
	}
}

// BenchmarkExp compares the scalar Exp, called per element, with ExpTo.
func BenchmarkExp(b *testing.B) {
	b.Run("scalar", func(b *testing.B) {
		benchElem(b, func(y, x, _ []float32) {
			for i, v := range x {
				y[i] = Exp(v)
			}
		})
	})
	b.Run("ExpTo", func(b *testing.B) { benchElem(b, func(y, x, _ []float32) { ExpTo(y, x) }) })
}

func BenchmarkSiLU(b *testing.B) {
	b.Run("scalar", func(b *testing.B) { benchElem(b, func(y, x, _ []float32) { siluScalar(y, x) }) })
	b.Run("SiLU", func(b *testing.B) { benchElem(b, func(y, x, _ []float32) { SiLU(y, x) }) })
	b.Run("SiLUGrad", func(b *testing.B) { benchElem(b, func(y, x, dy []float32) { SiLUGrad(y, x, dy) }) })
	b.Run("AffineSiLUTo", func(b *testing.B) {
		t := make([]float32, benchN)
		benchElem(b, func(y, x, _ []float32) { AffineSiLUTo(y, t, x, 0.9, 0.1) })
	})
}

func BenchmarkAdam(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 5))
	p, g, m, v := randSlice(rng, benchN), randSlice(rng, benchN), make([]float32, benchN), make([]float32, benchN)
	b.Run("scalar", func(b *testing.B) {
		benchElem(b, func(_, _, _ []float32) { adamStepScalar(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001, 0) })
	})
	b.Run("AdamStep", func(b *testing.B) {
		benchElem(b, func(_, _, _ []float32) { AdamStep(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001, 0) })
	})
}

func BenchmarkReduce(b *testing.B) {
	b.Run("SumSq", func(b *testing.B) { benchElem(b, func(_, x, _ []float32) { _ = SumSq(x) }) })
	b.Run("Dot", func(b *testing.B) { benchElem(b, func(_, x, dy []float32) { _ = Dot(x, dy) }) })
	b.Run("Axpy", func(b *testing.B) { benchElem(b, func(y, x, _ []float32) { Axpy(0.5, x, y) }) })
}
