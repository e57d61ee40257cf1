package kdiff

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"genlab/diffusion"
)

// UPredictor returns the u_k prediction û(z, s) for each row of z.
type UPredictor interface {
	PredictU(dst, z *mat.Dense, s float64) error
}

// DenoiserU turns an EDM denoiser into a u_k predictor through the bridge:
// x̂ = D(z/s; (1−s)/s), then û = (g·x̂ − (1−k)z)/(1−s) (UFromX). Wrapped
// around diffusion.Ideal it is the Bayes-optimal E[u_k|z]; wrapped around a
// diffusion.NetDenoiser with a Bridge target it returns the network output
// F(z; s) (up to rounding). s must lie in (0,1).
type DenoiserU struct {
	D diffusion.Denoiser
	K float64
}

// PredictU implements UPredictor.
func (p DenoiserU) PredictU(dst, z *mat.Dense, s float64) error {
	if !(s > 0 && s < 1) {
		return fmt.Errorf("kdiff: DenoiserU at s = %g, want 0 < s < 1", s)
	}
	r, c := z.Dims()
	y := mat.NewDense(r, c, nil)
	y.Scale(1/s, z)
	if err := p.D.Denoise(dst, y, SigmaFromS(s)); err != nil {
		return fmt.Errorf("kdiff: %w", err)
	}
	for i := 0; i < r; i++ {
		UFromX(dst.RawRowView(i), dst.RawRowView(i), z.RawRowView(i), s, p.K)
	}
	return nil
}

// SGrid returns n+1 uniformly spaced times from s0 to 1 (n steps). The
// spec's sampler starts at s0 = 0, or 0.02 for k = 0, where g = s vanishes.
func SGrid(n int, s0 float64) []float64 {
	if n < 1 || !(s0 >= 0 && s0 < 1) {
		panic(fmt.Sprintf("kdiff: SGrid(%d, %g)", n, s0))
	}
	g := make([]float64, n+1)
	for i := range g {
		g[i] = s0 + (1-s0)*float64(i)/float64(n)
	}
	g[n] = 1
	return g
}

// StartS returns the first time of the native sampler for target k: 0.02 if
// k = 0 (g(0,0) = 0), else 0.
func StartS(k float64) float64 {
	if k == 0 {
		return 0.02
	}
	return 0
}

// Velocity sets dst = v̂ = [(1−2k)z + û]/max(g, clamp) row by row (dst may
// alias u).
func Velocity(dst, z, u *mat.Dense, s, k, clamp float64) {
	r, _ := z.Dims()
	for i := 0; i < r; i++ {
		Invert(nil, nil, dst.RawRowView(i), z.RawRowView(i), u.RawRowView(i), s, k, clamp)
	}
}

// Sample integrates dz/ds = v̂(z, s) in place along grid (ascending, usually
// SGrid) with k frozen and g clamped at clamp, from z at grid[0] (for
// grid[0] = 0, z ~ N(0, I)):
//
//	Euler: z ← z + h·v̂(z, s_i)
//	Heun:  z' = z + h·v̂(z, s_i);  z ← z + h·(v̂(z, s_i) + v̂(z', s_{i+1}))/2,
//
// h = s_{i+1} − s_i, with an Euler last step (the predictor is never called
// at the final time). It returns the number of predictor calls (Heun: 2n−1).
// With clamp = 0 the Euler path equals diffusion.Euler on σ_i = (1−s_i)/s_i
// through the bridge, step for step.
func Sample(ctx context.Context, p UPredictor, z *mat.Dense, grid []float64, k, clamp float64, heun bool) (nfe int, err error) {
	r, c := z.Dims()
	u := mat.NewDense(r, c, nil)
	v1 := mat.NewDense(r, c, nil)
	zp := mat.NewDense(r, c, nil)
	n := len(grid) - 1
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return nfe, err
		}
		s0, s1 := grid[i], grid[i+1]
		h := s1 - s0
		if err := p.PredictU(u, z, s0); err != nil {
			return nfe, fmt.Errorf("kdiff: sampler step %d, s %.4g: %w", i, s0, err)
		}
		nfe++
		Velocity(v1, z, u, s0, k, clamp)
		zp.Scale(h, v1)
		zp.Add(zp, z)
		if !heun || i == n-1 {
			z.Copy(zp)
			continue
		}
		if err := p.PredictU(u, zp, s1); err != nil {
			return nfe, fmt.Errorf("kdiff: sampler step %d, s %.4g: %w", i, s1, err)
		}
		nfe++
		Velocity(u, zp, u, s1, k, clamp)
		u.Add(u, v1)
		u.Scale(h/2, u)
		z.Add(z, u)
	}
	return nfe, nil
}
