package pfgm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genlab/diffusion"
)

// Official-code constants of the optional Beta route (training/loss.py of
// Newbeeer/pfgmpp at d57c1ee): the Beta draw is clipped to
// [BetaClip, 1−BetaClip] and two 1e-8 epsilons guard the odds and the root.
const (
	BetaClip = 1e-3
	betaEps  = 1e-8
)

// Kernel is the PFGM++ perturbation kernel with D augmented dimensions in the
// EDM parameterisation σ = r/√D:
//
//	p_σ(x|y) ∝ (‖x−y‖² + σ²D)^(−(N+D)/2),
//
// a multivariate Student-t with ν = D degrees of freedom, location y and
// scale σ, so ρ²/(σ²D) ~ BetaPrime(N/2, D/2) for ρ = ‖x−y‖. D = +Inf is the
// Gaussian limit N(y, σ²I) (EDM).
//
// Perturb draws by the Gamma-ratio route x = y + σ·√(D/c)·g with
// g ~ N(0, I_N) and c ~ χ²_D = 2·Gamma(D/2), all in float64. With
// ClipLikeOfficial it instead reproduces the official training code: B ~
// Beta(N/2, D/2) clipped to [1e-3, 1−1e-3], q = B/(1−B+1e-8),
// ρ = σ√D·√(q+1e-8), x = y + ρ·g/‖g‖. The clip truncates the kernel when N/D
// or D/N is large (see the spec); it is off by default. The prior is never
// clipped, as in the official sampler.
//
// Kernel is a plain value, safe to share between goroutines.
type Kernel struct {
	D                float64 // augmented dimensions: ≥ 1, or math.Inf(1) for the Gaussian limit
	ClipLikeOfficial bool    // training draws by the clipped Beta route of the official code
}

var _ diffusion.Kernel = Kernel{}

// Validate reports whether D is a usable number of augmented dimensions:
// a real D ≥ 1 (D = 1 is PFGM) or +Inf.
func (k Kernel) Validate() error {
	if math.IsNaN(k.D) || k.D < 1 {
		return fmt.Errorf("pfgm: augmented dimension D = %v: must be ≥ 1 or inf", k.D)
	}
	return nil
}

// Gaussian reports whether k is the D = ∞ (EDM) kernel.
func (k Kernel) Gaussian() bool { return math.IsInf(k.D, 1) }

// R returns the augmented radius r = σ√D aligned with the EDM noise level σ
// (+Inf when D = ∞).
func (k Kernel) R(sigma float64) float64 { return sigma * math.Sqrt(k.D) }

// String returns "D=<value>", with "inf" for the Gaussian limit.
func (k Kernel) String() string { return "D=" + FormatD(k.D) }

// Perturb sets dst = y + n with n drawn from the kernel at σ centred at 0
// (see Kernel for the two routes). It panics if len(dst) != len(y).
func (k Kernel) Perturb(dst, y []float64, sigma float64, rng *rand.Rand) {
	if len(dst) != len(y) {
		panic(fmt.Sprintf("pfgm: Perturb: len(dst) = %d, len(y) = %d", len(dst), len(y)))
	}
	if k.ClipLikeOfficial && !k.Gaussian() {
		k.perturbBeta(dst, y, sigma, rng)
		return
	}
	s := sigma * k.scaleMix(rng)
	for i, v := range y {
		dst[i] = v + s*rng.NormFloat64()
	}
}

// Prior fills dst with a draw of the prior at σ_max: the kernel centred at 0
// with r_max = σ_max√D, p(x) ∝ (‖x‖² + σ_max²D)^(−(N+D)/2), and
// N(0, σ_max²I) when D = ∞. It always uses the unclipped Gamma route, like
// the official sampler's prior. The caller must pass the σ_max of the time
// grid.
//
// The Gaussian draws g come from rng before the radius, so a generator in
// the same state yields the same direction g/‖g‖ at every D: samplers seeded
// per sample share their latent directions across D.
func (k Kernel) Prior(dst []float64, sigmaMax float64, rng *rand.Rand) {
	for i := range dst {
		dst[i] = rng.NormFloat64()
	}
	s := sigmaMax * k.scaleMix(rng)
	for i := range dst {
		dst[i] *= s
	}
}

// scaleMix returns √(D/c) with c ~ χ²_D = 2·Gamma(D/2), the Gaussian scale
// mixture that turns N(0, σ²I) into the t-kernel; 1 when D = ∞.
func (k Kernel) scaleMix(rng *rand.Rand) float64 {
	if k.Gaussian() {
		return 1
	}
	c := 2 * Gamma(k.D/2, rng)
	return math.Sqrt(k.D / c)
}

// perturbBeta is the official route: clipped Beta radius times a uniform
// direction on the sphere.
func (k Kernel) perturbBeta(dst, y []float64, sigma float64, rng *rand.Rand) {
	n := float64(len(y))
	b := Beta(n/2, k.D/2, rng)
	b = math.Min(math.Max(b, BetaClip), 1-BetaClip)
	q := b / (1 - b + betaEps)
	rho := k.R(sigma) * math.Sqrt(q+betaEps)
	var norm2 float64
	for i := range dst {
		g := rng.NormFloat64()
		dst[i] = g
		norm2 += g * g
	}
	s := rho / math.Sqrt(norm2)
	for i, v := range y {
		dst[i] = v + s*dst[i]
	}
}

// LogWeight returns log p_σ(x|y) as a function of d2 = ‖x−y‖², up to terms
// that depend only on σ, D and n:
//
//	−(n+D)/2 · log1p(d2/(σ²D))   (= −(n+D)/2·log(d2 + σ²D) + const),
//
// and −d2/(2σ²) when D = ∞. The log1p form keeps full precision when
// (n+D)/2 is 10⁶ and d2 ≪ σ²D.
func (k Kernel) LogWeight(d2 float64, n int, sigma float64) float64 {
	if k.Gaussian() {
		return -d2 / (2 * sigma * sigma)
	}
	return -(float64(n) + k.D) / 2 * math.Log1p(d2/(sigma*sigma*k.D))
}

// MeanRho2 returns E[ρ²] = σ²·N·D/(D−2) of the kernel in N dimensions
// (N·σ² when D = ∞, +Inf when D ≤ 2).
func (k Kernel) MeanRho2(n int, sigma float64) float64 {
	if k.Gaussian() {
		return float64(n) * sigma * sigma
	}
	if k.D <= 2 {
		return math.Inf(1)
	}
	return sigma * sigma * float64(n) * k.D / (k.D - 2)
}

// CVRho2 returns the coefficient of variation of ρ² in N dimensions,
//
//	CV(ρ²) = √(2(N+D−2) / (N(D−4))),  √(2/N) when D = ∞,
//
// +Inf when D ≤ 4. Relative to Gaussian noise the spread of noisy norms
// grows by about √(1 + N/D).
func (k Kernel) CVRho2(n int) float64 {
	nn := float64(n)
	if k.Gaussian() {
		return math.Sqrt(2 / nn)
	}
	if k.D <= 4 {
		return math.Inf(1)
	}
	return math.Sqrt(2 * (nn + k.D - 2) / (nn * (k.D - 4)))
}
