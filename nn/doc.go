// Package nn is genlab's shared tensor/autodiff layer over gorgonia.org/gorgonia
// and gorgonia.org/tensor: float32 layers (Linear, SiLU, Fourier noise
// embedding, GroupNorm, 3×3 convolutions, up-sampling), two models (an MLP and
// a small U-Net) behind the Model interface, a trainer with a Go
// implementation of Adam (Trainer), a forward-only evaluator (Predictor), an
// exponential moving average of the weights (EMA), and checksummed,
// atomically written checkpoints.
//
// Two routes run a model. The UNet and the MLP run on nn's engine
// (engine.go): a hand-fused forward and backward pass over CNHW activations,
// one GEMM per convolution over a shard of the batch, GroupNorm+SiLU and the
// embedding add fused, skip connections written into their concatenation,
// no allocation after the first step, shards spread over GOMAXPROCS worker
// goroutines with results independent of the thread count; its float32
// kernels (GEMM in Go assembly with AVX-512/AVX2 micro-kernels, vectorised
// exp/SiLU/Adam/EMA, OpenBLAS with -tags openblas) live in nn/kern. Every
// other Model, and every graph a caller builds with a Binder, runs as a
// gorgonia graph differentiated by gorgonia, which is also the reference
// the engine is tested against (same outputs to 1e-5, gradients to 1e-4).
//
// Gorgonia practice followed throughout: each graph is built once for a fixed
// batch size and run many times on a TapeMachine; outputs are bound with
// gorgonia.Read before compiling (the TapeMachine reuses registers, gorgonia
// issue #576) and the machine is Reset between runs. Every graph built from a
// model binds the same *tensor.Dense of each Param, so an update written into
// Param.Value is seen by every Trainer and Predictor of that model.
//
// Two gorgonia hazards shape the code. Reshape shares memory with its input
// and the TapeMachine may later overwrite the reshaped register in place, so
// a node that has other consumers is never reshaped (GroupNorm reduces with
// Mean instead), and parameter nodes are never reshaped at all (biases are
// stored in their broadcast shapes, e.g. 1×C×1×1). Input nodes are
// deduplicated by name, so Binder gives every parameter node a unique name.
// Multi-axis reductions of tensor v0.9.24 index out of range for some
// shapes; reductions here go one axis at a time.
//
// Graphs of other shapes (a GAN's generator and discriminator losses, say)
// can share a model's parameters through a Binder and train them with Adam.
//
// Randomness: every random draw (initial weights, Fourier frequencies) comes
// from an explicitly passed *rand.Rand (math/rand/v2); the same seed gives
// bit-identical weights.
package nn
