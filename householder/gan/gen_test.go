package gan

import (
	"math"
	"math/rand/v2"
	"testing"

	"genlab/nn"
)

func maxDiff(a []float64, b []float32) float64 {
	var m float64
	for i, v := range a {
		m = math.Max(m, math.Abs(v-float64(b[i])))
	}
	return m
}

// TestStyleMixingUsesBothLatents: a mixed batch of the training graph
// equals the W+ sampler fed w(z) in the slots before the crossover and
// w(z2) from it on, and differs clearly from the images of either latent
// alone; the crossover is drawn with the mixing probability, uniformly in
// [1, Slots()−1].
func TestStyleMixingUsesBothLatents(t *testing.T) {
	gen, _ := tinyGAN(t, 3)
	const bs = 4
	gg, err := newGenGraph(gen, genSpec{batch: bs, mix: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSampler(gen, bs)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(51, 1))
	lt := drawLatents(gg, 1, rng)
	ns := gen.Cfg.Slots()
	if lt.cross < 1 || lt.cross >= ns {
		t.Fatalf("crossover %d outside [1, %d]", lt.cross, ns-1)
	}
	gg.setLatents(lt)
	out, err := gg.run()
	if err != nil {
		t.Fatal(err)
	}
	w1, err := s.Map(f32(lt.z))
	if err != nil {
		t.Fatal(err)
	}
	w2, err := s.Map(f32(lt.z2))
	if err != nil {
		t.Fatal(err)
	}
	render := func(cross int) []float32 {
		slots := make([][]float32, ns)
		for i := range slots {
			slots[i] = w2
			if i < cross {
				slots[i] = w1
			}
		}
		img, err := s.Synth(slots)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	if d := maxDiff(out.img, render(lt.cross)); d > 1e-5 {
		t.Errorf("mixed batch (crossover %d) differs from the W+ render by %g", lt.cross, d)
	}
	for _, c := range []struct {
		name  string
		cross int
	}{{"w(z) only", ns}, {"w(z2) only", 0}} {
		if d := maxDiff(out.img, render(c.cross)); d < 1e-2 {
			t.Errorf("mixed batch equals the %s render (max difference %g)", c.name, d)
		}
	}
	// The crossover law.
	const n, p = 4000, 0.9
	counts := make([]int, ns+1)
	for i := 0; i < n; i++ {
		counts[drawLatents(gg, p, rng).cross]++
	}
	if counts[0] != 0 {
		t.Errorf("crossover 0 drawn %d times", counts[0])
	}
	if f := 1 - float64(counts[ns])/n; math.Abs(f-p) > 4*math.Sqrt(p*(1-p)/n) {
		t.Errorf("mixed fraction %.3f, want %.1f", f, p)
	}
	for c := 1; c < ns; c++ {
		want := p / float64(ns-1)
		if f := float64(counts[c]) / n; math.Abs(f-want) > 4*math.Sqrt(want*(1-want)/n) {
			t.Errorf("crossover %d drawn with frequency %.4f, want %.4f", c, f, want)
		}
	}
}

// TestNoiseInputs: without noise inputs a latent renders the same image
// whatever noise is drawn; with them at their initial strength 0 the image
// equals the noise-free generator's (same weights); with non-zero
// strengths fresh noise changes the image; the strengths get a non-zero
// gradient at 0 under the generator loss, which matches central
// differences (float64 twin of the graph).
func TestNoiseInputs(t *testing.T) {
	const bs = 4
	genOff, d := tinyGANCfg(t, 0, false)
	genOn, _ := tinyGANCfg(t, 0, true)
	if len(genOn.Params()) != len(genOff.Params())+2*len(genOn.Cfg.Channels) {
		t.Fatalf("%d parameters with noise, %d without", len(genOn.Params()), len(genOff.Params()))
	}
	images := func(gen *Generator, seeds ...uint64) [][]float64 {
		gg, err := newGenGraph(gen, genSpec{batch: bs})
		if err != nil {
			t.Fatal(err)
		}
		z := drawLatents(gg, 0, rand.New(rand.NewPCG(61, 1))).z
		var out [][]float64
		for _, sd := range seeds {
			lt := drawLatents(gg, 0, rand.New(rand.NewPCG(62, sd)))
			lt.z = z
			gg.setLatents(lt)
			o, err := gg.run()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, o.img)
		}
		return out
	}
	diff := func(a, b []float64) float64 {
		var m float64
		for i := range a {
			m = math.Max(m, math.Abs(a[i]-b[i]))
		}
		return m
	}
	off := images(genOff, 1, 2)
	if dd := diff(off[0], off[1]); dd != 0 {
		t.Errorf("without noise inputs the image changes by %g with the noise draw", dd)
	}
	on0 := images(genOn, 1)
	if dd := diff(on0[0], off[0]); dd > 1e-6 {
		t.Errorf("noise inputs at strength 0 change the image by %g", dd)
	}
	// The strength gradient at 0.
	gl, err := newGenGraph(genOn, genSpec{batch: bs, mode: genLoss, d: d})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(63, 1))
	gl.setLatents(drawLatents(gl, 0, rng))
	out, err := gl.run()
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range genOn.Params() {
		for _, l := range genOn.Layers {
			if l.Noise == p && maxAbs(out.grads[i:i+1]) == 0 {
				t.Errorf("%s: zero gradient", p.Name)
			}
		}
	}
	for _, l := range genOn.Layers {
		if l.Noise != nil {
			nn.NormalFill(l.Noise.Data(), 0.5, rng)
		}
	}
	on := images(genOn, 1, 2)
	if dd := diff(on[0], on[1]); dd < 1e-3 {
		t.Errorf("with noise strengths ≠ 0 fresh noise changes the image by only %g", dd)
	}
	// Central differences of the float64 generator loss in the strengths.
	b64, p64 := newGB64()
	g64, err := newGenGraphOn(b64, genOn, genSpec{batch: bs, mode: genLoss, d: d})
	if err != nil {
		t.Fatal(err)
	}
	g64.setLatents(drawLatents(g64, 0, rng))
	out, err = g64.run()
	if err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		if err := g64.vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		defer g64.vm.Reset()
		return scalarOf(g64.costV)
	}
	for i, p := range genOn.Params() {
		for _, l := range genOn.Layers {
			if l.Noise != p {
				continue
			}
			val := p64.value(p)
			for j := range val {
				x := val[j]
				const h = 1e-7
				val[j] = x + h
				lp := loss()
				val[j] = x - h
				lm := loss()
				val[j] = x
				gradCheck(t, p.Name, out.grads[i][j], (lp-lm)/(2*h), 1e-4, 1e-9)
			}
		}
	}
}

