package kdiff

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/diffusion"
)

// D(y;σ) = c_skip·y + c_out·F through the bridge equals x̂(z, s) of the
// exact inversion; the trainer's regression target (y − c_skip·x)/c_out is
// u_k; Weight·c_out² is the loss-space weight; and for g ≥ 0.05 the bridge
// agrees with the clamped inversion too.
func TestBridgeScalings(t *testing.T) {
	rng := newRand(10)
	const n = 4
	for trial := 0; trial < 300; trial++ {
		k := []float64{0, 0.5, 1, rng.Float64()}[trial%4]
		sigma := math.Exp(-6 + 11*rng.Float64()) // 0.0025 … 150
		b := &Bridge{K: k, Loss: LossSpace(trial % 3), Clamp: DefaultClamp}
		sc := b.Scalings(sigma)
		s := SFromSigma(sigma)
		x, e, f := randVec(n, rng), randVec(n, rng), randVec(n, rng)
		y := make([]float64, n) // noisy EDM state
		for i := range y {
			y[i] = x[i] + sigma*e[i]
		}
		z := make([]float64, n)
		Interpolate(z, x, e, s)
		for i := range z {
			if math.Abs(z[i]-y[i]/(1+sigma)) > 1e-12 {
				t.Fatalf("z ≠ y/(1+σ)")
			}
		}
		if math.Abs(sc.CIn-s) > 1e-15 {
			t.Fatalf("c_in = %g, want s = %g", sc.CIn, s)
		}
		xh := make([]float64, n)
		Invert(xh, nil, nil, z, f, s, k, 0)
		for i := range y {
			d := sc.CSkip*y[i] + sc.COut*f[i]
			if math.Abs(d-xh[i]) > 1e-9*(1+math.Abs(xh[i])) {
				t.Fatalf("k=%g σ=%g: D = %g, x̂ = %g", k, sigma, d, xh[i])
			}
			if G(s, k) >= DefaultClamp {
				xc := make([]float64, n)
				Invert(xc, nil, nil, z, f, s, k, DefaultClamp)
				if math.Abs(d-xc[i]) > 1e-9*(1+math.Abs(xc[i])) {
					t.Fatalf("clamp inactive but D ≠ clamped x̂")
				}
			}
			tgt := (x[i] - sc.CSkip*y[i]) / sc.COut
			u := k*x[i] - (1-k)*e[i]
			if math.Abs(tgt-u) > 1e-8*(1+sigma) {
				t.Fatalf("k=%g σ=%g: regression target %g, u_k %g", k, sigma, tgt, u)
			}
		}
		w := b.Weight(sigma) * sc.COut * sc.COut
		if want := LossWeight(b.Loss, s, k, b.Clamp); math.Abs(w-want) > 1e-9*want {
			t.Fatalf("%v: Weight·c_out² = %g, want %g", b.Loss, w, want)
		}
	}
}

// Learn's ∂L/∂k equals the finite difference of the trainer's own loss
// (1/B)·Σ λ(σ)·c_out²·‖F − (y − c_skip·x)/c_out‖², computed only from
// Scalings and Weight, for each loss space; a learned k moves against the
// gradient.
func TestBridgeLearnGradient(t *testing.T) {
	y, x, sig, out, trainerLoss := learnFixture(11)
	for _, l := range []LossSpace{LossU, LossV, LossX} {
		for _, k0 := range []float64{0.2, 0.5, 0.9} {
			b := NewBridge(K{Learned: true}, l, k0, 1e-3)
			w0 := b.Learned.W
			const h = 1e-6
			b.Learned.W = w0 + h
			lp := trainerLoss(b)
			b.Learned.W = w0 - h
			lm := trainerLoss(b)
			b.Learned.W = w0
			fdw := (lp - lm) / (2 * h)
			vals := b.Learn(y, x, sig, out)
			gw := vals["dL_dk"] * k0 * (1 - k0)
			if math.Abs(gw-fdw) > 1e-5*math.Max(1, math.Abs(fdw)) {
				t.Errorf("%v k=%g: dL/dw = %g, finite difference %g", l, k0, gw, fdw)
			}
			if moved := b.Learned.W - w0; moved*gw >= 0 {
				t.Errorf("%v k=%g: W moved %g along the gradient %g", l, k0, moved, gw)
			}
			if vals["k"] != b.KValue() {
				t.Errorf("logged k %g ≠ current %g", vals["k"], b.KValue())
			}
		}
	}
}

// exactU is the Bayes-optimal u_k predictor of a finite set computed by a
// route independent of UFromX: E[u_k|z] = k·E[x|z] − (1−k)·E[e|z] with
// E[e|z] = (y − E[x|y])/σ, y = z/s.
type exactU struct {
	ideal diffusion.Ideal
	k     float64
}

