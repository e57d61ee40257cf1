package nn_test

import (
	"fmt"
	"math/rand/v2"

	"genlab/nn"
)

// Train a small MLP to map x to 2x on a fixed batch, then predict.
func ExampleTrainer() {
	rng := rand.New(rand.NewPCG(1, 1))
	m, err := nn.NewMLP(nn.MLPConfig{In: 1, Out: 1, Hidden: 32, Layers: 2}, rng)
	if err != nil {
		panic(err)
	}
	const batch = 8
	tr, err := nn.NewTrainer(m, batch, nn.AdamConfig{LR: 1e-2})
	if err != nil {
		panic(err)
	}
	defer tr.Close()
	x := []float32{-1, -0.75, -0.5, -0.25, 0.25, 0.5, 0.75, 1}
	target := make([]float32, batch)
	weight := make([]float32, batch)
	c := make([]float32, batch)
	for i := range x {
		target[i], weight[i] = 2*x[i], 1
	}
	var loss float64
	for s := 0; s < 300; s++ {
		if loss, _, err = tr.Step(x, c, target, weight); err != nil {
			panic(err)
		}
	}
	p, _ := nn.NewPredictor(m, batch)
	defer p.Close()
	out := make([]float32, batch)
	p.Predict(out, x, c)
	fmt.Printf("loss < 1e-3: %v; F(1) ≈ %.1f\n", loss < 1e-3, out[7])
	// Output: loss < 1e-3: true; F(1) ≈ 2.0
}
