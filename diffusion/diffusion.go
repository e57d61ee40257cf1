// Package diffusion is the denoising core every genlab method shares: noise
// kernels, preconditioned prediction targets, the training loss and loop, the
// Euler/Heun samplers on the EDM ρ-grid and the exact ("ideal") denoiser of a
// finite training set.
//
// A method plugs in through three small interfaces instead of a copy of the
// loop: a Kernel (how a clean point is perturbed at noise level σ, and the
// prior at σ_max), a Target (how the network output maps to a denoised
// estimate), and a Denoiser (what the samplers call).
//
// Conventions: data rows are float64 (*mat.Dense, one sample a row); networks
// run in float32 inside package nn; every random draw comes from an explicit
// *rand.Rand (math/rand/v2).
package diffusion

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Kernel is a noise kernel p_σ(x|y) indexed by the EDM noise level σ.
//
// Gaussian{} is the EDM kernel N(y, σ²I); pfgm.Kernel is the PFGM++ kernel
// with D augmented dimensions. Implementations must be plain values, safe to
// share between goroutines (the generator is passed in).
type Kernel interface {
	// Perturb sets dst = y + n with n drawn from the kernel at σ centred at 0.
	// It panics if len(dst) != len(y).
	Perturb(dst, y []float64, sigma float64, rng *rand.Rand)
	// Prior fills dst with a draw of the prior at σ_max: the kernel centred at 0.
	Prior(dst []float64, sigmaMax float64, rng *rand.Rand)
	// LogWeight returns log p_σ(x|y) up to terms that depend only on σ and
	// the dimension n = len(x), as a function of d2 = ‖x−y‖². The exact
	// denoiser of a finite set normalises these weights with log-sum-exp.
	LogWeight(d2 float64, n int, sigma float64) float64
}

// Scalings are the EDM preconditioning coefficients at one noise level:
//
//	D(x;σ) = CSkip·x + COut·F(CIn·x; CNoise).
type Scalings struct {
	CSkip, COut, CIn, CNoise float64
}

// Target is a parameterisation of the network output: what F regresses and
// how it maps back to a denoised estimate. The loss of one sample is
//
//	Weight(σ)·‖D(x;σ) − y‖² = Weight(σ)·COut²·‖F − (y − CSkip·x)/COut‖²,
//
// summed over dimensions and averaged over the batch.
type Target interface {
	Scalings(sigma float64) Scalings
	Weight(sigma float64) float64
}

// SigmaDist is the training distribution of noise levels.
type SigmaDist interface {
	SampleSigma(rng *rand.Rand) float64
}

// Denoiser returns D(x;σ), the denoised estimate of each row of x at noise
// level σ. dst and x have the same shape; dst may alias x only if the
// implementation says so.
type Denoiser interface {
	Denoise(dst, x *mat.Dense, sigma float64) error
}
