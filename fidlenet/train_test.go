package fidlenet

import (
	"genlab/internal/cputime"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"

	"genlab/data"
	"genlab/nn"
)

// randomImages returns n labelled random 28×28 images.
func randomImages(n int, rng *rand.Rand) *data.Images {
	im := &data.Images{N: n, H: Side, W: Side, Pix: make([]uint8, n*Side*Side), Labels: make([]uint8, n)}
	for i := range im.Pix {
		im.Pix[i] = uint8(rng.IntN(256))
	}
	for i := range im.Labels {
		im.Labels[i] = uint8(rng.IntN(Classes))
	}
	return im
}

// refFeatures is an independent float64 forward pass of n for one 28×28
// image (pixels mapped to [−1, 1]): direct-loop convolutions with zero
// padding 2, ReLU, 2×2 max-pools, fc1 + ReLU. It returns the features.
func refFeatures(n *Net, pix []uint8) []float64 {
	conv := func(in []float64, cin, side int, w, b *nn.Param, cout int) []float64 {
		out := make([]float64, cout*side*side)
		for o := 0; o < cout; o++ {
			for i := 0; i < side; i++ {
				for j := 0; j < side; j++ {
					s := float64(b.Data()[o])
					for c := 0; c < cin; c++ {
						for u := 0; u < 5; u++ {
							for v := 0; v < 5; v++ {
								y, x := i+u-2, j+v-2
								if y < 0 || y >= side || x < 0 || x >= side {
									continue
								}
								s += float64(w.Data()[((o*cin+c)*5+u)*5+v]) * in[(c*side+y)*side+x]
							}
						}
					}
					out[(o*side+i)*side+j] = max(s, 0)
				}
			}
		}
		return out
	}
	pool := func(in []float64, ch, side int) []float64 {
		h := side / 2
		out := make([]float64, ch*h*h)
		for c := 0; c < ch; c++ {
			for i := 0; i < h; i++ {
				for j := 0; j < h; j++ {
					m := math.Inf(-1)
					for u := 0; u < 2; u++ {
						for v := 0; v < 2; v++ {
							m = max(m, in[(c*side+2*i+u)*side+2*j+v])
						}
					}
					out[(c*h+i)*h+j] = m
				}
			}
		}
		return out
	}
	x := make([]float64, Side*Side)
	for i, p := range pix {
		x[i] = data.PixelToUnit(p)
	}
	c := n.cfg
	h := pool(conv(x, 1, 28, n.w1, n.b1, c.C1), c.C1, 28)
	h = pool(conv(h, c.C1, 14, n.w2, n.b2, c.C2), c.C2, 14)
	f := make([]float64, c.Hidden)
	for k := range f {
		s := float64(n.b3.Data()[k])
		for i, v := range h {
			s += v * float64(n.w3.Data()[i*c.Hidden+k])
		}
		f[k] = max(s, 0)
	}
	return f
}

// refLoss is the mean cross-entropy of the float64 reference forward pass.
func refLoss(n *Net, im *data.Images) float64 {
	var s float64
	for i := 0; i < im.N; i++ {
		f := refFeatures(n, im.Image(i))
		z := make([]float64, Classes)
		m := math.Inf(-1)
		for k := range z {
			z[k] = float64(n.b4.Data()[k])
			for j, v := range f {
				z[k] += v * float64(n.w4.Data()[j*Classes+k])
			}
			m = max(m, z[k])
		}
		var se float64
		for _, v := range z {
			se += math.Exp(v - m)
		}
		s += m + math.Log(se) - z[im.Labels[i]]
	}
	return s / float64(im.N)
}

// TestForwardMatchesFloat64Reference: the compiled feature graph agrees with
// the direct float64 loops.
func TestForwardMatchesFloat64Reference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	n, err := New(Config{C1: 3, C2: 4, Hidden: 16}, rng)
	if err != nil {
		t.Fatal(err)
	}
	im := randomImages(5, rng)
	ex, err := n.NewExtractor(2) // 5 = 2+2+1: exercises the padded last batch
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	f, err := ex.Features(im)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < im.N; i++ {
		for k, want := range refFeatures(n, im.Image(i)) {
			if got := f.At(i, k); math.Abs(got-want) > 1e-4*(1+math.Abs(want)) {
				t.Fatalf("image %d feature %d: graph %v, reference %v", i, k, got, want)
			}
		}
	}
}

