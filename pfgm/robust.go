package pfgm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"genlab/diffusion"
	"genlab/nn"
)

// StateNoise returns the state-noise perturbation of the official robustness
// protocol (generate_alpha.py) as a sampler hook: before every step i,
// including the first at σ_max,
//
//	x ← x + α·σ_i·ε,  ε ~ N(0, I).
//
// ε for step i and row j of x comes from its own generator seeded from
// (seed, i, firstRow+j), so the same seed gives the same ε across D, batch
// sizes and sampler runs (firstRow is the global index of the batch's first
// row). α = 0 returns nil (no hook). It panics if α < 0 or NaN.
func StateNoise(alpha float64, seed uint64, firstRow int) diffusion.Hook {
	if !(alpha >= 0) {
		panic(fmt.Sprintf("pfgm: StateNoise: alpha = %v", alpha))
	}
	if alpha == 0 {
		return nil
	}
	return func(i int, sigma float64, x *mat.Dense) {
		rows, cols := x.Dims()
		for j := 0; j < rows; j++ {
			rng := rand.New(rand.NewPCG(seed, splitmix(uint64(i)<<40^uint64(firstRow+j))))
			row := x.RawRowView(j)
			for c := 0; c < cols; c++ {
				row[c] += alpha * sigma * rng.NormFloat64()
			}
		}
	}
}

// splitmix is the SplitMix64 finaliser, used to spread (step, row) stream
// numbers over the generator's state.
func splitmix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// QuantizeMinMax sets dst to the b-bit per-tensor asymmetric min–max
// quantisation of w, as the official post-training protocol
// (generate_quant.py) does: with Q = 2^b − 1,
//
//	scale = (max w − min w)/Q
//	zero  = ⌊clamp(−min w/scale, 0, Q)⌋
//	q     = round(clamp(zero + w/scale, 0, Q))   (half to even)
//	ŵ     = scale·(q − zero).
//
// As in the official code, the integer grid is anchored at 0: when all
// weights share one sign, zero is clamped to 0 or Q and the far end of the
// range saturates. A constant tensor (scale 0) is copied unchanged. dst may alias w. It
// panics if len(dst) != len(w) or b is not in [1, 30].
func QuantizeMinMax(dst, w []float32, bits int) {
	if len(dst) != len(w) {
		panic(fmt.Sprintf("pfgm: QuantizeMinMax: len(dst) = %d, len(w) = %d", len(dst), len(w)))
	}
	if bits < 1 || bits > 30 {
		panic(fmt.Sprintf("pfgm: QuantizeMinMax: bits = %d", bits))
	}
	if len(w) == 0 {
		return
	}
	lo, hi := float64(w[0]), float64(w[0])
	for _, v := range w {
		lo = math.Min(lo, float64(v))
		hi = math.Max(hi, float64(v))
	}
	qmax := float64(int(1)<<bits - 1)
	scale := (hi - lo) / qmax
	if scale == 0 {
		copy(dst, w)
		return
	}
	zero := math.Trunc(clamp(-lo/scale, 0, qmax))
	for i, v := range w {
		q := math.RoundToEven(clamp(zero+float64(v)/scale, 0, qmax))
		dst[i] = float32(scale * (q - zero))
	}
}

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// IsWeightMatrix reports whether a parameter is quantised by the post-training
// protocol: a trainable tensor with at least two axes longer than 1 (a weight
// matrix or convolution kernel). Biases and normalisation gains (1×n),
// frozen tensors (the fixed Fourier frequencies of the noise embedding) and
// scalars are left at full precision, as the official code leaves biases and
// norm/affine/embedding parameters.
func IsWeightMatrix(p *nn.Param) bool {
	if p.Frozen {
		return false
	}
	big := 0
	for _, s := range p.Shape {
		if s > 1 {
			big++
		}
	}
	return big >= 2
}

// QuantizeWeights returns a clone of m whose weight matrices (IsWeightMatrix)
// are replaced by their b-bit per-tensor min–max quantisation
// (QuantizeMinMax), and the names of the quantised tensors. m is unchanged.
func QuantizeWeights(m nn.Model, bits int) (nn.Model, []string, error) {
	q := m.Clone()
	vals := nn.GetParams(q)
	var names []string
	for i, p := range q.Params() {
		if IsWeightMatrix(p) {
			QuantizeMinMax(vals[i], vals[i], bits)
			names = append(names, p.Name)
		}
	}
	if err := nn.SetParams(q, vals); err != nil {
		return nil, nil, fmt.Errorf("pfgm: quantise %d bits: %w", bits, err)
	}
	return q, names, nil
}
