package gan

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// Sampler evaluates a generator (usually the EMA) at a fixed batch size:
// Map sends z to w, Synth renders W+ codes. Both read the generator's
// current parameters (HP weights are rebuilt by BuildW on every call). A
// generator with noise inputs is rendered with fixed noise (StyleGAN2's
// noise_mode "const"): per layer one N(0, 1) map drawn from a fixed seed
// (ConstNoiseSeed, stream = layer index) and shared by every image, so
// renders are deterministic and do not depend on the batch size.
type Sampler struct {
	gen   *Generator
	batch int
	mvm   G.VM
	mz    *G.Node
	mw    G.Value
	syn   *genGraph
}

// ConstNoiseSeed seeds the sampler's fixed noise maps.
const ConstNoiseSeed = 0x6e6f697365

// constNoise returns, per layer of gen with noise inputs, its fixed map
// repeated over the batch (nil for the other layers).
func constNoise(gen *Generator, batch int) [][]float64 {
	out := make([][]float64, len(gen.Layers))
	for i, l := range gen.Layers {
		if l.Noise == nil {
			continue
		}
		rng := rand.New(rand.NewPCG(ConstNoiseSeed, uint64(i)))
		r := 8 << (i / 3)
		m := make([]float64, r*r)
		for j := range m {
			m[j] = rng.NormFloat64()
		}
		for k := 0; k < batch; k++ {
			out[i] = append(out[i], m...)
		}
	}
	return out
}

// NewSampler compiles the mapping and synthesis graphs of gen.
func NewSampler(gen *Generator, batch int) (*Sampler, error) {
	b := newGB32()
	s := &Sampler{gen: gen, batch: batch, mz: b.input("z", batch, gen.Cfg.ZDim)}
	w := gen.mapping(b, s.mz)
	if b.err != nil {
		return nil, fmt.Errorf("gan: sampler mapping: %w", b.err)
	}
	G.Read(w, &s.mw)
	s.mvm = G.NewTapeMachine(b.g)
	var err error
	if s.syn, err = newGenGraph(gen, genSpec{batch: batch, wplus: true}); err != nil {
		return nil, err
	}
	s.syn.setNoise(constNoise(gen, batch))
	return s, nil
}

// Batch returns the fixed batch size.
func (s *Sampler) Batch() int { return s.batch }

// Map returns w = mapping(z) for batch×ZDim latents (batch×WDim, a copy).
func (s *Sampler) Map(z []float32) ([]float32, error) {
	if len(z) != s.batch*s.gen.Cfg.ZDim {
		panic(fmt.Sprintf("gan: Sampler.Map: %d values, want %d", len(z), s.batch*s.gen.Cfg.ZDim))
	}
	setInput(s.mz, z)
	defer s.mvm.Reset()
	if err := s.mvm.RunAll(); err != nil {
		return nil, fmt.Errorf("gan: mapping: %w", err)
	}
	return append([]float32(nil), s.mw.Data().([]float32)...), nil
}

// Synth renders one image per row of the W+ codes: slots[i] (batch×WDim)
// feeds layer i. It returns batch×Res² pixels (a copy).
func (s *Sampler) Synth(slots [][]float32) ([]float32, error) {
	if len(slots) != len(s.syn.slots) {
		panic(fmt.Sprintf("gan: Sampler.Synth: %d slots, want %d", len(slots), len(s.syn.slots)))
	}
	for i, sl := range slots {
		if len(sl) != s.batch*s.gen.Cfg.WDim {
			panic(fmt.Sprintf("gan: Sampler.Synth: slot %d has %d values, want %d", i, len(sl), s.batch*s.gen.Cfg.WDim))
		}
		setInput(s.syn.slots[i], sl)
	}
	out, err := s.syn.run()
	if err != nil {
		return nil, err
	}
	img := make([]float32, len(out.img))
	for i, v := range out.img {
		img[i] = float32(v)
	}
	return img, nil
}
