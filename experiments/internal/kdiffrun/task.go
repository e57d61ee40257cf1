// Package kdiffrun is the task code shared by the k-Diff experiments
// (experiments/kdiff-dimension and experiments/kdiff-learned): data on an
// n-dimensional manifold embedded in N dimensions, a network trained through
// kdiff.Bridge by diffusion.Train, the native Heun sampler on dz/ds = v̂, and
// the metrics of the spec (intrinsic sliced Wasserstein, off-manifold RMS,
// teacher-forced denoising MSE by s, the trajectory of k).
package kdiffrun

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/kdiff"
	"genlab/metrics"
	"genlab/nn"
	"genlab/results"
)

// Config is the resolved configuration of one k-Diff task; its canonical
// JSON is hashed into the task key.
type Config struct {
	Preset     string  `json:"preset"`
	Sweep      string  `json:"sweep"`      // which grid the task belongs to (dimension, pairs, width)
	Data       string  `json:"data"`       // a 2-D toy (ring8, …), mixture, blobs or mnist
	Embed      string  `json:"embed"`      // linear or curved (toys and mixture)
	N          int     `json:"N"`          // ambient dimension
	NIntr      int     `json:"n"`          // intrinsic dimension
	K          string  `json:"k"`          // a number in [0,1] or "learn"
	KInit      float64 `json:"k_init"`     // initial learned k
	KLR        float64 `json:"k_lr"`       // Adam learning rate of w = logit k
	Loss       string  `json:"loss"`       // u, v or x
	TDist      string  `json:"tdist"`      // uniform or logitnormal
	Seed       uint64  `json:"seed"`       //
	NTrain     int     `json:"n_train"`    //
	NEval      int     `json:"n_eval"`     // generated samples and held-out points
	Steps      int     `json:"steps"`      //
	Batch      int     `json:"batch"`      //
	Hidden     int     `json:"hidden"`     //
	Layers     int     `json:"layers"`     //
	Bottleneck int     `json:"bottleneck"` // width b of a linear input bottleneck; 0: none
	BRel       string  `json:"b_rel"`      // how b was specified (n, 2n, N), for plots
	Fourier    int     `json:"fourier"`    //
	FScale     float64 `json:"fourier_scale"`
	LR         float64 `json:"lr"`
	Warmup     int     `json:"warmup"`
	EMAHalf    float64 `json:"ema_halflife"` // samples
	Sampler    string  `json:"sampler"`      // heun, euler (native, in s) or edm (diffusion.Heun via the bridge)
	SampleStep int     `json:"sample_steps"`
	Clamp      float64 `json:"clamp"`
	CkptEvery  int     `json:"checkpoint_every"`
	DataDir    string  `json:"-"`                     // MNIST directory (hashed into the key by content, as DataSHA)
	DataSHA    string  `json:"data_sha256,omitempty"` // data.MNISTDigest of DataDir when Data is "mnist"
}

// TFLevels are the times s of the teacher-forced denoising MSE.
var TFLevels = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}

// KStar is the reported optimum k* = N/(N+n).
func KStar(N, n int) float64 { return float64(N) / float64(N+n) }

