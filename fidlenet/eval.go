package fidlenet

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
	"genlab/metrics"
)

// KID defaults (clean-fid, torchmetrics): 100 subsets of at most 1000 rows.
const (
	KIDSubsets    = 100
	KIDSubsetSize = 1000
)

// Metrics are the sample-quality numbers of one image set against a real
// set, all at the same sample count N (record it: FID-style metrics are
// biased and depend on N).
type Metrics struct {
	N int `json:"n"`
	// FIDLeNet is the squared Fréchet distance between Gaussians fitted to
	// the fidlenet features of the real and the generated images.
	FIDLeNet float64 `json:"fid_lenet"`
	// KID is the kernel inception distance on the same features ×10³:
	// mean and population std of the unbiased MMD² with k(a,b) = (aᵀb/d+1)³
	// over KIDSubsets subsets of ≤ KIDSubsetSize rows (with N ≤ 1000 every
	// subset is the whole set and the std is ≈ 0). The features are ReLU
	// activations of order 1–10, not Inception's, so KID values are large
	// and comparable only within fidlenet.
	KID    float64 `json:"kid_x1e3"`
	KIDStd float64 `json:"kid_std_x1e3"` // NaN when every KID subset is the whole set (see metrics.KID)
	// Precision and Recall are Kynkäänniemi et al.'s k-NN (k = 3) manifold
	// precision and recall on the features.
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	// PixelFD is the squared Fréchet distance on raw pixels in [−1, 1] at
	// the images' native resolution (a sanity baseline needing no network).
	PixelFD float64 `json:"pixel_fd"`
	// Classes is the fraction of images the classifier assigns to each
	// digit, and ClassTV the total-variation distance ½Σ|p_k − q_k| between
	// that histogram and the real set's.
	Classes [Classes]float64 `json:"classes"`
	ClassTV float64          `json:"class_tv"`
}

// Evaluator holds the shipped feature network and the features of a real
// image set, and computes Metrics of generated sets against it.
type Evaluator struct {
	// KID draws KIDSubsets subsets of at most KIDSubsetSize rows (set to the
	// package defaults by the constructors; lower them only for tests).
	KIDSubsets, KIDSubsetSize int

	net       *Net
	sha       string
	ex        *Extractor
	real      *data.Images
	realFeat  *mat.Dense
	realPix   *mat.Dense
	realStats metrics.GaussianStats
	realHist  [Classes]float64
}

// NewEvaluator loads the shipped weights (SHA-256 checked) and extracts the
// features of the real images (H×W with 28 divisible by H; smaller images
// are enlarged by pixel replication before the network, exactly as
// generated ones will be).
func NewEvaluator(real *data.Images) (*Evaluator, error) {
	net, sha, err := Load()
	if err != nil {
		return nil, err
	}
	return NewEvaluatorWith(net, sha, real)
}

// NewEvaluatorWith is NewEvaluator with a given network and its hash.
func NewEvaluatorWith(net *Net, sha string, real *data.Images) (*Evaluator, error) {
	if real.N <= metrics.DefaultNeighbours || real.N < 2 {
		return nil, fmt.Errorf("fidlenet: NewEvaluator: %d real images is too few", real.N)
	}
	ex, err := net.NewExtractor(DefaultExtractBatch)
	if err != nil {
		return nil, err
	}
	e := &Evaluator{KIDSubsets: KIDSubsets, KIDSubsetSize: KIDSubsetSize, net: net, sha: sha, ex: ex, real: real}
	if e.realFeat, err = e.Features(real); err != nil {
		ex.Close()
		return nil, err
	}
	e.realStats = metrics.FitGaussian(e.realFeat)
	e.realPix = real.Unit()
	e.realHist = histogram(Classify(net.Logits(e.realFeat)))
	return e, nil
}

// Close releases the compiled network.
func (e *Evaluator) Close() { e.ex.Close() }

// WeightsSHA256 returns the hash of the network's weights (record it with
// every fid_lenet value).
func (e *Evaluator) WeightsSHA256() string { return e.sha }

// Net returns the feature network.
func (e *Evaluator) Net() *Net { return e.net }

// RealStats returns the Gaussian statistics of the real set's features.
func (e *Evaluator) RealStats() metrics.GaussianStats { return e.realStats }

// RealFeatures returns the real set's features (N×Hidden; do not modify).
func (e *Evaluator) RealFeatures() *mat.Dense { return e.realFeat }

