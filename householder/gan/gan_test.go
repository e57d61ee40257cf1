package gan

import (
	"math"
	"math/rand/v2"
	"testing"

	"genlab/data"
	"genlab/householder"
	"genlab/internal/cputime"
	"genlab/results"

	"gonum.org/v1/gonum/mat"
)

func spriteBatch(n int, rng *rand.Rand) []float32 {
	imgs, _ := data.SpriteSet(n, false, rng)
	out := make([]float32, 0, n*len(imgs[0]))
	for _, im := range imgs {
		for _, v := range im {
			out = append(out, float32(2*v-1))
		}
	}
	return out
}

func tinyGAN(t testing.TB, k int) (*Generator, *Discriminator) { return tinyGANCfg(t, k, false) }

// tinyGANCfg is a 32 px generator (HP of rank k on layers 0 and 3 if
// k > 0, noise inputs if noise) and discriminator.
func tinyGANCfg(t testing.TB, k int, noise bool) (*Generator, *Discriminator) {
	t.Helper()
	rng := rand.New(rand.NewPCG(21, 1))
	gen, err := NewGenerator(GenConfig{ZDim: 4, WDim: 8, MapHidden: 16, MapLRMul: 0.01, ConstCh: 8, Channels: []int{8, 4, 4}, Noise: noise}, rng)
	if err != nil {
		t.Fatal(err)
	}
	if k > 0 {
		if gen, err = gen.WithProjector([]int{0, 3}, k, InitRandom, rng); err != nil {
			t.Fatal(err)
		}
	}
	d, err := NewDiscriminator(32, []int{4, 4, 4, 4}, rng)
	if err != nil {
		t.Fatal(err)
	}
	return gen, d
}

// TestHPGradientInGenerator checks the HP path of the generator gradient in
// two parts: (1) the gradient of the generator loss with respect to the
// affine Aᵀ that BuildW fills (the graph's input node) against central
// differences of the float32 loss (leaky-ReLU kinks and float32 limit the
// tolerance); (2) the reflector gradients returned by run equal
// BuildWBackward applied to that node gradient (whose own finite-difference
// test is TestBuildWBackward, in float64).
func TestHPGradientInGenerator(t *testing.T) {
	gen, d := tinyGAN(t, 3)
	gg, err := newGenGraph(gen, genSpec{batch: 4, mode: genLoss, d: d})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(22, 1))
	gg.setLatents(drawLatents(gg, 0, rng))
	// (1) node gradient vs finite differences of A.
	gen.refreshHP(gg.hp)
	if err := gg.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	node := gg.hp[0]
	ga, err := takeGrad(node)
	if err != nil {
		t.Fatal(err)
	}
	gg.vm.Reset()
	val := node.Value().Data().([]float32)
	var num, den float64
	for j := 0; j < len(val); j += 3 {
		v := val[j]
		const h = 1e-2
		val[j] = v + h
		if err := gg.vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		lp := scalarOf(gg.costV)
		gg.vm.Reset()
		val[j] = v - h
		if err := gg.vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		lm := scalarOf(gg.costV)
		gg.vm.Reset()
		val[j] = v
		fd := (lp - lm) / (2 * h)
		num += (fd - ga[j]) * (fd - ga[j])
		den += fd * fd
	}
	if rel := math.Sqrt(num / den); rel > 0.1 {
		t.Errorf("‖∂L/∂A − finite difference‖/‖finite difference‖ = %.3f", rel)
	}
	if _, err := gg.paramGrads(); err != nil { // zero the gradients the runs accumulated
		t.Fatal(err)
	}
	// (2) run's reflector gradients = householder.BuildWBackward(node gradient).
	out, err := gg.run()
	if err != nil {
		t.Fatal(err)
	}
	a := gen.Layers[0].Affine
	gw := mat.NewDense(a.Out, a.In, nil)
	for j := 0; j < a.In; j++ {
		for r := 0; r < a.Out; r++ {
			gw.Set(r, j, ga[j*a.Out+r])
		}
	}
	gpu, gpv := householder.BuildWBackward(paramDense(a.HP.PU), paramDense(a.HP.PV), a.HP.K, gw)
	for i, p := range gen.Params() {
		var want *mat.Dense
		switch p {
		case a.HP.PU:
			want = gpu
		case a.HP.PV:
			want = gpv
		default:
			continue
		}
		w := denseData(want)
		for j := range w {
			if math.Abs(w[j]-out.grads[i][j]) > 1e-4*(1+math.Abs(w[j])) {
				t.Fatalf("%s[%d]: run %g, BuildWBackward %g", p.Name, j, out.grads[i][j], w[j])
			}
		}
	}
}

