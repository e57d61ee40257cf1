package kdiffrun

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
)

// Manifold is what the metrics need from the data: the embedding, the
// intrinsic coordinates of a point and its distance from the manifold.
type Manifold interface {
	Dims() (ambient, intrinsic int)
	Embed(x *mat.Dense) *mat.Dense
	Coords(y *mat.Dense) *mat.Dense
	Residual(y *mat.Dense) []float64
}

// Dataset is a task's data: training rows, held-out rows and, for synthetic
// manifolds, the manifold with held-out intrinsic coordinates.
type Dataset struct {
	Train, HeldA, HeldB *mat.Dense // ambient rows
	M                   Manifold   // nil for MNIST
	CoordsA, CoordsB    *mat.Dense // intrinsic coordinates of HeldA/HeldB (nil for MNIST)
	ImgW                int        // image side for pictures (0: not an image)
	Lo, Hi              float64    // display range of images
}

// scaledBlobs standardises rendered blob images, y = (I − μ)/σ, and reports
// coordinates as factors rescaled to [0,1] by their ranges.
type scaledBlobs struct {
	b      *data.Blobs
	mu, sd float64
}

func (s scaledBlobs) Dims() (int, int) { return s.b.Dims() }

func (s scaledBlobs) Embed(f *mat.Dense) *mat.Dense {
	raw := mat.DenseCopyOf(f)
	r, _ := raw.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < data.BlobFactors; j++ {
			lo, hi := s.b.Ranges[j][0], s.b.Ranges[j][1]
			raw.Set(i, j, lo+(hi-lo)*raw.At(i, j))
		}
	}
	y := s.b.Embed(raw)
	s.fwd(y)
	return y
}

func (s scaledBlobs) fwd(y *mat.Dense) {
	r, c := y.Dims()
	for i := 0; i < r; i++ {
		row := y.RawRowView(i)
		for j := 0; j < c; j++ {
			row[j] = (row[j] - s.mu) / s.sd
		}
	}
}

func (s scaledBlobs) raw(y *mat.Dense) *mat.Dense {
	out := mat.DenseCopyOf(y)
	r, c := out.Dims()
	for i := 0; i < r; i++ {
		row := out.RawRowView(i)
		for j := 0; j < c; j++ {
			row[j] = row[j]*s.sd + s.mu
		}
	}
	return out
}

func (s scaledBlobs) Coords(y *mat.Dense) *mat.Dense {
	f := s.b.Coords(s.raw(y))
	r, _ := f.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < data.BlobFactors; j++ {
			lo, hi := s.b.Ranges[j][0], s.b.Ranges[j][1]
			f.Set(i, j, (f.At(i, j)-lo)/(hi-lo))
		}
	}
	return f
}

func (s scaledBlobs) Residual(y *mat.Dense) []float64 {
	res := s.b.Residual(s.raw(y))
	for i := range res {
		res[i] /= s.sd
	}
	return res
}

