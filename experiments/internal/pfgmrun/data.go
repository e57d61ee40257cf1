// Package pfgmrun holds what the PFGM++ experiments (pfgm-sweep and
// pfgm-robustness) share: the data sets by name, the task configuration,
// training through diffusion.Train with a model cache shared by both
// experiments, sampling, and the metrics.
package pfgmrun

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
)

// Heavy-tailed sets: name → (generator, dimension).
type heavySpec struct {
	dim  int
	kind string  // "t" or "pareto"
	par  float64 // ν for t, α for pareto
}

var heavySets = map[string]heavySpec{
	"t2-2d":      {2, "t", 2},
	"t3-2d":      {2, "t", 3},
	"t2-10d":     {10, "t", 2},
	"t3-10d":     {10, "t", 3},
	"pareto-2d":  {2, "pareto", 2.5},
	"pareto-10d": {10, "pareto", 2.5},
}

// HeavyScale is the scale of the heavy-tailed sets: Student-t scale s and
// Pareto minimum radius xm/√dim. It is also their σ_data, since their
// variance is infinite (ν = 2) or dominated by the tail.
const HeavyScale = 0.5

// TwoClusterName is the official 10-D two-cluster toy mapped to 1000-D;
// TwoCluster100Name is the same toy mapped to 100-D (see DefaultTrain for
// why the default preset uses it).
const (
	TwoClusterName    = "twocluster1000"
	TwoCluster100Name = "twocluster100"
)

// twoClusterDim returns the ambient dimension of a two-cluster name, or 0.
func twoClusterDim(name string) int {
	switch name {
	case TwoClusterName:
		return 1000
	case TwoCluster100Name:
		return 100
	}
	return 0
}

// DataNames lists every accepted -data value.
func DataNames() []string {
	var out []string
	for _, t := range data.Toys() {
		out = append(out, string(t))
	}
	var hs []string
	for k := range heavySets {
		hs = append(hs, k)
	}
	sort.Strings(hs)
	out = append(out, hs...)
	return append(out, TwoCluster100Name, TwoClusterName, "mnist", "mnist14")
}

// mnistSide returns the image side of an MNIST name (28 or 14), or 0.
func mnistSide(name string) int {
	switch name {
	case "mnist":
		return 28
	case "mnist14":
		return 14
	}
	return 0
}

// CheckData reports whether name is a known data set that can be loaded.
func CheckData(name string) error {
	if mnistSide(name) > 0 {
		if _, err := data.DefaultMNISTDir(); err != nil {
			return fmt.Errorf("data set %q: %w (run scripts/mnist-data.sh)", name, err)
		}
		return nil
	}
	for _, n := range DataNames() {
		if n == name {
			return nil
		}
	}
	return fmt.Errorf("unknown data set %q (known: %s)", name, strings.Join(DataNames(), ", "))
}

// DataSet is one loaded data set: training points, a large reference draw
// the metrics compare against, and an independent draw of the evaluation
// size that gives each metric's floor.
type DataSet struct {
	Name      string
	Dim       int
	SigmaData float64 // σ_d of the EDM preconditioning
	Heavy     bool    // heavy-tailed (tail metrics are the point)
	Train     *mat.Dense
	Ref       *mat.Dense
	Floor     *mat.Dense
	// Cluster is the official toy's generator (nil for other sets); samples
	// are read back in its 10-D latent coordinates.
	Cluster *data.TwoCluster
	// Side is the image side for MNIST (pixels in [−1, 1]); 0 otherwise.
	Side int
}

// Streams of a data set's draws; the two-cluster map W comes from a fixed
// stream so that every seed sees the same data distribution.
const (
	streamTrain = iota + 1
	streamRef
	streamFloor
	streamInit
	streamMMD
	streamW = 0x57
)

