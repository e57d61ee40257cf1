package kdiff

import (
	"math"
	"testing"

	"genlab/diffusion"
)

// The schedule interpolates logit k linearly between knots: k(sⱼ) =
// sigmoid(Wⱼ) at every knot, the midpoint of two knots is sigmoid of the
// mean logit, s outside [0,1] clamps to the end knots, and equal knots give
// the scalar k everywhere.
func TestKScheduleInterpolates(t *testing.T) {
	q := NewLearnedKSchedule(5, 0.5, 0)
	copy(q.W, []float64{-2, 1, 0.5, 3, -1})
	for j, w := range q.W {
		if got := q.K(float64(j) / 4); math.Abs(got-Sigmoid(w)) > 1e-15 {
			t.Errorf("k(s_%d) = %g, want sigmoid(%g) = %g", j, got, w, Sigmoid(w))
		}
	}
	if got, want := q.K(0.375), Sigmoid(0.75); math.Abs(got-want) > 1e-15 {
		t.Errorf("k(0.375) = %g, want %g", got, want)
	}
	if q.K(-1) != q.K(0) || q.K(2) != q.K(1) {
		t.Errorf("s outside [0,1] not clamped: %g %g %g %g", q.K(-1), q.K(0), q.K(2), q.K(1))
	}
	c := NewLearnedKSchedule(DefaultKnots, 0.3, 0)
	for _, s := range []float64{0, 0.1, 0.5, 0.77, 1} {
		if math.Abs(c.K(s)-0.3) > 1e-12 {
			t.Errorf("constant schedule: k(%g) = %g, want 0.3", s, c.K(s))
		}
	}
}

// A constant schedule is the scalar k: Scalings and Weight of a bridge with
// every knot at k0 equal a fixed-k0 bridge's at every σ, and its KValue
// (the mean over training σ) is k0.
func TestKScheduleConstantIsScalar(t *testing.T) {
	for _, l := range []LossSpace{LossU, LossV, LossX} {
		for _, k0 := range []float64{0.1, 0.5, 0.95} {
			sb := NewBridge(K{Learned: true, Schedule: true}, l, k0, 1e-3)
			fb := &Bridge{K: k0, Loss: l, Clamp: DefaultClamp}
			for _, sg := range []float64{0.002, 0.1, 1, 10, 80} {
				a, b := sb.Scalings(sg), fb.Scalings(sg)
				if math.Abs(a.CSkip-b.CSkip) > 1e-12 || math.Abs(a.COut-b.COut) > 1e-12*b.COut || a.CIn != b.CIn {
					t.Errorf("%v k=%g σ=%g: scalings %+v ≠ %+v", l, k0, sg, a, b)
				}
				if wa, wb := sb.Weight(sg), fb.Weight(sg); math.Abs(wa-wb) > 1e-10*wb {
					t.Errorf("%v k=%g σ=%g: weight %g ≠ %g", l, k0, sg, wa, wb)
				}
			}
			if math.Abs(sb.KValue()-k0) > 1e-12 {
				t.Errorf("KValue %g, want %g", sb.KValue(), k0)
			}
		}
	}
}

// Grad is the exact gradient of the trainer's loss with respect to the
// knots: each ∂L/∂Wⱼ equals the central finite difference of the loss
// computed from Scalings and Weight alone, for every loss space and a
// non-constant schedule; one Learn step moves W against it, and the
// frozen copy keeps the schedule and no longer learns.
func TestKScheduleGradient(t *testing.T) {
	y, x, sig, out, trainerLoss := learnFixture(12)
	s := make([]float64, len(sig))
	for i, sg := range sig {
		s[i] = SFromSigma(sg)
	}
	for _, l := range []LossSpace{LossU, LossV, LossX} {
		b := NewBridge(K{Learned: true, Schedule: true}, l, 0.5, 1e-3)
		copy(b.Schedule.W, []float64{-1.5, -0.4, 0.3, 0.9, 1.4, 2.2, 0.6})
		dks, _ := b.sampleDk(y, x, sig, out)
		g := b.Schedule.Grad(s, dks)
		nonzero := 0
		for j := range b.Schedule.W {
			w0 := b.Schedule.W[j]
			const h = 1e-6
			b.Schedule.W[j] = w0 + h
			lp := trainerLoss(b)
			b.Schedule.W[j] = w0 - h
			lm := trainerLoss(b)
			b.Schedule.W[j] = w0
			fd := (lp - lm) / (2 * h)
			if math.Abs(g[j]-fd) > 1e-5*math.Max(1, math.Abs(fd)) {
				t.Errorf("%v knot %d: ∂L/∂W = %g, finite difference %g", l, j, g[j], fd)
			}
			if fd != 0 {
				nonzero++
			}
		}
		if nonzero < 3 {
			t.Fatalf("%v: only %d knots see the batch; the test does not probe the interpolation", l, nonzero)
		}
		w0 := append([]float64(nil), b.Schedule.W...)
		b.Learn(y, x, sig, out)
		var dot float64
		for j := range w0 {
			dot += (b.Schedule.W[j] - w0[j]) * g[j]
		}
		if dot >= 0 {
			t.Errorf("%v: W moved along the gradient (ΔW·g = %g)", l, dot)
		}
		f := b.Frozen()
		before := append([]float64(nil), f.Schedule.W...)
		f.Learn(y, x, sig, out)
		for j := range before {
			if f.Schedule.W[j] != before[j] || f.Schedule.W[j] != b.Schedule.W[j] {
				t.Fatalf("%v: frozen schedule changed or differs: %v vs %v", l, f.Schedule.W, b.Schedule.W)
			}
		}
	}
}

// MeanK is E[k(s(σ))] for ln σ ~ N(−1.2, 1.2²): it agrees with a Monte Carlo
// estimate from an independent seeded draw within 4 standard errors.
func TestKScheduleMeanK(t *testing.T) {
	q := NewLearnedKSchedule(DefaultKnots, 0.5, 0)
	copy(q.W, []float64{-3, -1, 0, 0.5, 2, 3, 4})
	rng := newRand(3)
	const n = 200000
	var sum, sum2 float64
	for i := 0; i < n; i++ {
		k := q.K(SFromSigma(diffusion.DefaultLogNormal.SampleSigma(rng)))
		sum += k
		sum2 += k * k
	}
	mc := sum / n
	se := math.Sqrt((sum2/n - mc*mc) / n)
	if got := q.MeanK(diffusion.DefaultLogNormal); math.Abs(got-mc) > 4*se {
		t.Errorf("MeanK = %g, Monte Carlo %g ± %g", got, mc, se)
	}
}

// State round-trips and SetState refuses a wrong length or a non-finite
// value.
func TestKScheduleState(t *testing.T) {
	q := NewLearnedKSchedule(4, 0.2, 1e-2)
	q.Step([]float64{1, -2, 0.5, 0})
	st := q.State()
	r := NewLearnedKSchedule(4, 0.7, 1e-2)
	if err := r.SetState(st); err != nil {
		t.Fatal(err)
	}
	q.Step([]float64{0.3, 0.3, -1, 2})
	r.Step([]float64{0.3, 0.3, -1, 2})
	for j := range q.W {
		if q.W[j] != r.W[j] {
			t.Fatalf("restored schedule diverges: %v vs %v", q.W, r.W)
		}
	}
	if err := r.SetState(st[:len(st)-1]); err == nil {
		t.Error("short state accepted")
	}
	bad := append([]float64(nil), st...)
	bad[2] = math.NaN()
	if err := r.SetState(bad); err == nil {
		t.Error("NaN state accepted")
	}
}