// LoadData builds the task's data set.
func LoadData(cfg Config) (*Dataset, error) {
	rs := func(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(cfg.Seed, stream)) }
	switch cfg.Data {
	case "blobs":
		R := int(math.Round(math.Sqrt(float64(cfg.N))))
		if R*R != cfg.N || R < 2 {
			return nil, fmt.Errorf("blobs need N = R², got %d", cfg.N)
		}
		b := data.NewBlobs(R)
		draw := func(n int, rng *rand.Rand) *mat.Dense {
			f := mat.NewDense(n, data.BlobFactors, nil)
			for i := 0; i < n; i++ {
				for j := 0; j < data.BlobFactors; j++ {
					f.Set(i, j, rng.Float64())
				}
			}
			return f
		}
		ft := draw(cfg.NTrain, rs(streamTrain))
		rawTrain := scaledBlobs{b: b, mu: 0, sd: 1}.Embed(ft)
		m := scaledBlobs{b: b, mu: mat.Sum(rawTrain) / float64(cfg.NTrain*cfg.N)}
		m.sd = data.PooledStd(rawTrain)
		fa, fb := draw(cfg.NEval, rs(streamHeldA)), draw(cfg.NEval, rs(streamHeldB))
		return &Dataset{Train: m.Embed(ft), HeldA: m.Embed(fa), HeldB: m.Embed(fb), M: m, CoordsA: fa, CoordsB: fb,
			ImgW: R, Lo: -m.mu / m.sd, Hi: (1.5 - m.mu) / m.sd}, nil
	case "mnist":
		return loadMNIST(cfg)
	}
	// n-dimensional intrinsic data: a 2-D toy or a Gaussian mixture.
	var sample func(n int, rng *rand.Rand) *mat.Dense
	if cfg.Data == "mixture" {
		mix := data.NewIntrinsicMixture(cfg.NIntr, 8, 0.2, rs(streamMix))
		sample = mix.Sample
	} else {
		toy, err := data.ParseToy(cfg.Data)
		if err != nil {
			return nil, err
		}
		if cfg.NIntr != 2 {
			return nil, fmt.Errorf("toy %s is 2-D, n = %d", cfg.Data, cfg.NIntr)
		}
		sample = toy.Sample
	}
	xt := sample(cfg.NTrain, rs(streamTrain))
	sd := data.PooledStd(xt)
	xt.Scale(1/sd, xt)
	xa, xb := sample(cfg.NEval, rs(streamHeldA)), sample(cfg.NEval, rs(streamHeldB))
	xa.Scale(1/sd, xa)
	xb.Scale(1/sd, xb)
	if cfg.N < cfg.NIntr {
		return nil, fmt.Errorf("N = %d < n = %d", cfg.N, cfg.NIntr)
	}
	var m Manifold
	switch cfg.Embed {
	case "linear":
		m = data.NewLinearEmbedding(cfg.N, cfg.NIntr, rs(streamEmbed))
	case "curved":
		m = data.NewCurvedEmbedding(cfg.N, cfg.NIntr, 0.5, 1, rs(streamEmbed))
	default:
		return nil, fmt.Errorf("unknown embedding %q", cfg.Embed)
	}
	return &Dataset{Train: m.Embed(xt), HeldA: m.Embed(xa), HeldB: m.Embed(xb), M: m, CoordsA: xa, CoordsB: xb}, nil
}

// loadMNIST reads MNIST, block-averages it to side √N (28, 14 or 7) and maps
// pixels to [−1, 1].
func loadMNIST(cfg Config) (*Dataset, error) {
	dir := cfg.DataDir
	if dir == "" {
		d, err := data.DefaultMNISTDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	f := map[int]int{784: 1, 196: 2, 49: 4}[cfg.N]
	if f == 0 {
		return nil, fmt.Errorf("mnist needs N ∈ {49, 196, 784}, got %d", cfg.N)
	}
	tr, err := data.LoadMNIST(dir, data.MNISTTrain)
	if err != nil {
		return nil, err
	}
	te, err := data.LoadMNIST(dir, data.MNISTTest)
	if err != nil {
		return nil, err
	}
	rs := func(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(cfg.Seed, stream)) }
	train := tr.Shuffled(rs(streamTrain)).Head(min(cfg.NTrain, tr.N))
	held := te.Shuffled(rs(streamHeldA))
	a := held.Head(min(cfg.NEval, held.N/2))
	b := held.Subset(seq(held.N/2, held.N/2+min(cfg.NEval, held.N/2)))
	if f > 1 {
		train, a, b = train.Downsample(f), a.Downsample(f), b.Downsample(f)
	}
	return &Dataset{Train: train.Unit(), HeldA: a.Unit(), HeldB: b.Unit(), ImgW: 28 / f, Lo: -1, Hi: 1}, nil
}

func seq(lo, hi int) []int {
	s := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}
