package fidlenet

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
	"genlab/metrics"
)

// shared state of the tests that need MNIST and the shipped weights: the
// test split's features are extracted once.
var shared struct {
	once        sync.Once
	err         error
	skip        string
	net         *Net
	sha         string
	train, test *data.Images
	testFeat    *mat.Dense
}

func setup(t *testing.T) {
	t.Helper()
	shared.once.Do(func() {
		shared.net, shared.sha, shared.err = Load()
		if shared.err != nil {
			return
		}
		dir, err := data.DefaultMNISTDir()
		if err != nil {
			shared.skip = "MNIST not present (" + err.Error() + "): run scripts/mnist-data.sh to enable this test"
			return
		}
		if shared.test, shared.err = data.LoadMNIST(dir, data.MNISTTest); shared.err != nil {
			return
		}
		if shared.train, shared.err = data.LoadMNIST(dir, data.MNISTTrain); shared.err != nil {
			return
		}
		ex, err := shared.net.NewExtractor(DefaultExtractBatch)
		if err != nil {
			shared.err = err
			return
		}
		defer ex.Close()
		shared.testFeat, shared.err = ex.Features(shared.test)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	if shared.skip != "" {
		t.Skip(shared.skip)
	}
}

// TestShippedWeightsAccuracy recomputes the test accuracy of the stored
// weights and checks it against the record and the ≥ 99% target.
func TestShippedWeightsAccuracy(t *testing.T) {
	info, err := ShippedInfo()
	if err != nil {
		t.Fatal(err)
	}
	setup(t)
	if info.SHA256 != shared.sha {
		t.Fatalf("lenet.json records weights %s, loaded %s", info.SHA256, shared.sha)
	}
	pred := Classify(shared.net.Logits(shared.testFeat))
	ok := 0
	for i, p := range pred {
		if p == int(shared.test.Labels[i]) {
			ok++
		}
	}
	acc := float64(ok) / float64(len(pred))
	t.Logf("test accuracy %.4f (recorded %.4f)", acc, info.TestAccuracy)
	// Another BLAS may round differently: allow two flipped decisions.
	if math.Abs(acc-info.TestAccuracy) > 2.5e-4 {
		t.Errorf("test accuracy %.4f, lenet.json records %.4f", acc, info.TestAccuracy)
	}
	if acc < MinTestAccuracy {
		t.Errorf("test accuracy %.4f < %.4f", acc, MinTestAccuracy)
	}
}

// TestReferenceStatsMatchRecomputed: the shipped statistics are those of the
// test split's features under the shipped weights.
func TestReferenceStatsMatchRecomputed(t *testing.T) {
	setup(t)
	ref, err := Reference(shared.sha)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Reference("0000"); err == nil {
		t.Error("statistics accepted for other weights")
	}
	got := metrics.FitGaussian(shared.testFeat)
	if ref.Stats.N != got.N || len(ref.Stats.Mean) != shared.net.Features() {
		t.Fatalf("shipped stats n=%d d=%d, recomputed n=%d d=%d", ref.Stats.N, len(ref.Stats.Mean), got.N, len(got.Mean))
	}
	var trace float64
	for i := range got.Mean {
		trace += got.Cov[i*len(got.Mean)+i]
	}
	d2, err := metrics.FrechetStats(ref.Stats, got)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(d2) > 1e-6*trace {
		t.Errorf("Fréchet distance between shipped and recomputed statistics %g (Tr Σ = %g)", d2, trace)
	}
	for i, v := range got.Mean {
		if math.Abs(v-ref.Stats.Mean[i]) > 1e-5*(1+math.Abs(v)) {
			t.Fatalf("mean[%d]: recomputed %v, shipped %v", i, v, ref.Stats.Mean[i])
		}
	}
}

// TestFIDOrdering: at N = 1000 against 1000 test images, fid_lenet of
// training digits (the floor, ≈ 40) is far below that of blurred digits (4×4
// block means replicated back to 28², ≈ 660), which is below that of
// uniform noise (≈ 1400); the
// metric does not depend on the order of the samples; precision/recall and
// the class histogram behave accordingly.
func TestFIDOrdering(t *testing.T) {
	setup(t)
	const n = 1000
	real := shared.test.Head(n)
	ev, err := NewEvaluatorWith(shared.net, shared.sha, real)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	ev.KIDSubsets, ev.KIDSubsetSize = 10, 500 // the defaults (100 × 1000) cost ~10 s of CPU per call
	rng := rand.New(rand.NewPCG(11, 1))
	train := shared.train.Subset(rng.Perm(shared.train.N)[:n])
	blur := train.Downsample(4).Upsample(4)
	noise := &data.Images{N: n, H: Side, W: Side, Pix: make([]uint8, n*Side*Side)}
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.IntN(256))
	}
	mt, err := ev.Evaluate(train, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	mb, err := ev.Evaluate(blur, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	mn, err := ev.Evaluate(noise, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("train: %+v", mt)
	t.Logf("blur:  %+v", mb)
	t.Logf("noise: %+v", mn)
	if !(mt.FIDLeNet < mb.FIDLeNet/10 && mb.FIDLeNet < mn.FIDLeNet/1.5) {
		t.Errorf("fid_lenet train %.3g, blurred %.3g, noise %.3g: want train ≪ blurred ≪ noise", mt.FIDLeNet, mb.FIDLeNet, mn.FIDLeNet)
	}
	// KID is not scale-free: the ReLU features are O(1–10), so the cubic
	// kernel is large; assert the ordering, with the floor an order of
	// magnitude below blurred digits.
	if !(mt.KID < mb.KID/10 && mb.KID < mn.KID) {
		t.Errorf("KID×10³ train %.3g ± %.3g, blurred %.3g, noise %.3g", mt.KID, mt.KIDStd, mb.KID, mn.KID)
	}
	if !(mt.PixelFD < mb.PixelFD && mb.PixelFD < mn.PixelFD) {
		t.Errorf("pixel FD train %.3g, blurred %.3g, noise %.3g", mt.PixelFD, mb.PixelFD, mn.PixelFD)
	}
	if mt.Precision < 0.6 || mt.Recall < 0.6 || mn.Precision > 0.05 || mn.Recall > 0.05 {
		t.Errorf("precision/recall train %.3f/%.3f, noise %.3f/%.3f", mt.Precision, mt.Recall, mn.Precision, mn.Recall)
	}
	if mt.ClassTV > 0.08 {
		t.Errorf("class histogram of training digits is %.3f from the test split's", mt.ClassTV)
	}
	// Order invariance: permuting the feature rows leaves fid_lenet
	// unchanged up to summation order; permuting the images also moves
	// them within extraction batches, which changes float32 rounding only.
	p := rng.Perm(n)
	f, err := ev.Features(train)
	if err != nil {
		t.Fatal(err)
	}
	fperm := mat.NewDense(n, shared.net.Features(), nil)
	for i, j := range p {
		fperm.SetRow(i, f.RawRowView(j))
	}
	f1, err := ev.FIDFeatures(f)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := ev.FIDFeatures(fperm)
	if err != nil {
		t.Fatal(err)
	}
	f3, err := ev.FID(train.Subset(p))
	if err != nil {
		t.Fatal(err)
	}
	// Near-zero covariance eigenvalues (nearly dead ReLU units) turn
	// rounding δ into √δ in Tr(Σ₁Σ₂)^½, hence the 1e-5 tolerance.
	if math.Abs(f1-mt.FIDLeNet) > 1e-12*f1 || math.Abs(f2-f1) > 1e-5*f1 || math.Abs(f3-f1) > 1e-5*f1 {
		t.Errorf("fid_lenet under permutations: %v (Evaluate), %v (features), %v (rows permuted), %v (images permuted)", mt.FIDLeNet, f1, f2, f3)
	}
	// A set of one digit: the histogram puts (nearly) all mass there.
	var ones []int
	for i, l := range shared.train.Labels {
		if l == 1 && len(ones) < 300 {
			ones = append(ones, i)
		}
	}
	m1, err := ev.Evaluate(shared.train.Subset(ones), rand.New(rand.NewPCG(1, 3)))
	if err != nil {
		t.Fatal(err)
	}
	if m1.Classes[1] < 0.98 || m1.ClassTV < 0.8 {
		t.Errorf("only ones: histogram %v, TV %.3f", m1.Classes, m1.ClassTV)
	}
}
