package data

import (
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// HeavyScale is the scale of the named heavy-tailed sets (HeavySets):
// Student-t scale s, and Pareto minimum radius xm = HeavyScale·√dim. It is
// also their σ_data, since their variance is infinite (ν = 2) or dominated
// by the tail.
const HeavyScale = 0.5

// HeavySet is a named heavy-tailed data set of the PFGM++ experiments: a
// Student-t (StudentT, Param = ν) or radial Pareto (RadialPareto, Param =
// α) in Dim dimensions, at HeavyScale.
type HeavySet struct {
	Name  string
	Dim   int
	Kind  string // "t" or "pareto"
	Param float64
}

var heavySets = []HeavySet{
	{"pareto-10d", 10, "pareto", 2.5},
	{"pareto-2d", 2, "pareto", 2.5},
	{"t2-10d", 10, "t", 2},
	{"t2-2d", 2, "t", 2},
	{"t3-10d", 10, "t", 3},
	{"t3-2d", 2, "t", 3},
}

// HeavySets returns the named heavy-tailed sets, sorted by name.
func HeavySets() []HeavySet {
	out := append([]HeavySet(nil), heavySets...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ParseHeavySet returns the heavy-tailed set called name, and whether there
// is one.
func ParseHeavySet(name string) (HeavySet, bool) {
	for _, h := range heavySets {
		if h.Name == name {
			return h, true
		}
	}
	return HeavySet{}, false
}

// Sample draws n points (n×Dim) from rng.
func (h HeavySet) Sample(n int, rng *rand.Rand) *mat.Dense {
	if h.Kind == "t" {
		return StudentT(n, h.Dim, h.Param, HeavyScale, rng)
	}
	return RadialPareto(n, h.Dim, h.Param, HeavyScale*math.Sqrt(float64(h.Dim)), rng)
}

// TwoClusterName is the official 10-D two-cluster toy mapped to 1000-D;
// TwoCluster100Name is the same toy mapped to 100-D.
const (
	TwoClusterName    = "twocluster1000"
	TwoCluster100Name = "twocluster100"
)

// TwoClusterDim returns the ambient dimension of a two-cluster name, or 0.
func TwoClusterDim(name string) int {
	switch name {
	case TwoClusterName:
		return 1000
	case TwoCluster100Name:
		return 100
	}
	return 0
}

// NewTwoClusterStd returns the two-cluster toy in ambient dimensions with W
// drawn from rng (NewTwoCluster) and Scale set so that the average
// per-coordinate standard deviation of the samples is std: the variance of
// a coordinate of z·W + e with z = ±1 + 0.2g is
// Σ_k W_kj²·(1 + 0.2²) + 0.01², averaged over j (clipping ignored).
func NewTwoClusterStd(ambient int, std float64, rng *rand.Rand) *TwoCluster {
	tc := NewTwoCluster(ambient, rng)
	var v float64
	for _, w := range tc.W.RawMatrix().Data {
		v += w * w
	}
	v = v/float64(tc.Ambient())*(1+TwoClusterStd*TwoClusterStd) + TwoClusterNoise*TwoClusterNoise
	tc.Scale = std / math.Sqrt(v)
	return tc
}
