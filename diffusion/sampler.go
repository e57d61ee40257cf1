package diffusion

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// EDM's sampling defaults (Karras et al. 2022, Table 1; generate.py).
const (
	SigmaMin = 0.002
	SigmaMax = 80.0
	Rho      = 7.0
)

// KarrasSigmas returns the n noise levels of the EDM ρ-grid,
//
//	σ_i = (σ_max^{1/ρ} + i/(n−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ,  i = 0…n−1,
//
// followed by σ_n = 0, so len = n+1. n must be ≥ 1 (n = 1 gives σ_max, 0).
func KarrasSigmas(n int, sigmaMin, sigmaMax, rho float64) []float64 {
	if n < 1 {
		panic(fmt.Sprintf("diffusion: KarrasSigmas needs n ≥ 1, got %d", n))
	}
	s := make([]float64, n+1)
	a, b := math.Pow(sigmaMax, 1/rho), math.Pow(sigmaMin, 1/rho)
	for i := 0; i < n; i++ {
		t := 0.0
		if n > 1 {
			t = float64(i) / float64(n-1)
		}
		s[i] = math.Pow(a+t*(b-a), rho)
	}
	s[n] = 0
	return s
}

// Hook is called before sampler step i at noise level σ_i with the current
// state; it may modify x (the robustness protocols add state noise here).
type Hook func(i int, sigma float64, x *mat.Dense)

// Heun integrates the probability-flow ODE dx/dσ = (x − D(x;σ))/σ in place
// from sigmas[0] down to sigmas[n] = 0 (EDM Algorithm 1 with S_churn = 0):
//
//	d  = (x − D(x;σ_i))/σ_i,          x' = x + (σ_{i+1} − σ_i)·d
//	if σ_{i+1} > 0:  d' = (x' − D(x';σ_{i+1}))/σ_{i+1},  x ← x + (σ_{i+1} − σ_i)(d + d')/2
//	else            x ← x'   (Euler last step; D is never called at σ = 0)
//
// It returns the number of denoiser evaluations, 2n−1 for the usual grid.
// hook may be nil. ctx is checked between steps.
func Heun(ctx context.Context, d Denoiser, x *mat.Dense, sigmas []float64, hook Hook) (nfe int, err error) {
	return integrate(ctx, d, x, sigmas, hook, true)
}

// Euler integrates the same ODE with first-order steps: n evaluations.
func Euler(ctx context.Context, d Denoiser, x *mat.Dense, sigmas []float64, hook Hook) (nfe int, err error) {
	return integrate(ctx, d, x, sigmas, hook, false)
}

func integrate(ctx context.Context, d Denoiser, x *mat.Dense, sigmas []float64, hook Hook, heun bool) (int, error) {
	r, c := x.Dims()
	den := mat.NewDense(r, c, nil)
	slope := mat.NewDense(r, c, nil)
	xp := mat.NewDense(r, c, nil)
	nfe := 0
	for i := 0; i+1 < len(sigmas); i++ {
		if err := ctx.Err(); err != nil {
			return nfe, err
		}
		s0, s1 := sigmas[i], sigmas[i+1]
		if s0 <= 0 {
			return nfe, fmt.Errorf("diffusion: sampler step %d at σ = %g: σ must be > 0 before the last level", i, s0)
		}
		if hook != nil {
			hook(i, s0, x)
		}
		if err := d.Denoise(den, x, s0); err != nil {
			return nfe, fmt.Errorf("diffusion: step %d, σ %.4g: %w", i, s0, err)
		}
		nfe++
		// slope = (x − D)/σ0 ; x' = x + (s1−s0)·slope
		slope.Sub(x, den)
		slope.Scale(1/s0, slope)
		xp.Scale(s1-s0, slope)
		xp.Add(xp, x)
		if !heun || s1 == 0 {
			x.Copy(xp)
			continue
		}
		if err := d.Denoise(den, xp, s1); err != nil {
			return nfe, fmt.Errorf("diffusion: step %d, σ %.4g: %w", i, s1, err)
		}
		nfe++
		// x ← x + (s1−s0)·(slope + (x' − D')/s1)/2
		den.Sub(xp, den)
		den.Scale(1/s1, den)
		den.Add(den, slope)
		den.Scale((s1-s0)/2, den)
		x.Add(x, den)
	}
	return nfe, nil
}

// PriorSamples draws n rows of dimension dim from k's prior at σ_max, row i
// from its own generator PCG(seed, i), so a sample does not depend on how
// many are drawn or in which batch (EDM's per-sample seeds).
func PriorSamples(k Kernel, n, dim int, sigmaMax float64, seed uint64) *mat.Dense {
	x := mat.NewDense(n, dim, nil)
	for i := 0; i < n; i++ {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		k.Prior(x.RawRowView(i), sigmaMax, rng)
	}
	return x
}