func (p exactU) PredictU(dst, z *mat.Dense, s float64) error {
	sigma := SigmaFromS(s)
	y := mat.DenseCopyOf(z)
	y.Scale(1/s, y)
	xh := mat.DenseCopyOf(z)
	if err := p.ideal.Denoise(xh, y, sigma); err != nil {
		return err
	}
	r, c := z.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			eh := (y.At(i, j) - xh.At(i, j)) / sigma
			dst.Set(i, j, p.k*xh.At(i, j)-(1-p.k)*eh)
		}
	}
	return nil
}

// bridgeDenoiser is D(y;σ) = c_skip·y + c_out·F with F from a u predictor at
// (z, s) = (y/(1+σ), 1/(1+σ)): what diffusion.NetDenoiser computes for a
// network trained through the bridge.
type bridgeDenoiser struct {
	b *Bridge
	p UPredictor
}

func (d bridgeDenoiser) Denoise(dst, y *mat.Dense, sigma float64) error {
	sc := d.b.Scalings(sigma)
	z := mat.DenseCopyOf(y)
	z.Scale(sc.CIn, z)
	f := mat.DenseCopyOf(y)
	if err := d.p.PredictU(f, z, sc.CNoise); err != nil {
		return err
	}
	dst.Scale(sc.COut, f)
	z.Scale(sc.CSkip, y)
	dst.Add(dst, z)
	return nil
}

func smallSet() *mat.Dense {
	rng := newRand(12)
	d := mat.NewDense(12, 3, nil)
	for i := 0; i < 12; i++ {
		for j := 0; j < 3; j++ {
			d.Set(i, j, rng.NormFloat64())
		}
	}
	return d
}

// The bridge is exact: diffusion.Heun driven through the bridge by the exact
// u_k predictor gives the same samples as diffusion.Heun on the exact
// denoiser, for every k; and the native Euler sampler on s_i = 1/(1+σ_i)
// equals diffusion.Euler step for step.
func TestBridgeExactSamples(t *testing.T) {
	data := smallSet()
	ideal := diffusion.Ideal{Data: data, Kernel: diffusion.Gaussian{}}
	sigmas := diffusion.KarrasSigmas(18, diffusion.SigmaMin, diffusion.SigmaMax, diffusion.Rho)
	ctx := context.Background()
	ref := diffusion.PriorSamples(diffusion.Gaussian{}, 16, 3, diffusion.SigmaMax, 7)
	refE := mat.DenseCopyOf(ref)
	if _, err := diffusion.Heun(ctx, ideal, ref, sigmas, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := diffusion.Euler(ctx, ideal, refE, sigmas, nil); err != nil {
		t.Fatal(err)
	}
	grid := make([]float64, len(sigmas))
	for i, sg := range sigmas {
		grid[i] = SFromSigma(sg)
	}
	for _, k := range []float64{0, 0.3, 0.5, 0.8, 1} {
		b := &Bridge{K: k, Clamp: DefaultClamp}
		p := exactU{ideal, k}
		got := diffusion.PriorSamples(diffusion.Gaussian{}, 16, 3, diffusion.SigmaMax, 7)
		if _, err := diffusion.Heun(ctx, bridgeDenoiser{b, p}, got, sigmas, nil); err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(got, ref); d > 1e-8 {
			t.Errorf("k=%g: bridge Heun differs from Ideal Heun by %g", k, d)
		}
		// Native Euler in (z, s), started at z = y/(1+σ_max).
		z := diffusion.PriorSamples(diffusion.Gaussian{}, 16, 3, diffusion.SigmaMax, 7)
		z.Scale(grid[0], z)
		if _, err := Sample(ctx, p, z, grid, k, 0, false); err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(z, refE); d > 1e-8 {
			t.Errorf("k=%g: native Euler differs from diffusion.Euler by %g", k, d)
		}
		// DenoiserU (UFromX route) agrees with the independent exact predictor.
		zz := mat.DenseCopyOf(data)
		zz.Scale(0.4, zz)
		a, c := mat.DenseCopyOf(zz), mat.DenseCopyOf(zz)
		if err := (DenoiserU{ideal, k}).PredictU(a, zz, 0.37); err != nil {
			t.Fatal(err)
		}
		if err := p.PredictU(c, zz, 0.37); err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(a, c); d > 1e-10 {
			t.Errorf("k=%g: DenoiserU differs from exact E[u|z] by %g", k, d)
		}
	}
	// The reference samples are training points (memorisation), so the
	// comparison above is not between two trivially equal blurs.
	if d := nearest(ref, data); d > 1e-2 {
		t.Errorf("Ideal Heun samples are %g from the data", d)
	}
}

// The native Heun sampler from s = 0 (0.02 for k = 0), driven by the exact
// predictor, lands on training points. Without the clamp it is tight; the
// paper's clamp at k = 1 leaves part of z on the last steps (1−s < 0.05 gives
// z ← z + (1−s)(x̂ − z)/0.05, a blend), so samples stay farther off.
func TestNativeSamplerMemorises(t *testing.T) {
	data := smallSet()
	ideal := diffusion.Ideal{Data: data, Kernel: diffusion.Gaussian{}}
	run := func(k, clamp float64) float64 {
		grid := SGrid(50, StartS(k))
		// z ~ N(0, I), the law of z at s = 0.
		z := diffusion.PriorSamples(diffusion.Gaussian{}, 32, 3, 1, 3)
		p := exactU{ideal, k}
		var pu UPredictor = p
		if grid[0] == 0 {
			pu = zeroStart{p, k}
		}
		nfe, err := Sample(context.Background(), pu, z, grid, k, clamp, true)
		if err != nil {
			t.Fatal(err)
		}
		if nfe != 99 {
			t.Errorf("Heun NFE %d, want 99", nfe)
		}
		return nearest(z, data)
	}
	for _, k := range []float64{0, 0.5, 1} {
		if d := run(k, 0); d > 0.01 {
			t.Errorf("k=%g, no clamp: native samples are %g from the data", k, d)
		}
		if d := run(k, DefaultClamp); d > 0.1 {
			t.Errorf("k=%g, clamp: native samples are %g from the data", k, d)
		}
	}
	if a, b := run(1, 0), run(1, DefaultClamp); b < 3*a {
		t.Errorf("k=1: the clamp should leave visible residual noise: %g vs %g", b, a)
	}
}

// zeroStart evaluates the exact predictor at s = 0 by its limit: E[x|z] is
// the data mean there, and E[e|z] = z.
type zeroStart struct {
	p exactU
	k float64
}

func (z0 zeroStart) PredictU(dst, z *mat.Dense, s float64) error {
	if s > 0 {
		return z0.p.PredictU(dst, z, s)
	}
	r, c := z.Dims()
	mean := make([]float64, c)
	m, _ := z0.p.ideal.Data.Dims()
	for i := 0; i < m; i++ {
		for j := range mean {
			mean[j] += z0.p.ideal.Data.At(i, j) / float64(m)
		}
	}
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			dst.Set(i, j, z0.k*mean[j]-(1-z0.k)*z.At(i, j))
		}
	}
	return nil
}

