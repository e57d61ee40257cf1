package main

import (
	"genlab/data"
	"genlab/experiments/internal"
)

// Config is the resolved configuration of one toy2d task; its canonical
// JSON is hashed into the task key.
type Config struct {
	Toy          string  `json:"toy"`
	Seed         uint64  `json:"seed"`
	Target       string  `json:"target"`
	NTrain       int     `json:"n_train"`
	NEval        int     `json:"n_eval"`
	Steps        int     `json:"steps"`
	Batch        int     `json:"batch"`
	Hidden       int     `json:"hidden"`
	Layers       int     `json:"layers"`
	Fourier      int     `json:"fourier"`
	LR           float64 `json:"lr"`
	Warmup       int     `json:"warmup"`
	EMAHalfLife  float64 `json:"ema_halflife"`
	SigmaData    float64 `json:"sigma_data"` // 0: the training set's per-coordinate std
	HeunSteps    []int   `json:"heun_steps"` // the first is the headline (samples.png)
	IdealPoints  int     `json:"ideal_points"`
	CheckpointEv int     `json:"checkpoint_every"`
}

// preset returns the base configuration of a preset.
func preset(p internal.Preset) (Config, []string) {
	c := Config{Target: "edm", Fourier: 16, LR: 2e-3, Warmup: 200, IdealPoints: 2000,
		HeunSteps: []int{18, 4, 6, 9, 32}, CheckpointEv: 500}
	toys := []string{string(data.Ring8)}
	switch p {
	case internal.Quick:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers = 4000, 1000, 1500, 128, 64, 2
		c.Warmup = 100
		c.EMAHalfLife, c.IdealPoints, c.HeunSteps = 2000, 500, []int{18, 6}
	case internal.Default:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers = 20000, 4000, 4000, 256, 128, 3
		c.EMAHalfLife = 50000
	case internal.Full:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers = 50000, 10000, 20000, 256, 256, 4
		c.EMAHalfLife = 200000
		toys = nil
		for _, t := range data.Toys() {
			toys = append(toys, string(t))
		}
	}
	return c, toys
}
