package main

import (
	"genlab/experiments/internal"
	"genlab/experiments/internal/kdiffrun"
	"genlab/kdiff"
)

// presetConfig returns the base config and the default grids of a preset.
func presetConfig(p internal.Preset) (kdiffrun.Config, pairs, bottlenecks, recipes, []int, kdiff.Ks) {
	c := kdiffrun.Config{Preset: string(p), Embed: "linear", KInit: 0.5, KLR: kdiff.DefaultKLR, Loss: "u", TDist: "uniform",
		Fourier: 16, FScale: 1, LR: 1e-3, Sampler: "heun", SampleStep: 50, Clamp: kdiff.DefaultClamp, CkptEvery: 500}
	ps := pairs{{4, 4}, {8, 4}, {16, 4}, {16, 1}, {64, 2}}
	bs := bottlenecks{"n", "2n", "N"}
	rs := recipes{{"u", "uniform"}, {"v", "logitnormal"}}
	ws := []int{16, 64, 256}
	ks := kdiff.Ks{{Value: 0.5}, {Value: 1}, {Learned: true}}
	switch p {
	case internal.Quick:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup, c.SampleStep = 2000, 400, 300, 64, 64, 2, 30, 20
		ps, bs, rs, ws = pairs{{4, 4}, {64, 2}}, bottlenecks{"n", "N"}, recipes{{"u", "uniform"}}, []int{16}
		ks = kdiff.Ks{{Learned: true}}
	case internal.Default:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup = 10000, 1000, 600, 128, 128, 3, 60
	case internal.Full:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup = 50000, 5000, 4000, 256, 256, 3, 200
		rs = recipes{{"u", "uniform"}, {"u", "logitnormal"}, {"v", "uniform"}, {"v", "logitnormal"}}
		ws = []int{16, 64, 256, 1024}
		ks = kdiff.Ks{{Value: 0}, {Value: 0.5}, {Value: 1}, {Learned: true}}
	}
	return c, ps, bs, rs, ws, ks
}
