package main

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"genlab/diffusion"
	"genlab/nn"
)

// Samples come from per-sample prior seeds: the first rows are the same
// whether 7 or 300 samples are drawn (300 spans two denoiser batches of 250).
func TestSamplesDoNotDependOnCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	m, err := nn.NewMLP(nn.MLPConfig{In: 49, Out: 49, Hidden: 32, Layers: 2, Fourier: 8}, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() { // a non-trivial network (the output layer starts at zero)
		for i := range p.Data() {
			if !p.Frozen {
				p.Data()[i] = float32(0.1 * rng.NormFloat64())
			}
		}
	}
	target := diffusion.EDM{SigmaData: 0.5}
	a, _, err := sample(context.Background(), m, target, diffusion.Gaussian{}, 7, 49, 4, 42)
	if err != nil {
		t.Fatal(err)
	}
	b, nfe, err := sample(context.Background(), m, target, diffusion.Gaussian{}, 300, 49, 4, 42)
	if err != nil {
		t.Fatal(err)
	}
	if nfe != 7 {
		t.Errorf("Heun with 4 steps: %d evaluations, want 7", nfe)
	}
	for i := 0; i < 7; i++ {
		for j := 0; j < 49; j++ {
			if d := math.Abs(a.At(i, j) - b.At(i, j)); d > 1e-9 {
				t.Fatalf("sample %d pixel %d: %v with 7 samples, %v with 300", i, j, a.At(i, j), b.At(i, j))
			}
		}
	}
	c, _, err := sample(context.Background(), m, target, diffusion.Gaussian{}, 7, 49, 4, 43)
	if err != nil {
		t.Fatal(err)
	}
	if c.At(0, 0) == a.At(0, 0) {
		t.Error("another generation seed gave the same sample")
	}
}
