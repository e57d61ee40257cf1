package main

import (
	"math"

	"genlab/experiments/internal"
	"genlab/experiments/pfgm-sweep/pfgmexp"
)

// preset is a named set of defaults; flags override its lists. The
// training settings come from pfgmexp.DefaultTrain for the same preset.
type preset struct {
	Data  []string
	Ds    []float64
	Seeds []uint64
	NEval int   // generated samples per task
	NRef  int   // reference draw for the metrics (the 99.9th percentile needs ≥ 10⁴)
	NMMD  int   // reference rows for the (quadratic) MMD
	Heun  []int // Heun steps n (NFE 2n−1)
}

var inf = math.Inf(1)

var presets = map[internal.Preset]preset{
	internal.Quick: {
		Data: []string{"ring8"}, Ds: []float64{1, 4, inf}, Seeds: []uint64{0},
		NEval: 500, NRef: 2000, NMMD: 500, Heun: []int{18},
	},
	internal.Default: {
		Data:  []string{"ring8", "t2-2d", "t3-10d", pfgmexp.TwoCluster100Name},
		Ds:    []float64{1, 2, 4, 8, 32, 128, inf},
		Seeds: []uint64{0, 1, 2},
		NEval: 2000, NRef: 20000, NMMD: 1000, Heun: []int{18},
	},
	internal.Full: {
		Data:  []string{"ring8", "moons", "t2-2d", "t3-2d", "t2-10d", "t3-10d", "pareto-2d", "pareto-10d", pfgmexp.TwoCluster100Name, pfgmexp.TwoClusterName},
		Ds:    []float64{1, 2, 4, 8, 32, 128, 1000, inf},
		Seeds: []uint64{0, 1, 2, 3, 4},
		NEval: 10000, NRef: 100000, NMMD: 2000, Heun: []int{18},
	},
}