// TestSamplerMatchesTrainingGraph: the W+ sampler with every slot set to
// mapping(z) renders the same images as the training graph fed z (two
// independently built graphs), and the sampler's HP affine equals BuildW.
func TestSamplerMatchesTrainingGraph(t *testing.T) {
	gen, _ := tinyGAN(t, 3)
	fwd, err := newGenGraph(gen, genSpec{batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSampler(gen, 4)
	if err != nil {
		t.Fatal(err)
	}
	lt := drawLatents(fwd, 0, rand.New(rand.NewPCG(23, 1)))
	fwd.setLatents(lt)
	out, err := fwd.run()
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Map(f32(lt.z))
	if err != nil {
		t.Fatal(err)
	}
	slots := make([][]float32, gen.Cfg.Slots())
	for i := range slots {
		slots[i] = w
	}
	img2, err := s.Synth(slots)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out.img {
		if math.Abs(v-float64(img2[i])) > 1e-5 {
			t.Fatalf("pixel %d: training graph %g, sampler %g", i, v, img2[i])
		}
	}
	// The value in the graph node is householder.BuildW(P_U, P_V, k)ᵀ.
	a := gen.Layers[3].Affine
	w3 := a.Matrix()
	node := s.syn.hp[3].Value().Data().([]float32)
	for r := 0; r < a.Out; r++ {
		for j := 0; j < a.In; j++ {
			if math.Abs(float64(node[j*a.Out+r])-w3.At(r, j)) > 1e-6 {
				t.Fatalf("graph affine [%d,%d] = %g, BuildW %g", r, j, node[j*a.Out+r], w3.At(r, j))
			}
		}
	}
	var svd mat.SVD
	svd.Factorize(w3, mat.SVDNone)
	if v := svd.Values(nil); math.Abs(v[2]-1) > 1e-6 || v[3] > 1e-6 {
		t.Errorf("HP affine singular values %v, want three ones", v)
	}
}

// TestGANCheckpointResume: restoring a checkpoint and repeating an
// iteration with the same draws gives the same losses, with StyleGAN2's
// regularisers off (the original recipe) and on (mixing, noise inputs and
// the path-length step, whose running mean a the checkpoint carries).
func TestGANCheckpointResume(t *testing.T) {
	for _, sg2 := range []bool{false, true} {
		gen, d := tinyGANCfg(t, 2, sg2)
		cfg := TrainConfig{Batch: 4, LR: 2e-3, Beta2: 0.99, R1Gamma: 1, R1Every: 2, EMAHalfLife: 1000, EMARampup: 0.05}
		if sg2 {
			cfg.MixProb, cfg.PLWeight, cfg.PLEvery, cfg.PLDecay = 0.9, 2, 2, 0.01
		}
		gan, err := NewGAN(gen, nil, d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		step := func(i uint64) StepStats {
			rng := rand.New(rand.NewPCG(30, i))
			st, err := gan.Step(spriteBatch(4, rng), rng)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		for i := uint64(0); i < 3; i++ {
			step(i)
		}
		c, err := gan.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		a0 := gan.PLMean
		a := step(3)
		gan.PLMean = -1
		if err := gan.Restore(c); err != nil {
			t.Fatal(err)
		}
		if gan.PLMean != a0 {
			t.Errorf("restored path-length mean %v, want %v", gan.PLMean, a0)
		}
		b := step(3)
		if a != b {
			t.Errorf("StyleGAN2 regularisers %v: after restore: %+v, before: %+v", sg2, b, a)
		}
		if a.R1 <= 0 || !finite(a.LossD) || !finite(a.LossG) || (a.PL > 0) != sg2 || (sg2 && a0 <= 0) {
			t.Errorf("StyleGAN2 regularisers %v: iteration 4 stats %+v, path-length mean %v: want an R1 step, finite losses and a PL step iff on", sg2, a, a0)
		}
	}
}

// benchGAN builds the default-preset GAN (batch 16), with StyleGAN2's
// mixing, noise inputs and path-length regulariser if sg2.
// benchShape is a GAN's widths and batch for the step benchmarks.
type benchShape struct {
	constCh   int
	gen, disc []int
	batch     int
	r1Gamma   float64
}

var (
	// defaultShape is experiments/householder's default preset.
	defaultShape = benchShape{16, []int{16, 16, 8}, []int{8, 16, 32, 32}, 16, 1}
	// specShape is its full preset, the spec's Sprites-5 scale.
	specShape = benchShape{32, []int{32, 32, 16}, []int{16, 32, 32, 32}, 32, 1}
)

func benchGAN(b *testing.B, sh benchShape, sg2 bool) (*GAN, []float32, *rand.Rand) {
	rng := rand.New(rand.NewPCG(1, 1))
	gen, err := NewGenerator(GenConfig{ZDim: 8, WDim: 16, MapHidden: 64, MapLRMul: 0.01, ConstCh: sh.constCh, Channels: sh.gen, Noise: sg2}, rng)
	if err != nil {
		b.Fatal(err)
	}
	if gen, err = gen.WithProjector([]int{0, 3}, 5, InitRandom, rng); err != nil {
		b.Fatal(err)
	}
	d, err := NewDiscriminator(32, sh.disc, rng)
	if err != nil {
		b.Fatal(err)
	}
	cfg := TrainConfig{Batch: sh.batch, LR: 2e-3, Beta2: 0.99, R1Gamma: sh.r1Gamma, R1Every: 16, EMAHalfLife: 10000}
	if sg2 {
		cfg.MixProb, cfg.PLWeight, cfg.PLEvery, cfg.PLDecay = 0.9, 2, 4, 0.01
	}
	gan, err := NewGAN(gen, nil, d, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return gan, spriteBatch(sh.batch, rng), rng
}

// benchStep times GAN.Step on a fresh GAN per b.N round (Iter from 0, so
// the lazy R1 runs on iterations 16, 32, …: -benchtime 16x includes one)
// and reports wall ns/op, process CPU cpu-ms/op (user+system, all threads)
// and the G and D parameter counts, which bench/torch_gan_step.py checks.
func benchStep(b *testing.B, sh benchShape, sg2 bool) {
	gan, real, rng := benchGAN(b, sh, sg2)
	b.ResetTimer()
	cpu0 := cputime.Process()
	for i := 0; i < b.N; i++ {
		if _, err := gan.Step(real, rng); err != nil {
			b.Fatal(err)
		}
	}
	if d := cputime.Process() - cpu0; d > 0 {
		b.ReportMetric(d.Seconds()*1e3/float64(b.N), "cpu-ms/op")
	}
	var ng, nd int
	for _, p := range gan.Gen.Params() {
		ng += p.Len()
	}
	for _, p := range gan.D.Params() {
		nd += p.Len()
	}
	b.ReportMetric(float64(ng), "G-params")
	b.ReportMetric(float64(nd), "D-params")
}

// BenchmarkGANStep times one iteration of the default-preset GAN (batch
// 16; R1 every 16 iterations).
func BenchmarkGANStep(b *testing.B) { benchStep(b, defaultShape, false) }

// BenchmarkGANStepSpec times one iteration at the full preset's (the
// spec's) widths and batch 32: what a pre-training iteration of the spec's
// Sprites-5 G0 costs.
func BenchmarkGANStepSpec(b *testing.B) { benchStep(b, specShape, false) }

// BenchmarkGANStepStyleGAN2 is BenchmarkGANStep with style mixing (0.9),
// noise inputs and the path-length regulariser (every 4 iterations).
func BenchmarkGANStepStyleGAN2(b *testing.B) { benchStep(b, defaultShape, true) }

// BenchmarkR1Exact times one R1 step (exact gradient) of the default D.
func BenchmarkR1Exact(b *testing.B) {
	gan, real, _ := benchGAN(b, defaultShape, false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := gan.r1Step(real); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkR1FiniteDifference times the former R1 route (fdR1Grad, the
// test oracle) on the same D.
func BenchmarkR1FiniteDifference(b *testing.B) {
	gan, real, _ := benchGAN(b, defaultShape, false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := fdR1Grad(gan.dg, real, 1, 16, 1e-3); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConfigKeysUnchanged: with the StyleGAN2 switches off, TrainConfig and
// GenConfig hash (results.Key, as the experiment's G0 cache does) to the
// keys of the plain structs without the switches (omitempty keeps them out),
// and a switch on changes the key.
func TestConfigKeysUnchanged(t *testing.T) {
	type oldTrain struct {
		Batch       int
		LR          float64
		Beta2       float64
		R1Gamma     float64
		R1Every     int
		EMAHalfLife float64
		EMARampup   float64
	}
	type oldGen struct {
		ZDim, WDim int
		MapHidden  int
		MapLRMul   float64
		ConstCh    int
		Channels   []int
	}
	key := func(v any) string {
		k, err := results.Key(v)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	tc := TrainConfig{Batch: 16, LR: 3e-3, Beta2: 0.99, R1Gamma: 0.1, R1Every: 16, EMAHalfLife: 10000, EMARampup: 0.05}
	if key(tc) != key(oldTrain{16, 3e-3, 0.99, 0.1, 16, 10000, 0.05}) {
		t.Error("TrainConfig key changed")
	}
	gc := GenConfig{ZDim: 8, WDim: 16, MapHidden: 64, MapLRMul: 0.01, ConstCh: 16, Channels: []int{16, 16, 8}}
	if key(gc) != key(oldGen{8, 16, 64, 0.01, 16, []int{16, 16, 8}}) {
		t.Error("GenConfig key changed")
	}
	on := tc
	on.MixProb = 0.9
	gon := gc
	gon.Noise = true
	if key(on) == key(tc) || key(gon) == key(gc) {
		t.Error("a StyleGAN2 switch does not change the key")
	}
}
