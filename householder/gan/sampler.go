package gan

import (
	"fmt"

	"genlab/nn"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Sampler evaluates a generator (usually the EMA) at a fixed batch size:
// Map sends z to w, Synth renders W+ codes. Both read the generator's
// current parameters (HP weights are rebuilt by BuildW on every call).
type Sampler struct {
	gen   *Generator
	batch int
	mvm   G.VM
	mz    []float32
	mw    G.Value
	syn   *genGraph
}

// NewSampler compiles the mapping and synthesis graphs of gen.
func NewSampler(gen *Generator, batch int) (*Sampler, error) {
	g := G.NewGraph()
	bd := nn.NewBinder(g)
	s := &Sampler{gen: gen, batch: batch, mz: make([]float32, batch*gen.Cfg.ZDim)}
	z := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, gen.Cfg.ZDim), G.WithName("z"),
		G.WithValue(tensor.New(tensor.WithShape(batch, gen.Cfg.ZDim), tensor.WithBacking(s.mz))))
	b := &gb{}
	w := gen.mapping(b, z, bd.Node)
	if b.err != nil {
		return nil, fmt.Errorf("gan: sampler mapping: %w", b.err)
	}
	G.Read(w, &s.mw)
	s.mvm = G.NewTapeMachine(g)
	var err error
	if s.syn, err = newGenGraph(gen, batch, true, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// Batch returns the fixed batch size.
func (s *Sampler) Batch() int { return s.batch }

// Map returns w = mapping(z) for batch×ZDim latents (batch×WDim, a copy).
func (s *Sampler) Map(z []float32) ([]float32, error) {
	if len(z) != len(s.mz) {
		panic(fmt.Sprintf("gan: Sampler.Map: %d values, want %d", len(z), len(s.mz)))
	}
	copy(s.mz, z)
	defer s.mvm.Reset()
	if err := s.mvm.RunAll(); err != nil {
		return nil, fmt.Errorf("gan: mapping: %w", err)
	}
	return append([]float32(nil), s.mw.Data().([]float32)...), nil
}

// Synth renders one image per row of the W+ codes: slots[i] (batch×WDim)
// feeds layer i. It returns batch×Res² pixels (a copy).
func (s *Sampler) Synth(slots [][]float32) ([]float32, error) {
	if len(slots) != len(s.syn.slotsD) {
		panic(fmt.Sprintf("gan: Sampler.Synth: %d slots, want %d", len(slots), len(s.syn.slotsD)))
	}
	for i, sl := range slots {
		if len(sl) != len(s.syn.slotsD[i]) {
			panic(fmt.Sprintf("gan: Sampler.Synth: slot %d has %d values, want %d", i, len(sl), len(s.syn.slotsD[i])))
		}
		copy(s.syn.slotsD[i], sl)
	}
	img, _, _, err := s.syn.run()
	if err != nil {
		return nil, err
	}
	return append([]float32(nil), img...), nil
}
