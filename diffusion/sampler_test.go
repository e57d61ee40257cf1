package diffusion

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
)

func TestKarrasSigmas(t *testing.T) {
	s := KarrasSigmas(18, SigmaMin, SigmaMax, Rho)
	if len(s) != 19 {
		t.Fatalf("len = %d, want 19", len(s))
	}
	if math.Abs(s[0]-SigmaMax) > 1e-9 || math.Abs(s[17]-SigmaMin) > 1e-12 || s[18] != 0 {
		t.Fatalf("ends %v %v %v", s[0], s[17], s[18])
	}
	for i := 1; i < len(s); i++ {
		if !(s[i] < s[i-1]) {
			t.Fatalf("not decreasing at %d: %v", i, s)
		}
	}
	// ρ = 1 gives a uniform grid.
	u := KarrasSigmas(5, 1, 5, 1)
	for i, want := range []float64{5, 4, 3, 2, 1, 0} {
		if math.Abs(u[i]-want) > 1e-12 {
			t.Fatalf("ρ=1 grid %v", u)
		}
	}
}

// gaussDenoiser is the exact denoiser of data ~ N(0, s²I) under Gaussian
// noise: D(x;σ) = s²/(s²+σ²)·x.
type gaussDenoiser struct {
	s     float64
	calls int
}

func (g *gaussDenoiser) Denoise(dst, x *mat.Dense, sigma float64) error {
	if sigma <= 0 {
		panic("denoiser called at σ = 0")
	}
	g.calls++
	dst.Scale(g.s*g.s/(g.s*g.s+sigma*sigma), x)
	return nil
}

// For Gaussian data the probability-flow ODE has the closed-form solution
// x(σ) = x(σ_max)·√((s²+σ²)/(s²+σ_max²)). Heun must converge to it at second
// order (error ÷4 when n doubles), Euler at first order (÷2), with 2n−1 and
// n evaluations.
func TestHeunMatchesClosedFormFlow(t *testing.T) {
	const s = 0.7
	x0 := PriorSamples(Gaussian{}, 64, 3, SigmaMax, 1)
	want := mat.DenseCopyOf(x0)
	want.Scale(math.Sqrt(s*s/(s*s+SigmaMax*SigmaMax)), want)

	errOf := func(step func(context.Context, Denoiser, *mat.Dense, []float64, Hook) (int, error), n, wantNFE int) float64 {
		d := &gaussDenoiser{s: s}
		x := mat.DenseCopyOf(x0)
		nfe, err := step(context.Background(), d, x, KarrasSigmas(n, SigmaMin, SigmaMax, Rho), nil)
		if err != nil {
			t.Fatal(err)
		}
		if nfe != wantNFE || d.calls != wantNFE {
			t.Fatalf("nfe = %d (calls %d), want %d", nfe, d.calls, wantNFE)
		}
		var diff mat.Dense
		diff.Sub(x, want)
		return mat.Norm(&diff, math.Inf(1)) / mat.Norm(want, math.Inf(1))
	}
	h64, h128 := errOf(Heun, 64, 127), errOf(Heun, 128, 255)
	e64, e128 := errOf(Euler, 64, 64), errOf(Euler, 128, 128)
	if h128 > 1e-3 {
		t.Errorf("Heun(128) relative error %.2e, want < 1e-3", h128)
	}
	if r := h64 / h128; r < 3.5 || r > 4.5 {
		t.Errorf("Heun error ratio %.2f when n doubles, want ≈ 4 (second order)", r)
	}
	if r := e64 / e128; r < 1.8 || r > 2.2 {
		t.Errorf("Euler error ratio %.2f when n doubles, want ≈ 2 (first order)", r)
	}
}

// The exact denoiser of 500 training points drives Heun onto the training
// points: every sample ends within 1e-2 of one (it memorises).
func TestIdealHeunMemorises(t *testing.T) {
	train := data.Ring8.Sample(500, rand.New(rand.NewPCG(7, 0)))
	x := PriorSamples(Gaussian{}, 400, 2, SigmaMax, 11)
	if _, err := Heun(context.Background(), Ideal{Data: train, Kernel: Gaussian{}}, x, KarrasSigmas(18, SigmaMin, SigmaMax, Rho), nil); err != nil {
		t.Fatal(err)
	}
	hit := map[int]bool{}
	for i := 0; i < 400; i++ {
		best, bj := math.Inf(1), -1
		for j := 0; j < 500; j++ {
			d := math.Hypot(x.At(i, 0)-train.At(j, 0), x.At(i, 1)-train.At(j, 1))
			if d < best {
				best, bj = d, j
			}
		}
		if best > 1e-2 {
			t.Fatalf("sample %d ends %.3g from the nearest training point", i, best)
		}
		hit[bj] = true
	}
	// Memorisation, not collapse: the samples reach many distinct points.
	if len(hit) < 150 {
		t.Fatalf("only %d distinct training points reached by 400 samples", len(hit))
	}
}

func TestIdealClosedForms(t *testing.T) {
	// Two points ±a on a line: D(x;σ) = a·tanh(a·x/σ²).
	train := mat.NewDense(2, 1, []float64{1.5, -1.5})
	id := Ideal{Data: train, Kernel: Gaussian{}}
	x := mat.NewDense(5, 1, []float64{-2, -0.3, 0, 0.4, 3})
	dst := mat.NewDense(5, 1, nil)
	for _, sigma := range []float64{0.3, 1, 4, 80} {
		if err := id.Denoise(dst, x, sigma); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			want := 1.5 * math.Tanh(1.5*x.At(i, 0)/(sigma*sigma))
			if math.Abs(dst.At(i, 0)-want) > 1e-12 {
				t.Fatalf("σ=%v x=%v: got %v want %v", sigma, x.At(i, 0), dst.At(i, 0), want)
			}
		}
	}
	// Far from the data at tiny σ the weights underflow without log-sum-exp.
	far := mat.NewDense(1, 1, []float64{1e3})
	if err := id.Denoise(dst.Slice(0, 1, 0, 1).(*mat.Dense), far, 1e-3); err != nil {
		t.Fatal(err)
	}
	if got := dst.At(0, 0); got != 1.5 {
		t.Fatalf("far point denoised to %v, want 1.5", got)
	}
}

func TestPriorSamplesPerSampleSeeds(t *testing.T) {
	a := PriorSamples(Gaussian{}, 10, 4, 80, 5)
	b := PriorSamples(Gaussian{}, 3, 4, 80, 5)
	if !mat.Equal(a.Slice(0, 3, 0, 4), b) {
		t.Fatal("the first rows depend on how many samples are drawn")
	}
	// Moments of N(0, 80²): mean ≈ 0, variance ≈ 6400 over 4000·4 draws.
	x := PriorSamples(Gaussian{}, 4000, 4, 80, 9)
	var s1, s2 float64
	for _, v := range x.RawMatrix().Data {
		s1 += v
		s2 += v * v
	}
	n := float64(len(x.RawMatrix().Data))
	if m, v := s1/n, s2/n; math.Abs(m) > 4*80/math.Sqrt(n) || math.Abs(v/6400-1) > 0.05 {
		t.Fatalf("prior mean %v var %v", m, v)
	}
}

func TestHeunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	x := mat.NewDense(2, 2, nil)
	if _, err := Heun(ctx, &gaussDenoiser{s: 1}, x, KarrasSigmas(5, SigmaMin, SigmaMax, Rho), nil); err == nil {
		t.Fatal("Heun ignored a cancelled context")
	}
}
