package nn

import (
	"fmt"
	"genlab/internal/cputime"
	"math"
	"testing"
	"time"
)

// BenchmarkTrainStepMLP times one EDM-style training step of the MLP
// denoiser at the two shapes of /work/shared/peer/torch_denoiser_step.py:
// 64 Fourier pairs of c_noise = ln(σ)/4 with f ~ N(0, 16²), input
// [c_in·y, embedding], Layers SiLU hidden layers, σ ~ logNormal(−1.2, 1.2),
// σ_data = 0.5, λ-weighted MSE, Adam lr 1e-4. The Go side does the same work
// per step: draws σ and noise, forms the EDM target
// (x − c_skip·y)/c_out with weight λ·c_out²/dim = 1/dim (the peer's
// mean over dimensions), then forward, backward and Adam.
func BenchmarkTrainStepMLP(b *testing.B) {
	for _, s := range []struct{ dim, hidden, layers, batch int }{
		{784, 512, 4, 256},
		{2, 256, 4, 1024},
	} {
		b.Run(fmt.Sprintf("dim=%d/hidden=%d/layers=%d/batch=%d", s.dim, s.hidden, s.layers, s.batch), func(b *testing.B) {
			rng := newRand(0)
			m, err := NewMLP(MLPConfig{In: s.dim, Out: s.dim, Hidden: s.hidden, Layers: s.layers, Fourier: 64, FourierScale: 16}, rng)
			if err != nil {
				b.Fatal(err)
			}
			tr, err := NewTrainer(m, s.batch, AdamConfig{LR: 1e-4})
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			const sd = 0.5
			data := randSlice(s.batch*s.dim, sd, rng)
			in := make([]float32, len(data))
			target := make([]float32, len(data))
			c := make([]float32, s.batch)
			w := make([]float32, s.batch)
			step := func() {
				for i := 0; i < s.batch; i++ {
					sigma := math.Exp(rng.NormFloat64()*1.2 - 1.2)
					q := sigma*sigma + sd*sd
					cSkip, cOut, cIn := sd*sd/q, sigma*sd/math.Sqrt(q), 1/math.Sqrt(q)
					c[i] = float32(math.Log(sigma) / 4)
					w[i] = float32(1 / float64(s.dim))
					for j := 0; j < s.dim; j++ {
						k := i*s.dim + j
						x := float64(data[k])
						y := x + sigma*rng.NormFloat64()
						in[k] = float32(cIn * y)
						target[k] = float32((x - cSkip*y) / cOut)
					}
				}
				if _, _, err := tr.Step(in, c, target, w); err != nil {
					b.Fatal(err)
				}
			}
			for i := 0; i < 2; i++ {
				step()
			}
			b.ResetTimer()
			cpu0 := cputime.Process()
			for i := 0; i < b.N; i++ {
				step()
			}
			reportCPU(b, cpu0)
		})
	}
}

// BenchmarkTrainStepUNet times one training step (forward, backward, Adam
// lr 1e-4) of the U-Net on fixed random inputs, c and targets with unit
// weights (the Trainer's loss mean_i Σ_j (F_ij − target_ij)²), at two shapes:
// the MNIST-sized network of 1×28×28 images, 16 base channels (16/32 at the
// two resolutions) at batch 16, and the mnist experiment's -net unet shape,
// 1×14×14, 32 base channels (32/64), batch 64. bench/torch_unet_step.py is
// the PyTorch peer of both; each reports its trainable parameter count
// ("params"), which must agree.
func BenchmarkTrainStepUNet(b *testing.B) {
	for _, s := range []struct{ res, channels, batch int }{
		{28, 16, 16},
		{14, 32, 64},
	} {
		b.Run(fmt.Sprintf("res=%d/ch=%d/batch=%d", s.res, s.channels, s.batch), func(b *testing.B) {
			rng := newRand(0)
			u, err := NewUNet(UNetConfig{C: 1, H: s.res, W: s.res, Channels: s.channels}, rng)
			if err != nil {
				b.Fatal(err)
			}
			tr, err := NewTrainer(u, s.batch, AdamConfig{LR: 1e-4})
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			x, c := randSlice(s.batch*u.In(), 1, rng), randSlice(s.batch, 1, rng)
			target, w := randSlice(s.batch*u.In(), 1, rng), make([]float32, s.batch)
			for i := range w {
				w[i] = 1
			}
			if _, _, err := tr.Step(x, c, target, w); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := cputime.Process()
			for i := 0; i < b.N; i++ {
				if _, _, err := tr.Step(x, c, target, w); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0)
			b.ReportMetric(float64(NumParams(u)), "params")
		})
	}
}

// reportCPU adds the process CPU time per op (user+system, all threads) as
// "cpu-ms/op": on a shared machine it varies less than wall time.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	if d := cputime.Process() - cpu0; d > 0 {
		b.ReportMetric(d.Seconds()*1e3/float64(b.N), "cpu-ms/op")
	}
}
