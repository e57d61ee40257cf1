package main

import (
	"math"

	"genlab/experiments/internal"
	"genlab/experiments/pfgm-sweep/pfgmexp"
)

// preset is a named set of defaults; flags override its lists. The training
// settings are pfgm-sweep's for the same preset (pfgmexp.DefaultTrain), so
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
	NRef, NMMD int
	Heun       int // Heun steps of the clean sampler
}

func (p preset) nEval(dim int) int {
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
		NEvalLow: 500, NEvalHigh: 200, NRef: 2000, NMMD: 500, Heun: 18,
	},
	internal.Default: {
		Data:   []string{"ring8", pfgmexp.TwoCluster100Name},
		Ds:     []float64{1, 2, 4, 8, 32, 128, inf},
		Seeds:  []uint64{0, 1, 2},
		Alphas: []float64{0, 0.05, 0.1, 0.2, 0.3}, Bits: []int{3, 4, 5, 6, 8}, Steps: []int{3, 4, 5, 6, 8, 12, 18},
		NEvalLow: 1000, NEvalHigh: 500, NRef: 20000, NMMD: 1000, Heun: 18,
	},
	internal.Full: {
		Data:   []string{"ring8", "t3-10d", pfgmexp.TwoCluster100Name, pfgmexp.TwoClusterName},
		Ds:     []float64{1, 2, 4, 8, 32, 128, 1000, inf},
		Seeds:  []uint64{0, 1, 2, 3, 4},
		Alphas: []float64{0, 0.05, 0.1, 0.15, 0.2, 0.3}, Bits: []int{3, 4, 5, 6, 8}, Steps: []int{3, 4, 5, 6, 8, 12, 18},
		NEvalLow: 10000, NEvalHigh: 2000, NRef: 100000, NMMD: 2000, Heun: 18,
	},
}