// TestConstNoiseSampler: with noise inputs the sampler renders a code the
// same way at any batch position and batch size.
func TestConstNoiseSampler(t *testing.T) {
	gen, _ := tinyGANCfg(t, 0, true)
	rng := rand.New(rand.NewPCG(71, 1))
	for _, l := range gen.Layers {
		if l.Noise != nil {
			nn.NormalFill(l.Noise.Data(), 0.5, rng)
		}
	}
	ws := [][]float64{make([]float64, gen.Cfg.WDim), make([]float64, gen.Cfg.WDim)}
	for _, w := range ws {
		for j := range w {
			w[j] = rng.NormFloat64()
		}
	}
	var imgs [][]float32
	for _, bs := range []int{1, 3} {
		s, err := NewSampler(gen, bs)
		if err != nil {
			t.Fatal(err)
		}
		img, err := Render(s, ws, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	// Up to float32 rounding: BLAS may block the products of batch 1 and
	// batch 3 differently (OpenBLAS does: 1.0e-6 apart on pixels ≈ 0.5); a
	// noise map read at the wrong batch position moves pixels far more.
	for i := range imgs[0] {
		if math.Abs(float64(imgs[0][i]-imgs[1][i])) > 1e-5 {
			t.Fatalf("pixel %d: %g at batch 1, %g at batch 3", i, imgs[0][i], imgs[1][i])
		}
	}
}

// TestGeneratorLossGradient checks the generator's first-order gradient
// (the non-saturating loss through D, float64 twin of the training graph,
// HP layers, noise inputs, a mixed batch) against central differences of
// the loss, for two entries of every parameter. It guards the
// demodulation's Σ_{u,v} Wc² (tensor's joint reduction of axes 2 and 3
// sums wrong windows) and gorgonia's Reshape aliasing, both of which gave
// wrong gradients.
func TestGeneratorLossGradient(t *testing.T) {
	gen, d := tinyGANCfg(t, 3, true)
	rng := rand.New(rand.NewPCG(81, 1))
	for _, l := range gen.Layers {
		if l.Noise != nil {
			nn.NormalFill(l.Noise.Data(), 0.3, rng)
		}
	}
	b, p64 := newGB64()
	gg, err := newGenGraphOn(b, gen, genSpec{batch: 3, mix: true, mode: genLoss, d: d})
	if err != nil {
		t.Fatal(err)
	}
	gg.setLatents(drawLatents(gg, 1, rng))
	out, err := gg.run()
	if err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		gen.refreshHP(gg.hp)
		if err := gg.vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		defer gg.vm.Reset()
		return scalarOf(gg.costV)
	}
	floor := 1e-6 * maxAbs(out.grads)
	for i, p := range gen.Params() {
		for _, j := range []int{0, p.Len() / 2, p.Len() - 1} {
			var fd float64
			if val := p64.value(p); val != nil {
				x := val[j]
				h := 1e-7 * math.Max(1, math.Abs(x))
				val[j] = x + h
				lp := loss()
				val[j] = x - h
				lm := loss()
				val[j] = x
				fd = (lp - lm) / (2 * h)
			} else {
				dd := p.Data()
				x := dd[j]
				h := float32(1e-7 * math.Max(1, math.Abs(float64(x))))
				up, dn := x+h, x-h
				dd[j] = up
				lp := loss()
				dd[j] = dn
				lm := loss()
				dd[j] = x
				fd = (lp - lm) / (float64(up) - float64(dn))
			}
			gradCheck(t, p.Name, out.grads[i][j], fd, 1e-3, floor)
		}
	}
}