// TestGradientsFiniteDifference checks the symbolic gradient of the
// cross-entropy (through log-softmax, both max-pools and convolutions)
// against central differences of the float64 reference loss with a step
// (10⁻⁵ relative) far too small to cross a ReLU or max-pool kink.
func TestGradientsFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	n, err := New(Config{C1: 2, C2: 3, Hidden: 8}, rng)
	if err != nil {
		t.Fatal(err)
	}
	im := randomImages(4, rng)
	tr, err := NewTrainer(n, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	loss, gs, err := tr.Gradients(im, []int{0, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if l2 := refLoss(n, im); math.Abs(l2-loss) > 1e-5*math.Max(1, loss) {
		t.Fatalf("graph loss %v, reference loss %v", loss, l2)
	}
	// The step actually applied is measured after rounding to float32.
	for pi, p := range n.params() {
		for trial := 0; trial < 6; trial++ {
			j := rng.IntN(len(p.Data()))
			old := p.Data()[j]
			h := float32(1e-5) * max(1, float32(math.Abs(float64(old))))
			p.Data()[j] = old + h
			hp := float64(p.Data()[j]) - float64(old)
			lp := refLoss(n, im)
			p.Data()[j] = old - h
			hm := float64(old) - float64(p.Data()[j])
			lm := refLoss(n, im)
			p.Data()[j] = old
			fd := (lp - lm) / (hp + hm)
			if g := float64(gs[pi][j]); math.Abs(fd-g) > 1e-4+1e-3*math.Abs(fd) {
				t.Errorf("%s[%d]: gradient %v, finite difference %v", p.Name, j, g, fd)
			}
		}
	}
}

// TestTrainingLearnsSmallSet: a few hundred updates on 64 random images with
// random labels must memorise most of them (a broken gradient or update
// would stay near 10% accuracy).
func TestTrainingLearnsSmallSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 1))
	n, err := New(Config{C1: 4, C2: 8, Hidden: 32}, rng)
	if err != nil {
		t.Fatal(err)
	}
	im := randomImages(64, rng)
	cfg := TrainConfig{Epochs: 60, Batch: 16, LR: 3e-3}
	var last float64
	if err := Train(t.Context(), n, im, cfg, rng, func(_, _ int, l float64) { last = l }); err != nil {
		t.Fatal(err)
	}
	acc, _, err := n.Accuracy(im, 32)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("train accuracy %.3f, last loss %.3f", acc, last)
	if acc < 0.9 {
		t.Errorf("accuracy on the memorised set %.3f < 0.9", acc)
	}
}

// BenchmarkTrainStep times one training step of DefaultConfig at batch 64:
// pixels to [−1, 1] and one-hot labels, forward, cross-entropy, backward and
// the Adam update (lr 1e-3, no decay), after one warm-up step. It reports
// images/s (wall), the process CPU time per step ("cpu-ms/op") and the
// parameter count; bench/torch_lenet.py --mode train is its PyTorch peer.
func BenchmarkTrainStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	n, err := New(DefaultConfig, rng)
	if err != nil {
		b.Fatal(err)
	}
	im := randomImages(64, rng)
	idx := make([]int, 64)
	for i := range idx {
		idx[i] = i
	}
	tr, err := NewTrainer(n, 64)
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Step(im, idx, 1e-3, 0); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cputime.Process()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Step(im, idx, 1e-3, 0); err != nil {
			b.Fatal(err)
		}
	}
	reportBench(b, 64, cpu0, n)
}

// BenchmarkFeatures times the feature extraction of one batch of
// DefaultExtractBatch images (pixels to [−1, 1], forward to the 128
// features, copied out as float64), after one warm-up batch; it reports as
// BenchmarkTrainStep. bench/torch_lenet.py --mode features is its peer.
func BenchmarkFeatures(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	n, err := New(DefaultConfig, rng)
	if err != nil {
		b.Fatal(err)
	}
	im := randomImages(DefaultExtractBatch, rng)
	e, err := n.NewExtractor(DefaultExtractBatch)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Features(im); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cputime.Process()
	for i := 0; i < b.N; i++ {
		if _, err := e.Features(im); err != nil {
			b.Fatal(err)
		}
	}
	reportBench(b, im.N, cpu0, n)
}

// reportBench adds images/s (wall), the process CPU time per op (user +
// system, all threads; steadier than wall time on a shared machine) and the
// network's parameter count.
func reportBench(b *testing.B, images int, cpu0 time.Duration, n *Net) {
	b.ReportMetric(float64(images*b.N)/b.Elapsed().Seconds(), "images/s")
	if d := cputime.Process() - cpu0; d > 0 {
		b.ReportMetric(d.Seconds()*1e3/float64(b.N), "cpu-ms/op")
	}
	b.ReportMetric(float64(n.NumParams()), "params")
}

// TestExtractorMatchesGraph: the engine's features equal those of the
// gorgonia graph of the same network (the training route) to 1e-5
// relative, for a random network on random images over several shards.
func TestExtractorMatchesGraph(t *testing.T) {
	n, err := New(Config{C1: 3, C2: 5, Hidden: 7}, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, p := range []*nn.Param{n.b1, n.b2, n.b3} {
		for i := range p.Data() {
			p.Data()[i] = float32(rng.NormFloat64() * 0.1)
		}
	}
	const N = 2*extractShard + 3
	im := &data.Images{N: N, H: Side, W: Side, Pix: make([]uint8, N*Side*Side)}
	for i := range im.Pix {
		im.Pix[i] = uint8(rng.IntN(256))
	}
	ex, err := n.NewExtractor(64)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ex.Features(im)
	if err != nil {
		t.Fatal(err)
	}
	gr, err := n.build(N, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < N; i++ {
		for j, p := range im.Image(i) {
			gr.xd[i*Side*Side+j] = float32(data.PixelToUnit(p))
		}
	}
	var fv G.Value
	G.Read(gr.feat, &fv)
	vm := G.NewTapeMachine(gr.g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	want := fv.Data().([]float32)
	var maxAbs, maxErr float64
	for i := 0; i < N; i++ {
		for j := 0; j < n.cfg.Hidden; j++ {
			w := float64(want[i*n.cfg.Hidden+j])
			maxAbs = math.Max(maxAbs, math.Abs(w))
			maxErr = math.Max(maxErr, math.Abs(got.At(i, j)-w))
		}
	}
	if maxAbs == 0 || maxErr > 1e-5*maxAbs {
		t.Fatalf("engine features vs graph: max error %.3g at scale %.3g", maxErr, maxAbs)
	}
}
