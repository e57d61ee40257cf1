package nn_test

import (
	"fmt"
	"math/rand/v2"

	"genlab/nn"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A graph with its own loss (here mean |F − y|, not the Trainer's squared
// error) over a model's parameters: a Binder makes the parameter nodes, the
// graph is compiled once, and Adam applies the gradients read after each run.
func ExampleBinder() {
	rng := rand.New(rand.NewPCG(2, 2))
	d := nn.NewDense("fit", 2, 1, 1, rng) // F(x) = x·W + b
	const batch = 16
	xs := make([]float32, 2*batch)
	ys := make([]float32, batch)
	for i := 0; i < batch; i++ {
		xs[2*i], xs[2*i+1] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		ys[i] = 3*xs[2*i] - xs[2*i+1] + 0.5
	}

	g := G.NewGraph()
	b := nn.NewBinder(g)
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 2), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(batch, 2), tensor.WithBacking(xs))))
	y := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 1), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(batch, 1), tensor.WithBacking(ys))))
	f := G.Must(d.Apply(x, b.Node))
	loss := G.Must(G.Mean(G.Must(G.Abs(G.Must(G.Sub(f, y))))))
	params := d.Params()
	nodes := []*G.Node{b.Node(params[0]), b.Node(params[1])}
	if _, err := G.Grad(loss, nodes...); err != nil {
		panic(err)
	}
	var lv G.Value
	G.Read(loss, &lv)
	vm := G.NewTapeMachine(g, G.BindDualValues(nodes...))
	defer vm.Close()
	opt, _ := nn.NewAdam(params, nn.AdamConfig{LR: 0.05})
	for step := 0; step < 400; step++ {
		if err := vm.RunAll(); err != nil {
			panic(err)
		}
		grads := make([][]float32, len(nodes))
		for i, n := range nodes {
			gv, _ := n.Grad()
			grads[i] = append([]float32(nil), gv.Data().([]float32)...)
			gv.(tensor.Tensor).Zero() // gorgonia accumulates gradients
		}
		vm.Reset()
		if err := opt.Update(grads); err != nil {
			panic(err)
		}
	}
	w := params[0].Data()
	fmt.Printf("W ≈ (%.1f, %.1f), b ≈ %.1f, loss < 0.05: %v\n", w[0], w[1], params[1].Data()[0], lv.Data().(float32) < 0.05)
	// Output: W ≈ (3.0, -1.0), b ≈ 0.5, loss < 0.05: true
}