// LoadData draws the named data set: nTrain training points, nRef reference
// points and nFloor floor points, from streams of seed.
func LoadData(name string, seed uint64, nTrain, nRef, nFloor int) (*DataSet, error) {
	if err := CheckData(name); err != nil {
		return nil, err
	}
	rs := func(s uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, s)) }
	ds := &DataSet{Name: name}
	if side := mnistSide(name); side > 0 {
		return loadMNIST(name, side, seed, nTrain, nRef, nFloor)
	}
	var draw func(n int, rng *rand.Rand) *mat.Dense
	switch {
	case twoClusterDim(name) > 0:
		tc := data.NewTwoCluster(twoClusterDim(name), rand.New(rand.NewPCG(0, streamW)))
		// Per-coordinate variance of z·W + e with z = ±1 + 0.2g:
		// Σ_k W_kj²·(1 + 0.2²) + 0.01², averaged over j; scale it to σ_d = 0.5.
		var v float64
		raw := tc.W.RawMatrix()
		for _, w := range raw.Data {
			v += w * w
		}
		v = v/float64(tc.Ambient())*(1+data.TwoClusterStd*data.TwoClusterStd) + data.TwoClusterNoise*data.TwoClusterNoise
		tc.Scale = 0.5 / math.Sqrt(v)
		ds.Cluster, ds.Dim, ds.SigmaData = tc, tc.Ambient(), 0.5
		draw = func(n int, rng *rand.Rand) *mat.Dense { y, _ := tc.Sample(n, rng); return y }
	default:
		if h, ok := heavySets[name]; ok {
			ds.Dim, ds.SigmaData, ds.Heavy = h.dim, HeavyScale, true
			if h.kind == "t" {
				draw = func(n int, rng *rand.Rand) *mat.Dense { return data.StudentT(n, h.dim, h.par, HeavyScale, rng) }
			} else {
				xm := HeavyScale * math.Sqrt(float64(h.dim))
				draw = func(n int, rng *rand.Rand) *mat.Dense { return data.RadialPareto(n, h.dim, h.par, xm, rng) }
			}
			break
		}
		toy, err := data.ParseToy(name)
		if err != nil {
			return nil, err
		}
		ds.Dim = 2
		draw = toy.Sample
	}
	ds.Train = draw(nTrain, rs(streamTrain))
	ds.Ref = draw(nRef, rs(streamRef))
	ds.Floor = draw(nFloor, rs(streamFloor))
	if ds.SigmaData == 0 {
		ds.SigmaData = data.PooledStd(ds.Train)
	}
	return ds, nil
}

// loadMNIST takes the training points from the shuffled training split and
// the reference and floor draws from disjoint parts of the shuffled test
// split (nRef + nFloor ≤ 10,000), pixels mapped to [−1, 1] (σ_data = 0.5, as
// EDM uses for images); mnist14 is 2×2 block-averaged to 14×14.
func loadMNIST(name string, side int, seed uint64, nTrain, nRef, nFloor int) (*DataSet, error) {
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		return nil, err
	}
	tr, err := data.LoadMNIST(dir, data.MNISTTrain)
	if err != nil {
		return nil, err
	}
	te, err := data.LoadMNIST(dir, data.MNISTTest)
	if err != nil {
		return nil, err
	}
	if nRef+nFloor > te.N {
		return nil, fmt.Errorf("data set %s: n_ref + n_eval = %d exceeds the %d test images", name, nRef+nFloor, te.N)
	}
	if side == 14 {
		tr, te = tr.Downsample(2), te.Downsample(2)
	}
	tr = tr.Shuffled(rand.New(rand.NewPCG(seed, streamTrain))).Head(nTrain)
	te = te.Shuffled(rand.New(rand.NewPCG(seed, streamRef)))
	idx := make([]int, nRef)
	for i := range idx {
		idx[i] = i
	}
	fl := make([]int, nFloor)
	for i := range fl {
		fl[i] = nRef + i
	}
	return &DataSet{Name: name, Dim: side * side, SigmaData: 0.5, Side: side,
		Train: tr.Unit(), Ref: te.Subset(idx).Unit(), Floor: te.Subset(fl).Unit()}, nil
}
