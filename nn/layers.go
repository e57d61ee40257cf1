package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Linear returns x·W + b for x of shape N×in, W of shape in×out and b of
// shape 1×out (broadcast over the N rows). b may be nil.
func Linear(x, w, b *G.Node) (*G.Node, error) {
	y, err := G.Mul(x, w)
	if err != nil {
		return nil, fmt.Errorf("nn: linear x·W: %w", err)
	}
	if b == nil {
		return y, nil
	}
	y, err = G.BroadcastAdd(y, b, nil, []byte{0})
	if err != nil {
		return nil, fmt.Errorf("nn: linear bias: %w", err)
	}
	return y, nil
}

// SiLU returns x·σ(x) elementwise, σ(x) = 1/(1+e^(−x)) (the "swish" unit;
// gorgonia has no SiLU op). For float32 it is one fused op whose gradient is
// ∂x = ∂y·σ(x)·(1 + x·(1−σ(x))); otherwise it is composed as x ⊙ Sigmoid(x).
func SiLU(x *G.Node) (*G.Node, error) {
	if x.Dtype() != tensor.Float32 {
		return composedSiLU(x)
	}
	y, err := G.ApplyOp(newSiLUOp(x.Shape()), x)
	if err != nil {
		return nil, fmt.Errorf("nn: silu: %w", err)
	}
	return y, nil
}

// composedSiLU is SiLU from gorgonia's Sigmoid and HadamardProd.
func composedSiLU(x *G.Node) (*G.Node, error) {
	s, err := G.Sigmoid(x)
	if err != nil {
		return nil, fmt.Errorf("nn: silu sigmoid: %w", err)
	}
	y, err := G.HadamardProd(x, s)
	if err != nil {
		return nil, fmt.Errorf("nn: silu product: %w", err)
	}
	return y, nil
}

// FourierFeatures embeds a per-row scalar c (a vector of length N) with fixed
// frequencies f (shape 1×F) as the N×2F matrix
//
//	[cos(2π f_k c_i) … , sin(2π f_k c_i) …],
//
// the random Fourier embedding of NCSN++/EDM (FourierEmbedding). The angle is
// the outer product c·f formed by a matrix product.
func FourierFeatures(c, freqs *G.Node) (*G.Node, error) {
	n := c.Shape().TotalSize()
	cc, err := G.Reshape(c, tensor.Shape{n, 1})
	if err != nil {
		return nil, fmt.Errorf("nn: fourier reshape: %w", err)
	}
	ang, err := G.Mul(cc, freqs)
	if err != nil {
		return nil, fmt.Errorf("nn: fourier angle: %w", err)
	}
	ang, err = G.Mul(ang, G.NewConstant(float32(2*math.Pi)))
	if err != nil {
		return nil, fmt.Errorf("nn: fourier 2π: %w", err)
	}
	cs, err := G.Cos(ang)
	if err != nil {
		return nil, fmt.Errorf("nn: fourier cos: %w", err)
	}
	sn, err := G.Sin(ang)
	if err != nil {
		return nil, fmt.Errorf("nn: fourier sin: %w", err)
	}
	out, err := G.Concat(1, cs, sn)
	if err != nil {
		return nil, fmt.Errorf("nn: fourier concat: %w", err)
	}
	return out, nil
}

// heNormal fills w with independent N(0, 2/fanIn) draws (He/Kaiming normal
// initialisation for ReLU-like units such as SiLU).
func heNormal(w []float32, fanIn int, rng *rand.Rand) {
	std := math.Sqrt(2 / float64(fanIn))
	for i := range w {
		w[i] = float32(rng.NormFloat64() * std)
	}
}

// NormalFill fills w with independent N(0, std²) draws.
func NormalFill(w []float32, std float64, rng *rand.Rand) {
	for i := range w {
		w[i] = float32(rng.NormFloat64() * std)
	}
}
