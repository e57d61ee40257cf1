package prior

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/diffusion"
)

// BenchmarkDistilledMask times one mask distillation at k = 20 (S = 100
// noisy copies, one denoiser call) with the exact empirical prior of 500
// maps and with the Gaussian prior fitted to them.
func BenchmarkDistilledMask(b *testing.B) {
	const k, n = 20, 500
	rng := rand.New(rand.NewPCG(1, 1))
	data := mat.NewDense(n, k*k, nil)
	for i := range data.RawMatrix().Data {
		data.RawMatrix().Data[i] = 0.3 * rng.Float64()
	}
	c := mat.NewDense(k, k, nil)
	for i := range c.RawMatrix().Data {
		c.RawMatrix().Data[i] = rng.NormFloat64()
	}
	g, err := FitGaussian(data, 1e-6)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		den  diffusion.Denoiser
	}{{"exact", diffusion.Ideal{Data: data, Kernel: diffusion.Gaussian{}}}, {"gaussian", g}} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := DistilledMask(tc.den, c, 1, 100, rng); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
