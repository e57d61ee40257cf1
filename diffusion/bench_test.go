package diffusion

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/internal/cputime"
	"genlab/nn"
)

// BenchmarkSampleUNet times EDM's Heun sampler (18 steps, NFE 35, σ from 80
// to 0.002 on the ρ = 7 grid) drawing 500 samples at 14×14 through
// NetDenoiser over the mnist experiment's U-Net (32 channels) at batch 500,
// the no-tape inference path. The output layer is randomised so that the
// network does real work. bench/torch_unet_sample.py is the PyTorch peer
// (same network, sampler and batch, torch.no_grad). One op is the whole
// sampling run; ×20 gives the 10,000 samples of an fid_lenet evaluation.
func BenchmarkSampleUNet(b *testing.B) {
	for _, s := range []struct{ res, channels, batch, n, steps int }{{14, 32, 500, 500, 18}} {
		b.Run(fmt.Sprintf("res=%d/ch=%d/batch=%d/n=%d/nfe=%d", s.res, s.channels, s.batch, s.n, 2*s.steps-1), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(0, 1))
			u, err := nn.NewUNet(nn.UNetConfig{C: 1, H: s.res, W: s.res, Channels: s.channels}, rng)
			if err != nil {
				b.Fatal(err)
			}
			ps := u.Params()
			w := ps[len(ps)-2].Data() // conv_out's weights, zero at init
			for i := range w {
				w[i] = float32(rng.NormFloat64() * 0.05)
			}
			den, err := NewNetDenoiser(u, EDM{SigmaData: 0.5}, s.batch)
			if err != nil {
				b.Fatal(err)
			}
			defer den.Close()
			sig := KarrasSigmas(s.steps, SigmaMin, SigmaMax, Rho)
			x := mat.NewDense(s.n, s.res*s.res, nil)
			run := func() {
				for i := range x.RawMatrix().Data {
					x.RawMatrix().Data[i] = rng.NormFloat64() * sig[0]
				}
				if _, err := Heun(context.Background(), den, x, sig, nil); err != nil {
					b.Fatal(err)
				}
			}
			run()
			b.ResetTimer()
			cpu0 := cputime.Process()
			for i := 0; i < b.N; i++ {
				run()
			}
			if d := cputime.Process() - cpu0; d > 0 {
				b.ReportMetric(d.Seconds()*1e3/float64(b.N), "cpu-ms/op")
			}
		})
	}
}
