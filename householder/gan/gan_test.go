package gan

import (
	"math"
	"math/rand/v2"
	"testing"

	"genlab/data"
	"genlab/householder"
	"genlab/nn"

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

func tinyGAN(t testing.TB, k int) (*Generator, *Discriminator) {
	t.Helper()
	rng := rand.New(rand.NewPCG(21, 1))
	gen, err := NewGenerator(GenConfig{ZDim: 4, WDim: 8, MapHidden: 16, MapLRMul: 0.01, ConstCh: 8, Channels: []int{8, 4, 4}}, rng)
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
	gg, err := newGenGraph(gen, 4, false, d)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(22, 1))
	for i := range gg.zd {
		gg.zd[i] = float32(rng.NormFloat64())
	}
	// (1) node gradient vs finite differences of A.
	gen.refreshHP(gg.nodes)
	if err := gg.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	node := gg.nodes.hp[0]
	gv, err := node.Grad()
	if err != nil {
		t.Fatal(err)
	}
	ga := append([]float32(nil), gv.Data().([]float32)...)
	gg.vm.Reset()
	for i := range gv.Data().([]float32) {
		gv.Data().([]float32)[i] = 0
	}
	val := node.Value().Data().([]float32)
	var num, den float64
	for j := 0; j < len(val); j += 3 {
		v := val[j]
		const h = 1e-2
		val[j] = v + h
		if err := gg.vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		lp := float64(gg.costV.Data().(float32))
		gg.vm.Reset()
		val[j] = v - h
		if err := gg.vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		lm := float64(gg.costV.Data().(float32))
		gg.vm.Reset()
		val[j] = v
		fd := (lp - lm) / (2 * h)
		num += (fd - float64(ga[j])) * (fd - float64(ga[j]))
		den += fd * fd
	}
	if rel := math.Sqrt(num / den); rel > 0.1 {
		t.Errorf("‖∂L/∂A − finite difference‖/‖finite difference‖ = %.3f", rel)
	}
	for _, n := range gg.learn {
		if g, err := n.Grad(); err == nil {
			for i := range g.Data().([]float32) {
				g.Data().([]float32)[i] = 0
			}
		}
	}
	for _, n := range gg.nodes.hp {
		if g, err := n.Grad(); err == nil {
			for i := range g.Data().([]float32) {
				g.Data().([]float32)[i] = 0
			}
		}
	}
	// (2) run's reflector gradients = householder.BuildWBackward(node gradient).
	_, _, grads, err := gg.run()
	if err != nil {
		t.Fatal(err)
	}
	a := gen.Layers[0].Affine
	gw := mat.NewDense(a.Out, a.In, nil)
	for j := 0; j < a.In; j++ {
		for r := 0; r < a.Out; r++ {
			gw.Set(r, j, float64(ga[j*a.Out+r]))
		}
	}
	gpu, gpv := householder.BuildWBackward(paramDense(a.HP.PU), paramDense(a.HP.PV), a.HP.K, gw)
	ps := gen.Params()
	for i, p := range ps {
		var want *mat.Dense
		switch p {
		case a.HP.PU:
			want = gpu
		case a.HP.PV:
			want = gpv
		default:
			continue
		}
		w := denseTo32(want)
		for j := range w {
			if math.Abs(float64(w[j]-grads[i][j])) > 1e-4*(1+math.Abs(float64(w[j]))) {
				t.Fatalf("%s[%d]: run %g, BuildWBackward %g", p.Name, j, grads[i][j], w[j])
			}
		}
	}
}

