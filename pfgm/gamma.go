package pfgm

import (
	"math"
	"math/rand/v2"
)

// Gamma draws from the Gamma(shape, 1) law, density x^(a−1) e^(−x)/Γ(a) on
// x > 0, by Marsaglia and Tsang (2000): for a ≥ 1, with d = a − 1/3 and
// c = 1/√(9d), it returns d·v for v = (1 + c·g)³, g ~ N(0,1), accepted with
// the squeeze u < 1 − 0.0331 g⁴ or log u < g²/2 + d(1 − v + log v). For
// a < 1 it uses the boost Gamma(a) = Gamma(a+1)·U^(1/a), computed in log
// space so that small shapes do not underflow early. It panics unless
// shape > 0 and finite.
func Gamma(shape float64, rng *rand.Rand) float64 {
	if !(shape > 0) || math.IsInf(shape, 0) {
		panic("pfgm: Gamma shape must be positive and finite")
	}
	if shape < 1 {
		g := gammaMT(shape+1, rng)
		// U^(1/a) with U in (0,1]; log(1−Float64()) avoids log 0.
		return g * math.Exp(math.Log(1-rng.Float64())/shape)
	}
	return gammaMT(shape, rng)
}

// gammaMT is the Marsaglia–Tsang rejection sampler for shape ≥ 1.
func gammaMT(a float64, rng *rand.Rand) float64 {
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		g := rng.NormFloat64()
		v := 1 + c*g
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		g2 := g * g
		if u < 1-0.0331*g2*g2 {
			return d * v
		}
		if u > 0 && math.Log(u) < 0.5*g2+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// Beta draws from the Beta(a, b) law, density x^(a−1)(1−x)^(b−1)/B(a,b) on
// (0,1), by Cheng's (1978) rejection algorithms: BB when min(a,b) > 1 and BC
// otherwise. It uses only uniform draws, so it is a route independent of
// Gamma (the tests compare the two). It panics unless a, b > 0 and finite.
func Beta(a, b float64, rng *rand.Rand) float64 {
	if !(a > 0) || !(b > 0) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		panic("pfgm: Beta parameters must be positive and finite")
	}
	lo, hi := math.Min(a, b), math.Max(a, b)
	sum := lo + hi
	const ln4 = 1.3862943611198906 // log 4
	if lo > 1 {
		// Algorithm BB. W = lo·e^V is the odds of the Beta(lo, hi) draw.
		bet := math.Sqrt((sum - 2) / (2*lo*hi - sum))
		gam := lo + 1/bet
		for {
			u1, u2 := open01(rng), open01(rng)
			v := bet * math.Log(u1/(1-u1))
			w := lo * math.Exp(v)
			if math.IsInf(w, 1) {
				w = math.MaxFloat64
			}
			z := u1 * u1 * u2
			r := gam*v - ln4
			s := lo + r - w
			accept := s+2.609438 >= 5*z // 2.609438 = 1 + log 5
			if !accept {
				t := math.Log(z)
				accept = s > t || r+sum*math.Log(sum/(hi+w)) >= t
			}
			if accept {
				if a == lo {
					return w / (hi + w)
				}
				return hi / (hi + w)
			}
		}
	}
	// Algorithm BC (lo ≤ 1). W = hi·e^V is the odds of the Beta(hi, lo) draw.
	bet := 1 / lo
	delta := 1 + hi - lo
	k1 := delta * (0.0138889 + 0.0416667*lo) / (hi*bet - 0.777778)
	k2 := 0.25 + (0.5+0.25/delta)*lo
	for {
		u1, u2 := open01(rng), open01(rng)
		var z float64
		if u1 < 0.5 {
			y := u1 * u2
			z = u1 * y
			if 0.25*u2+z-y >= k1 {
				continue
			}
		} else {
			z = u1 * u1 * u2
			if z >= k2 {
				continue
			}
		}
		v := bet * math.Log(u1/(1-u1))
		w := hi * math.Exp(v)
		if math.IsInf(w, 1) {
			w = math.MaxFloat64
		}
		if (u1 >= 0.5 && z <= 0.25) || sum*(math.Log(sum/(lo+w))+v)-ln4 >= math.Log(z) {
			if a == hi && a != lo {
				return w / (lo + w)
			}
			return lo / (lo + w)
		}
	}
}

// open01 returns a uniform draw on the open interval (0, 1).
func open01(rng *rand.Rand) float64 {
	for {
		if u := rng.Float64(); u > 0 {
			return u
		}
	}
}
