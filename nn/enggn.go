package nn

import (
	"math"

	"genlab/nn/kern"
)

// egn is GroupNorm followed by SiLU, fused, on a CNHW tensor of C channels
// over n images of hw pixels:
//
//	t = γ_c·(x − μ_{i,g})·r_{i,g} + β_c,  r = 1/√(σ²_{i,g} + ε),  y = t·σ(t),
//
// with μ, σ² the mean and biased variance of image i over the channels of
// group g and their pixels (statistics in float64, two passes). Its backward
// pass, with dt = dy·σ(t)·(1 + t·(1−σ(t))), ĝ = γ·dt and x̂ = (x−μ)·r,
//
//	∂x = r·(ĝ − mean_g ĝ − x̂·mean_g(ĝ·x̂)),  ∂γ_c = Σ dt·x̂,  ∂β_c = Σ dt,
//
// recomputes t from x and the saved statistics instead of storing it.
type egn struct {
	gamma, beta []float32
	gi, bi      int
	c, groups   int
	hw          int
	eps         float64
	mu, rstd    []float64 // per (image, group), of the last forward
	tmp         []float32 // dt of one group's planes, in backward
}

func newEgn(nm *Norm, idx map[*Param]int, hw, capacity int) *egn {
	c := nm.Scale.Shape[1]
	return &egn{gamma: nm.Scale.Data(), beta: nm.Bias.Data(), gi: idx[nm.Scale], bi: idx[nm.Bias],
		c: c, groups: nm.Groups, hw: hw, eps: groupNormEps,
		mu: make([]float64, capacity*nm.Groups), rstd: make([]float64, capacity*nm.Groups),
		tmp: make([]float32, c/nm.Groups*hw)}
}

// plane returns channel c of image i in a CNHW tensor of n images.
func (l *egn) plane(t []float32, c, i, n int) []float32 { return t[(c*n+i)*l.hw:][:l.hw] }

// forward sets y = SiLU(GN(x)) for n images (y must not alias x).
func (l *egn) forward(y, x []float32, n int) {
	per := l.c / l.groups
	m := float64(per * l.hw)
	for i := 0; i < n; i++ {
		for g := 0; g < l.groups; g++ {
			var s float64
			for c := g * per; c < (g+1)*per; c++ {
				s += kern.Sum(l.plane(x, c, i, n))
			}
			mean := s / m
			var q float64
			for c := g * per; c < (g+1)*per; c++ {
				for _, v := range l.plane(x, c, i, n) {
					d := float64(v) - mean
					q += d * d
				}
			}
			r := 1 / math.Sqrt(q/m+l.eps)
			l.mu[i*l.groups+g], l.rstd[i*l.groups+g] = mean, r
			for c := g * per; c < (g+1)*per; c++ {
				a := float64(l.gamma[c]) * r
				b := float64(l.beta[c]) - a*mean
				kern.AffineSiLUTo(l.plane(y, c, i, n), nil, l.plane(x, c, i, n), float32(a), float32(b))
			}
		}
	}
}

// backward sets g[gi], g[bi] to ∂γ, ∂β and writes (acc: adds) ∂x into dx,
// for dy the gradient of y and x the input of the last forward. dx must
// not alias x or dy.
func (l *egn) backward(g [][]float32, dx, dy, x []float32, n int, acc bool) {
	per := l.c / l.groups
	m := float64(per * l.hw)
	gg, gb := g[l.gi], g[l.bi]
	clear(gg)
	clear(gb)
	for i := 0; i < n; i++ {
		for gr := 0; gr < l.groups; gr++ {
			mu, r := l.mu[i*l.groups+gr], l.rstd[i*l.groups+gr]
			var sg, sgx float64 // Σ ĝ and Σ ĝ·x̂ over the group
			for c := gr * per; c < (gr+1)*per; c++ {
				a := float64(l.gamma[c]) * r
				b := float64(l.beta[c]) - a*mu
				xp := l.plane(x, c, i, n)
				dt := l.tmp[(c-gr*per)*l.hw:][:l.hw]
				kern.AffineTo(dt, xp, float32(a), float32(b))
				kern.SiLUGrad(dt, dt, l.plane(dy, c, i, n))
				sdt := kern.Sum(dt)
				// Σ dt·x̂ = r·(Σ dt·x − μ·Σ dt)
				sdx := r * (kern.Dot(dt, xp) - mu*sdt)
				gg[c] += float32(sdx)
				gb[c] += float32(sdt)
				sg += float64(l.gamma[c]) * sdt
				sgx += float64(l.gamma[c]) * sdx
			}
			mg, mgx := sg/m, sgx/m
			for c := gr * per; c < (gr+1)*per; c++ {
				// ∂x = r·γ_c·dt − r·mg − r²·mgx·(x − μ) = A·dt + B·x + C0
				a := float64(l.gamma[c]) * r
				xp := l.plane(x, c, i, n)
				dt := l.tmp[(c-gr*per)*l.hw:][:l.hw]
				A := float32(a)
				B := float32(-r * r * mgx)
				C0 := float32(r*r*mgx*mu - r*mg)
				dp := l.plane(dx, c, i, n)
				if acc {
					for j, v := range dt {
						dp[j] += A*v + B*xp[j] + C0
					}
				} else {
					for j, v := range dt {
						dp[j] = A*v + B*xp[j] + C0
					}
				}
			}
		}
	}
}