// TestSamplerMatchesTrainingGraph: the W+ sampler with every slot set to
// mapping(z) renders the same images as the training graph fed z (two
// independently built graphs), and the sampler's HP affine equals BuildW.
func TestSamplerMatchesTrainingGraph(t *testing.T) {
	gen, _ := tinyGAN(t, 3)
	fwd, err := newGenGraph(gen, 4, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSampler(gen, 4)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(23, 1))
	for i := range fwd.zd {
		fwd.zd[i] = float32(rng.NormFloat64())
	}
	img, _, _, err := fwd.run()
	if err != nil {
		t.Fatal(err)
	}
	img = append([]float32(nil), img...)
	w, err := s.Map(fwd.zd)
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
	for i := range img {
		if math.Abs(float64(img[i]-img2[i])) > 1e-5 {
			t.Fatalf("pixel %d: training graph %g, sampler %g", i, img[i], img2[i])
		}
	}
	// The value in the graph node is householder.BuildW(P_U, P_V, k)ᵀ.
	a := gen.Layers[3].Affine
	w3 := a.Matrix()
	node := s.syn.nodes.hp[3].Value().Data().([]float32)
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

// TestR1FiniteDifferenceHVP: the R1 parameter gradient computed as a
// central difference of ∇_θ D along ε·∇ₓD equals the central difference in
// θ of the penalty (γ/2)·mean‖∇ₓD‖² itself (two routes).
func TestR1FiniteDifferenceHVP(t *testing.T) {
	_, d := tinyGAN(t, 0)
	// Widen D's weights so the penalty is not tiny in float32.
	dg, err := newDGraph(d, 4)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(24, 1))
	real := spriteBatch(4, rng)
	gamma, every := 1.0, 1
	gan := &GAN{Cfg: TrainConfig{Batch: 4, R1Gamma: gamma, R1Every: every, R1Delta: 1e-3}, D: d, dg: dg}
	gan.OptD, err = nn.NewAdam(d.Params(), nn.AdamConfig{LR: 0})
	if err != nil {
		t.Fatal(err)
	}
	// Capture the HVP gradient by running the passes of r1Step by hand.
	// inputGrad returns ∇ₓD on the real batch and its squared norm.
	inputGrad := func() ([]float32, float64) {
		gx := make([]float32, len(real))
		copy(dg.xd, real)
		for i := 0; i < 4; i++ {
			dg.a[i], dg.s[i], dg.c[i] = 0, 1, 1
		}
		if _, _, err := dg.run(zeros(d.Params()), gx); err != nil {
			t.Fatal(err)
		}
		var sq float64
		for _, v := range gx {
			sq += float64(v) * float64(v)
		}
		return gx, sq
	}
	penalty := func() float64 {
		_, sq := inputGrad()
		return 0.5 * gamma * sq / 4
	}
	ps := d.Params()
	gx, sq := inputGrad()
	eps := 1e-3 / math.Sqrt(sq/float64(len(gx)))
	coef := gamma / (2 * eps * 4)
	acc := zeros(ps)
	for _, sign := range []float64{1, -1} {
		for j := range real {
			dg.xd[j] = real[j] + float32(sign*eps*float64(gx[j]))
		}
		for i := 0; i < 4; i++ {
			dg.c[i] = float32(sign * coef)
		}
		if _, _, err := dg.run(acc, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Compare on the output layer's weights (largest, well-conditioned).
	out := d.Out.W
	oi := -1
	for i, p := range ps {
		if p == out {
			oi = i
		}
	}
	var num, den float64
	for j := 0; j < out.Len(); j++ {
		v := out.Data()[j]
		h := float32(1e-2)
		out.Data()[j] = v + h
		pp := penalty()
		out.Data()[j] = v - h
		pm := penalty()
		out.Data()[j] = v
		fd := (pp - pm) / (2 * float64(h))
		got := float64(acc[oi][j])
		num += (fd - got) * (fd - got)
		den += fd * fd
	}
	rel := math.Sqrt(num / den)
	t.Logf("R1 gradient on the output layer: relative difference of the two routes %.4f", rel)
	if rel > 0.1 {
		t.Errorf("R1 gradient routes differ by %.3f (relative ℓ2)", rel)
	}
}

// TestGANCheckpointResume: restoring a checkpoint and repeating an
// iteration with the same draws gives the same losses.
func TestGANCheckpointResume(t *testing.T) {
	gen, d := tinyGAN(t, 2)
	cfg := TrainConfig{Batch: 4, LR: 2e-3, Beta2: 0.99, R1Gamma: 1, R1Every: 2, R1Delta: 1e-3, EMAHalfLife: 1000, EMARampup: 0.05}
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
	step(0)
	c, err := gan.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	a := step(1)
	if err := gan.Restore(c); err != nil {
		t.Fatal(err)
	}
	b := step(1)
	if a != b {
		t.Errorf("after restore: %+v, before: %+v", b, a)
	}
	if a.R1 <= 0 || !finite(a.LossD) || !finite(a.LossG) {
		t.Errorf("iteration 2 stats %+v: want an R1 step and finite losses", a)
	}
}

// BenchmarkGANStep times one iteration of the default-preset GAN (batch 16).
func BenchmarkGANStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	gen, err := NewGenerator(GenConfig{ZDim: 8, WDim: 16, MapHidden: 64, MapLRMul: 0.01, ConstCh: 16, Channels: []int{16, 16, 8}}, rng)
	if err != nil {
		b.Fatal(err)
	}
	if gen, err = gen.WithProjector([]int{0, 3}, 5, InitRandom, rng); err != nil {
		b.Fatal(err)
	}
	d, err := NewDiscriminator(32, []int{8, 16, 32, 32}, rng)
	if err != nil {
		b.Fatal(err)
	}
	gan, err := NewGAN(gen, nil, d, TrainConfig{Batch: 16, LR: 2e-3, Beta2: 0.99, R1Gamma: 1, R1Every: 16, R1Delta: 1e-3, EMAHalfLife: 10000})
	if err != nil {
		b.Fatal(err)
	}
	real := spriteBatch(16, rng)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := gan.Step(real, rng); err != nil {
			b.Fatal(err)
		}
	}
}
