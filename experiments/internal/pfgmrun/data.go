// Package pfgmrun holds what the PFGM++ experiments (pfgm-sweep and
// pfgm-robustness) share: the data sets by name, the task configuration,
// training through diffusion.Train with a model cache shared by both
// experiments, sampling, and the metrics.
package pfgmrun

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
)

// HeavyScale is data.HeavyScale, the σ_data of the heavy-tailed sets.
const HeavyScale = data.HeavyScale

// TwoClusterName and TwoCluster100Name are the two-cluster toys in 1000 and
// 100 dimensions (see DefaultTrain for why the default preset uses the
// latter).
const (
	TwoClusterName    = data.TwoClusterName
	TwoCluster100Name = data.TwoCluster100Name
)

// DataNames lists every accepted -data value.
func DataNames() []string {
	var out []string
	for _, t := range data.Toys() {
		out = append(out, string(t))
	}
	for _, h := range data.HeavySets() {
		out = append(out, h.Name)
	}
	return append(out, TwoCluster100Name, TwoClusterName, "mnist", "mnist14", MNISTUNetName)
}

// MNISTUNetName is the data set of pfgm-robustness's image sweep: MNIST at
// 14², sampled from the U-Net models the mnist experiment trained (one per
// D and seed) and scored by fid_lenet; pfgm-sweep does not train on it.
const MNISTUNetName = "mnist-unet"

// DimOf returns the dimension of a checked data-set name.
func DimOf(name string) int {
	if n := data.TwoClusterDim(name); n > 0 {
		return n
	}
	if h, ok := data.ParseHeavySet(name); ok {
		return h.Dim
	}
	if side := mnistSide(name); side > 0 {
		return side * side
	}
	return 2
}

// mnistSide returns the image side of an MNIST name (28 or 14), or 0.
func mnistSide(name string) int {
	switch name {
	case "mnist":
		return 28
	case "mnist14", MNISTUNetName:
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

// DataDigests returns the identity of each named data set's files, which
// TrainConfig.DataSHA carries into the model and task keys: data.MNISTDigest
// of the MNIST directory (data.DefaultMNISTDir) for mnist and mnist14, so
// other files of the same names give other keys; generated sets have none.
func DataDigests(names []string) (map[string]string, error) {
	out := map[string]string{}
	for _, name := range names {
		if mnistSide(name) == 0 {
			continue
		}
		dir, err := data.DefaultMNISTDir()
		if err == nil {
			out[name], err = data.MNISTDigest(dir)
		}
		if err != nil {
			return nil, fmt.Errorf("data set %q: %w (run scripts/mnist-data.sh)", name, err)
		}
	}
	return out, nil
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
	case data.TwoClusterDim(name) > 0:
		tc := data.NewTwoClusterStd(data.TwoClusterDim(name), 0.5, rand.New(rand.NewPCG(0, streamW)))
		ds.Cluster, ds.Dim, ds.SigmaData = tc, tc.Ambient(), 0.5
		draw = func(n int, rng *rand.Rand) *mat.Dense { y, _ := tc.Sample(n, rng); return y }
	default:
		if h, ok := data.ParseHeavySet(name); ok {
			ds.Dim, ds.SigmaData, ds.Heavy = h.Dim, HeavyScale, true
			draw = h.Sample
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
