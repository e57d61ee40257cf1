package main

import (
	"math"

	"genlab/experiments/internal"
	"genlab/experiments/internal/mnistrun"
	"genlab/experiments/internal/pfgmrun"
)

// Config is the resolved configuration of one task (one trained model and
// all its perturbations; Heun is the clean sampler's step count).
type Config struct {
	pfgmrun.TaskConfig
	Alphas []float64 `json:"alphas"`
	Bits   []int     `json:"bits"`
	Steps  []int     `json:"steps"` // Heun step counts of the fewer-steps perturbation
	Euler  bool      `json:"euler"`
	// The image sweep (data mnist-unet): the finished mnist run whose EMA
	// U-Net is measured, by task key and configuration.
	MNISTKey string           `json:"mnist_key,omitempty"`
	MNIST    *mnistrun.Config `json:"mnist,omitempty"`
}

// preset is a named set of defaults; flags override its lists. The training
// settings are pfgm-sweep's for the same preset (pfgmrun.DefaultTrain), so
// the two experiments share their cached models.
type preset struct {
	Data       []string
	Ds         []float64
	Seeds      []uint64
	Alphas     []float64
	Bits       []int
	Steps      []int // Heun step counts of the fewer-steps perturbation
	NEvalLow   int   // samples per run for dim ≤ 10
	NEvalHigh  int   // samples per run for the 1000-D toy
	NEvalImage int   // samples per sampler for mnist-unet (fid_lenet against as many test digits)
	NRef, NMMD int
	Heun       int // Heun steps of the clean sampler
}

func (p preset) nEval(name string) int {
	dim := pfgmrun.DimOf(name)
	if name == pfgmrun.MNISTUNetName {
		return p.NEvalImage
	}
	if dim >= 100 {
		return p.NEvalHigh
	}
	return p.NEvalLow
}

var inf = math.Inf(1)

var presets = map[internal.Preset]preset{
	internal.Quick: {
		Data: []string{"ring8"}, Ds: []float64{1, 4, inf}, Seeds: []uint64{0},
		Alphas: []float64{0, 0.1, 0.3}, Bits: []int{4, 8}, Steps: []int{4, 8, 18},
		NEvalLow: 500, NEvalHigh: 200, NEvalImage: 500, NRef: 2000, NMMD: 500, Heun: 18,
	},
	internal.Default: {
		Data:   []string{"ring8", pfgmrun.TwoCluster100Name},
		Ds:     []float64{1, 2, 4, 8, 32, 128, inf},
		Seeds:  []uint64{0, 1, 2},
		Alphas: []float64{0, 0.05, 0.1, 0.2, 0.3}, Bits: []int{3, 4, 5, 6, 8}, Steps: []int{3, 4, 5, 6, 8, 12, 18},
		NEvalLow: 1000, NEvalHigh: 500, NEvalImage: 2000, NRef: 20000, NMMD: 1000, Heun: 18,
	},
	internal.Full: {
		Data:   []string{"ring8", "t3-10d", pfgmrun.TwoCluster100Name, pfgmrun.TwoClusterName},
		Ds:     []float64{1, 2, 4, 8, 32, 128, 1000, inf},
		Seeds:  []uint64{0, 1, 2, 3, 4},
		Alphas: []float64{0, 0.05, 0.1, 0.15, 0.2, 0.3}, Bits: []int{3, 4, 5, 6, 8}, Steps: []int{3, 4, 5, 6, 8, 12, 18},
		NEvalLow: 10000, NEvalHigh: 2000, NEvalImage: 5000, NRef: 100000, NMMD: 2000, Heun: 18,
	},
}
