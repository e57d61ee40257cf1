package main

import (
	"genlab/experiments/internal"
	"genlab/experiments/internal/kdiffrun"
	"genlab/kdiff"
)

// preset returns the base configuration, the N list and the k list of a
// preset.
func preset(p internal.Preset) (kdiffrun.Config, []int, kdiff.Ks) {
	c := kdiffrun.Config{Preset: string(p), Sweep: "dimension", Data: "ring8", Embed: "linear", NIntr: 2,
		KInit: 0.5, KLR: kdiff.DefaultKLR, Loss: "u", TDist: "uniform", Fourier: 16, FScale: 1,
		LR: 1e-3, Sampler: "heun", SampleStep: 50, Clamp: kdiff.DefaultClamp, CkptEvery: 500}
	ks := kdiff.Ks{{Value: 0}, {Value: 0.5}, {Value: 1}, {Learned: true}}
	var ns []int
	switch p {
	case internal.Quick:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup = 2000, 500, 300, 64, 64, 2, 30
		c.SampleStep = 20
		ns = []int{2, 32}
	case internal.Default:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup = 10000, 2000, 1000, 128, 128, 3, 100
		ns = []int{2, 8, 16, 64, 256, 512}
	case internal.Full:
		// The fixed MLP (5 layers × 256) and the spec's intermediate k.
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup = 50000, 5000, 4000, 256, 256, 5, 200
		ns = []int{2, 8, 16, 64, 256, 512}
		ks = kdiff.Ks{{Value: 0}, {Value: 0.5}, {Value: 0.75}, {Value: 0.9}, {Value: 1}, {Learned: true}}
	}
	c.EMAHalf = float64(c.Steps*c.Batch) / 20
	return c, ns, ks
}