func maxDiff(a, b *mat.Dense) float64 {
	var d mat.Dense
	d.Sub(a, b)
	return mat.Norm(&d, math.Inf(1))
}

// nearest returns the largest distance from a row of a to its nearest row of b.
func nearest(a, b *mat.Dense) float64 {
	ra, _ := a.Dims()
	rb, _ := b.Dims()
	worst := 0.0
	for i := 0; i < ra; i++ {
		best := math.Inf(1)
		for j := 0; j < rb; j++ {
			best = math.Min(best, math.Sqrt(sqDist(a.RawRowView(i), b.RawRowView(j))))
		}
		worst = math.Max(worst, best)
	}
	return worst
}

// learnFixture returns a batch (clean y, noisy x, σ, network outputs) and
// the trainer's own loss (1/B)·Σ λ(σ)·c_out²·‖F − (y − c_skip·x)/c_out‖² of
// a bridge on it, computed only from Scalings and Weight.
func learnFixture(seed uint64) (y, x *mat.Dense, sig []float64, out []float32, loss func(*Bridge) float64) {
	rng := newRand(seed)
	const B, n = 16, 5
	y = mat.NewDense(B, n, nil)
	x = mat.NewDense(B, n, nil)
	sig = make([]float64, B)
	out = make([]float32, B*n)
	for i := 0; i < B; i++ {
		sig[i] = math.Exp(-3 + 5*rng.Float64())
		for j := 0; j < n; j++ {
			yv := rng.NormFloat64()
			y.Set(i, j, yv)
			x.Set(i, j, yv+sig[i]*rng.NormFloat64())
			out[i*n+j] = float32(rng.NormFloat64())
		}
	}
	loss = func(b *Bridge) float64 {
		tot := 0.0
		for i := 0; i < B; i++ {
			sc := b.Scalings(sig[i])
			w := b.Weight(sig[i]) * sc.COut * sc.COut
			for j := 0; j < n; j++ {
				r := float64(out[i*n+j]) - (y.At(i, j)-sc.CSkip*x.At(i, j))/sc.COut
				tot += w * r * r
			}
		}
		return tot / B
	}
	return y, x, sig, out, loss
}