// Features returns the feature rows of im after enlarging it to 28×28 by
// pixel replication if it is smaller (see data.Images.Upsample).
func (e *Evaluator) Features(im *data.Images) (*mat.Dense, error) {
	up, err := toSide(im)
	if err != nil {
		return nil, err
	}
	return e.ex.Features(up)
}

func toSide(im *data.Images) (*data.Images, error) {
	if im.H == Side && im.W == Side {
		return im, nil
	}
	if im.H != im.W || im.H < 1 || Side%im.H != 0 {
		return nil, fmt.Errorf("fidlenet: %d×%d images cannot be enlarged to %d×%d by an integer factor", im.H, im.W, Side, Side)
	}
	return im.Upsample(Side / im.H), nil
}

func histogram(cls []int) [Classes]float64 {
	var h [Classes]float64
	for _, c := range cls {
		h[c]++
	}
	for k := range h {
		h[k] /= float64(len(cls))
	}
	return h
}

// FID returns fid_lenet between the real set and the 8-bit images fake.
func (e *Evaluator) FID(fake *data.Images) (float64, error) {
	f, err := e.Features(fake)
	if err != nil {
		return 0, err
	}
	return e.FIDFeatures(f)
}

// FIDFeatures returns fid_lenet between the real set and feature rows f.
func (e *Evaluator) FIDFeatures(f *mat.Dense) (float64, error) {
	d2, err := metrics.FrechetStats(e.realStats, metrics.FitGaussian(f))
	if err != nil {
		return d2, fmt.Errorf("fidlenet: fid_lenet: %w", err)
	}
	return d2, nil
}

// Evaluate computes every Metric of the 8-bit images fake (same size as the
// real set's images) against the real set. KID subsets are drawn from rng.
// Generated samples must come through data.QuantizeUnit (or EvaluateUnit),
// so that they are quantised exactly like the real images.
func (e *Evaluator) Evaluate(fake *data.Images, rng *rand.Rand) (Metrics, error) {
	if fake.H != e.real.H || fake.W != e.real.W {
		return Metrics{}, fmt.Errorf("fidlenet: Evaluate: %d×%d images against a %d×%d real set", fake.H, fake.W, e.real.H, e.real.W)
	}
	if fake.N <= metrics.DefaultNeighbours || fake.N < 2 {
		return Metrics{}, fmt.Errorf("fidlenet: Evaluate: %d images is too few", fake.N)
	}
	f, err := e.Features(fake)
	if err != nil {
		return Metrics{}, err
	}
	m := Metrics{N: fake.N}
	if m.FIDLeNet, err = e.FIDFeatures(f); err != nil {
		return m, err
	}
	kid, kidStd := metrics.KID(e.realFeat, f, e.KIDSubsets, e.KIDSubsetSize, rng)
	m.KID, m.KIDStd = 1e3*kid, 1e3*kidStd
	m.Precision, m.Recall = metrics.PrecisionRecall(e.realFeat, f, metrics.DefaultNeighbours)
	if m.PixelFD, err = metrics.FrechetDistance(e.realPix, fake.Unit()); err != nil {
		return m, fmt.Errorf("fidlenet: pixel FD: %w", err)
	}
	m.Classes = histogram(Classify(e.net.Logits(f)))
	for k := range m.Classes {
		m.ClassTV += 0.5 * math.Abs(m.Classes[k]-e.realHist[k])
	}
	return m, nil
}

// EvaluateUnit quantises the rows of x (N×(h·w), values in [−1, 1]) to 8
// bits with data.QuantizeUnit and evaluates them (see Evaluate).
func (e *Evaluator) EvaluateUnit(x *mat.Dense, h, w int, rng *rand.Rand) (Metrics, error) {
	return e.Evaluate(data.QuantizeUnit(x, h, w), rng)
}

// Flat returns m as metric → number for result.json: n, fid_lenet,
// kid_x1e3, kid_std_x1e3, precision, recall, pixel_fd, class_tv and
// class_0 … class_9, each key prefixed with prefix.
func (m Metrics) Flat(prefix string) map[string]float64 {
	out := map[string]float64{
		prefix + "n":            float64(m.N),
		prefix + "fid_lenet":    m.FIDLeNet,
		prefix + "kid_x1e3":     m.KID,
		prefix + "kid_std_x1e3": m.KIDStd,
		prefix + "precision":    m.Precision,
		prefix + "recall":       m.Recall,
		prefix + "pixel_fd":     m.PixelFD,
		prefix + "class_tv":     m.ClassTV,
	}
	for k, v := range m.Classes {
		out[fmt.Sprintf("%sclass_%d", prefix, k)] = v
	}
	return out
}
