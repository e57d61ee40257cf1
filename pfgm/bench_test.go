package pfgm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkPerturb times the kernel sampler at N = 784 (MNIST) for a few D:
// one op is one batch of 256 rows, the batch of the foundation's MLP
// training-step benchmark (nn.BenchmarkTrainStepMLP, 784-512×4-784), so
// ns/op compares directly with that step; samples/s is reported too.
func BenchmarkPerturb(b *testing.B) {
	const n, batch = 784, 256
	for _, c := range []struct {
		name string
		k    Kernel
	}{
		{"D=4", Kernel{D: 4}},
		{"D=128", Kernel{D: 128}},
		{"D=inf", Kernel{D: inf}},
		{"D=128/clip-like-official", Kernel{D: 128, ClipLikeOfficial: true}},
	} {
		b.Run(fmt.Sprintf("N=%d/%s", n, c.name), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			y := make([]float64, n*batch)
			x := make([]float64, n*batch)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for r := 0; r < batch; r++ {
					c.k.Perturb(x[r*n:(r+1)*n], y[r*n:(r+1)*n], 0.7, rng)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
