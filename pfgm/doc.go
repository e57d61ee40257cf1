// Package pfgm implements PFGM++ (Xu et al., ICML 2023): the Poisson-flow
// generative model with D augmented dimensions, as a noise kernel of package
// diffusion.
//
// With data y ∈ ℝᴺ and D augmented dimensions of radius r, the perturbation
// kernel is
//
//	p_r(x|y) = Γ((N+D)/2) / (π^{N/2} Γ(D/2)) · r^D · (‖x−y‖² + r²)^(−(N+D)/2),
//
// a multivariate Student-t with ν = D degrees of freedom, location y and
// scale σ = r/√D (the "phase alignment" r = σ√D). Its radius ρ = ‖x−y‖
// satisfies ρ²/r² ~ BetaPrime(N/2, D/2), so E[ρ²] = σ²ND/(D−2) for D > 2 and
// P(ρ > t) ∝ t^(−D) in the tail. As D → ∞ it tends to N(y, σ²I) and PFGM++
// becomes EDM; D = 1 is the original PFGM.
//
// Under r = σ√D the PFGM++ ODE is EDM's probability-flow ODE
// dx/dσ = (x − D(x;σ))/σ at every D, so training, the Heun sampler and every
// prediction target of package diffusion are used unchanged; only the kernel
// (through the posterior mean and the prior at σ_max) depends on D. The
// network never sees D.
//
// The package also holds the robustness perturbations of the official
// protocols: state noise injected before every sampler step (StateNoise) and
// post-training min–max quantisation of weight matrices (QuantizeMinMax).
//
// All noise maths is float64, and every draw comes from an explicitly passed
// *rand.Rand.
package pfgm