// Random streams of a task.
const (
	streamTrain = iota + 1
	streamHeldA
	streamHeldB
	streamEmbed
	streamInit
	streamTF
	streamMix
	streamMMD
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

// SharedDirs are the sliced-Wasserstein directions in n dimensions,
// identical for every task.
func SharedDirs(n int) *mat.Dense {
	return metrics.RandomDirections(n, 256, rand.New(rand.NewPCG(0, 0x5357)))
}

// Model builds the task's network.
func Model(cfg Config) (nn.Model, error) {
	rng := rand.New(rand.NewPCG(cfg.Seed, streamInit))
	if cfg.Bottleneck > 0 {
		return nn.NewBottleneckMLP(nn.BottleneckConfig{In: cfg.N, B: cfg.Bottleneck, Hidden: cfg.Hidden, Layers: cfg.Layers,
			Fourier: cfg.Fourier, FourierScale: cfg.FScale}, rng)
	}
	return nn.NewMLP(nn.MLPConfig{In: cfg.N, Out: cfg.N, Hidden: cfg.Hidden, Layers: cfg.Layers,
		Fourier: cfg.Fourier, FourierScale: cfg.FScale}, rng)
}

// Bridge builds the task's k-Diff target.
func Bridge(cfg Config) (*kdiff.Bridge, kdiff.SDist, error) {
	k, err := kdiff.ParseK(cfg.K)
	if err != nil {
		return nil, nil, err
	}
	loss, err := kdiff.ParseLossSpace(cfg.Loss)
	if err != nil {
		return nil, nil, err
	}
	sd, err := kdiff.ParseSDist(cfg.TDist)
	if err != nil {
		return nil, nil, err
	}
	if k.Learned && !(cfg.KInit > 0 && cfg.KInit < 1) {
		return nil, nil, fmt.Errorf("k init %g not in (0,1)", cfg.KInit)
	}
	b := kdiff.NewBridge(k, loss, cfg.KInit, cfg.KLR)
	b.Clamp = cfg.Clamp
	return b, sd, nil
}

// kTail is the mean recorded k over the last fifth of the logged steps
// (smoothing Adam's jitter), read from metrics.jsonl — so a run resumed
// mid-training averages the whole trajectory, not only the last process's
// steps. ok is false when nothing was logged.
func kTail(dir *results.Dir) (kt float64, ok bool, err error) {
	if err := dir.Close(); err != nil { // flush metrics.jsonl
		return 0, false, err
	}
	steps, err := results.ReadMetrics(dir.Path(results.MetricsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil || len(steps) == 0 {
		return 0, false, err
	}
	tail := steps[len(steps)*4/5:]
	for _, s := range tail {
		kt += s.Values["k"]
	}
	return kt / float64(len(tail)), true, nil
}

// Run trains, samples and evaluates one task in dir. A non-finite training
// loss is an outcome of the sweep (ε-prediction can diverge at large N), not
// a failure: it is reported as diverged = 1 with NaN metrics.
// bar receives the training steps, the loss and the phases.
func Run(ctx context.Context, cfg Config, dir *results.Dir, bar internal.Progress) (map[string]float64, error) {
	ds, err := LoadData(cfg)
	if err != nil {
		return nil, err
	}
	model, err := Model(cfg)
	if err != nil {
		return nil, err
	}
	bridge, sdist, err := Bridge(cfg)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	tr, err := diffusion.Train(ctx, model, ds.Train, diffusion.Method{Kernel: diffusion.Gaussian{}, Target: bridge, Sigma: sdist},
		diffusion.TrainConfig{
			Steps: cfg.Steps, Batch: cfg.Batch, Seed: cfg.Seed,
			Adam:        nn.AdamConfig{LR: cfg.LR, WarmupSteps: cfg.Warmup},
			EMAHalfLife: cfg.EMAHalf, EMARampup: 0.05,
			CheckpointPath: dir.Path("checkpoint.bin"), CheckpointEvery: cfg.CkptEvery,
			LogEvery: 25,
			Record:   dir.RecordValues,
			Progress: internal.TrainStep(bar),
		})
	res := map[string]float64{"diverged": 0}
	if cfg.NIntr > 0 { // MNIST has no known intrinsic dimension
		res["k_star"] = KStar(cfg.N, cfg.NIntr)
	}
	if errors.Is(err, diffusion.ErrNonFinite) {
		res["diverged"] = 1
		for _, m := range []string{"k", "sw1", "off_rms", "tf_mse_mean"} {
			res[m] = math.NaN()
		}
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res["train_seconds"] = time.Since(t0).Seconds()
	res["final_loss"] = tr.FinalLoss
	k := bridge.KValue()
	res["k"] = k
	if kt, ok, err := kTail(dir); err != nil {
		return nil, err
	} else if ok {
		res["k_tail"] = kt
	}

	net, err := kdiff.NewNetU(tr.EMA, 500)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	bar.Phase("evaluate: teacher-forced")
	if err := teacherForced(res, cfg, ds, net, k); err != nil {
		return nil, err
	}
	_, N := ds.Train.Dims()
	bar.Phase("sample " + cfg.Sampler)
	t1 := time.Now()
	gen, nfe, err := sample(ctx, cfg, net, tr.EMA, bridge, k, N)
	if err != nil {
		return nil, err
	}
	res["sample_seconds"] = time.Since(t1).Seconds()
	res["nfe"] = float64(nfe)
	if err := dir.WriteNPY(results.SamplesFile, gen); err != nil {
		return nil, err
	}
	bar.Phase("evaluate")
	if err := score(res, cfg, ds, gen); err != nil {
		return nil, err
	}
	return res, pictures(cfg, ds, gen, dir)
}

// sample draws NEval samples with per-sample seeds.
func sample(ctx context.Context, cfg Config, net *kdiff.NetU, ema nn.Model, b *kdiff.Bridge, k float64, N int) (*mat.Dense, int, error) {
	genSeed := cfg.Seed*1000003 + 17
	switch cfg.Sampler {
	case "heun", "euler":
		z := diffusion.PriorSamples(diffusion.Gaussian{}, cfg.NEval, N, 1, genSeed) // z ~ N(0, I) at s = 0
		nfe, err := kdiff.Sample(ctx, net, z, kdiff.SGrid(cfg.SampleStep, kdiff.StartS(k)), k, cfg.Clamp, cfg.Sampler == "heun")
		return z, nfe, err
	case "edm":
		den, err := diffusion.NewNetDenoiser(ema, b.Frozen(), 500)
		if err != nil {
			return nil, 0, err
		}
		defer den.Close()
		y := diffusion.PriorSamples(diffusion.Gaussian{}, cfg.NEval, N, diffusion.SigmaMax, genSeed)
		nfe, err := diffusion.Heun(ctx, den, y, diffusion.KarrasSigmas(cfg.SampleStep, diffusion.SigmaMin, diffusion.SigmaMax, diffusion.Rho), nil)
		return y, nfe, err
	}
	return nil, 0, fmt.Errorf("unknown sampler %q", cfg.Sampler)
}

// teacherForced adds tf_mse_s<s> = E‖x̂ − x‖² (summed over the N
// coordinates, so comparable across N) at each s of TFLevels on
// held-out data with fixed noise, their mean, and for synthetic manifolds the
// share of that error normal to the manifold (tf_normal_frac_*).
func teacherForced(res map[string]float64, cfg Config, ds *Dataset, net *kdiff.NetU, k float64) error {
	rows := min(1000, ds.HeldA.RawMatrix().Rows)
	x := ds.HeldA.Slice(0, rows, 0, ds.HeldA.RawMatrix().Cols).(*mat.Dense)
	_, N := x.Dims()
	rng := rand.New(rand.NewPCG(cfg.Seed, streamTF))
	e := mat.NewDense(rows, N, nil)
	for i := 0; i < rows; i++ {
		for j := 0; j < N; j++ {
			e.Set(i, j, rng.NormFloat64())
		}
	}
	z := mat.NewDense(rows, N, nil)
	u := mat.NewDense(rows, N, nil)
	xh := mat.NewDense(rows, N, nil)
	var sum, sumNorm float64
	for _, s := range TFLevels {
		for i := 0; i < rows; i++ {
			kdiff.Interpolate(z.RawRowView(i), x.RawRowView(i), e.RawRowView(i), s)
		}
		if err := net.PredictU(u, z, s); err != nil {
			return err
		}
		var mse float64
		for i := 0; i < rows; i++ {
			kdiff.Invert(xh.RawRowView(i), nil, nil, z.RawRowView(i), u.RawRowView(i), s, k, cfg.Clamp)
			for j, v := range xh.RawRowView(i) {
				d := v - x.At(i, j)
				mse += d * d
			}
		}
		mse /= float64(rows)
		name := "tf_mse_s" + strconv.FormatFloat(s, 'f', 1, 64)
		res[name] = mse
		sum += mse
		if lin, ok := ds.M.(*data.LinearEmbedding); ok {
			// x is on the subspace, so the normal part of x̂ − x is that of x̂.
			var nrm float64
			for _, r := range lin.Residual(xh) {
				nrm += r * r
			}
			frac := nrm / float64(rows) / mse
			res["tf_normal_frac_s"+strconv.FormatFloat(s, 'f', 1, 64)] = frac
			sumNorm += frac
		}
	}
	res["tf_mse_mean"] = sum / float64(len(TFLevels))
	if _, ok := ds.M.(*data.LinearEmbedding); ok {
		res["tf_normal_frac_mean"] = sumNorm / float64(len(TFLevels))
	}
	return nil
}

// score adds the sample metrics: intrinsic SW₁/SW₂ and MMD² against held-out
// coordinates (with the floor of a second held-out draw), off-manifold RMS
// ‖residual‖/√N, and for MNIST the Fréchet distance of pixels.
func score(res map[string]float64, cfg Config, ds *Dataset, gen *mat.Dense) error {
	_, N := gen.Dims()
	if !finite(gen) {
		res["nonfinite_samples"] = 1
		for _, m := range []string{"sw1", "sw2", "mmd2", "off_rms"} {
			res[m] = math.NaN()
		}
		return nil
	}
	if ds.M == nil {
		fd, err := metrics.FrechetDistance(gen, ds.HeldA)
		if err != nil {
			return err
		}
		floor, err := metrics.FrechetDistance(ds.HeldB, ds.HeldA)
		if err != nil {
			return err
		}
		res["fd_pixels"], res["fd_pixels_floor"] = fd, floor
		return nil
	}
	c := ds.M.Coords(gen)
	_, n := c.Dims()
	dirs := SharedDirs(n)
	res["sw1"] = metrics.SlicedWassersteinDirs(c, ds.CoordsA, dirs, 1)
	res["sw2"] = metrics.SlicedWassersteinDirs(c, ds.CoordsA, dirs, 2)
	res["sw1_floor"] = metrics.SlicedWassersteinDirs(ds.CoordsB, ds.CoordsA, dirs, 1)
	h := metrics.MedianHeuristic(ds.CoordsA, 20000, rand.New(rand.NewPCG(cfg.Seed, streamMMD)))
	hs := []float64{h / 4, h / 2, h, 2 * h, 4 * h}
	res["mmd2"] = metrics.MMD2(c, ds.CoordsA, hs)
	res["mmd2_floor"] = metrics.MMD2(ds.CoordsB, ds.CoordsA, hs)
	var ss float64
	for _, r := range ds.M.Residual(gen) {
		ss += r * r
	}
	rows, _ := gen.Dims()
	res["off_rms"] = math.Sqrt(ss / float64(rows*N))
	return nil
}

func finite(x *mat.Dense) bool {
	r, _ := x.Dims()
	for i := 0; i < r; i++ {
		for _, v := range x.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e6 {
				return false
			}
		}
	}
	return true
}

// pictures writes samples.png (intrinsic scatter or an image grid), loss.png
// and, for a learned k, k.png.
func pictures(cfg Config, ds *Dataset, gen *mat.Dense, dir *results.Dir) error {
	rows, _ := gen.Dims()
	switch {
	case ds.ImgW > 0:
		n := min(36, rows)
		imgs := make([][]float64, n)
		for i := range imgs {
			imgs[i] = append([]float64(nil), gen.RawRowView(i)...)
			for j, v := range imgs[i] {
				imgs[i][j] = math.Min(math.Max(v, ds.Lo), ds.Hi)
			}
		}
		if err := results.ImageGridRange(dir.Path("samples.png"), imgs, ds.ImgW, ds.ImgW, 6, 6, ds.Lo, ds.Hi); err != nil {
			return err
		}
	case finite(gen):
		c := ds.M.Coords(gen)
		if _, n := c.Dims(); n >= 2 {
			title := fmt.Sprintf("%s N=%d k=%s seed %d (intrinsic coords 1-2)", cfg.Data, cfg.N, cfg.K, cfg.Seed)
			if err := results.Scatter2D(dir.Path("samples.png"), title, c.Slice(0, rows, 0, 2).(*mat.Dense),
				ds.CoordsA.Slice(0, ds.CoordsA.RawMatrix().Rows, 0, 2).(*mat.Dense)); err != nil {
				return err
			}
		}
	}
	steps, err := results.ReadMetrics(dir.Path("metrics.jsonl"))
	if err != nil {
		return err
	}
	if err := results.LossCurve(dir.Path("loss.png"), steps, "loss", true); err != nil {
		return err
	}
	if cfg.K == "learn" {
		var refs []results.RefLine
		if cfg.NIntr > 0 {
			refs = append(refs, results.RefLine{Y: KStar(cfg.N, cfg.NIntr), Label: fmt.Sprintf("k* = N/(N+n) = %.3g", KStar(cfg.N, cfg.NIntr))})
		}
		return results.LossCurve(dir.Path("k.png"), steps, "k", false, refs...)
	}
	return nil
}
