package diffusion

import (
	"math"
	"math/rand/v2"
	"testing"
)

// For every target, the ideal F-target (y − c_skip·x)/c_out maps back to y
// through D = c_skip·x + c_out·F, and is what the target's name says.
func TestTargetsRegressWhatTheySay(t *testing.T) {
	const sd = 0.5
	rng := rand.New(rand.NewPCG(1, 1))
	for _, sigma := range []float64{0.01, 0.3, 2, 50} {
		y, n := sd*rng.NormFloat64(), rng.NormFloat64()
		x := y + sigma*n
		edm := EDM{sd}.Scalings(sigma)
		fEDM := (y - edm.CSkip*x) / edm.COut
		for _, tc := range []struct {
			name string
			tg   Target
			want float64
		}{
			{"edm", EDM{sd}, (sigma*y - sd*sd*n) / (sd * math.Sqrt(sigma*sigma+sd*sd))},
			{"eps", Eps{sd}, n},
			{"x", X{sd}, y},
			{"v", V{sd}, -fEDM},
		} {
			s := tc.tg.Scalings(sigma)
			f := (y - s.CSkip*x) / s.COut
			if math.Abs(f-tc.want) > 1e-9*(1+math.Abs(tc.want)) {
				t.Errorf("%s σ=%v: F-target %v, want %v", tc.name, sigma, f, tc.want)
			}
			if d := s.CSkip*x + s.COut*f; math.Abs(d-y) > 1e-9 {
				t.Errorf("%s σ=%v: D = %v, want y = %v", tc.name, sigma, d, y)
			}
			// Every built-in target is plain MSE on F: λ·c_out² = 1.
			if w := tc.tg.Weight(sigma) * s.COut * s.COut; math.Abs(w-1) > 1e-12 {
				t.Errorf("%s σ=%v: λ·c_out² = %v, want 1", tc.name, sigma, w)
			}
			if math.Abs(s.CNoise-math.Log(sigma)/4) > 1e-15 || math.Abs(s.CIn-1/math.Sqrt(sigma*sigma+sd*sd)) > 1e-15 {
				t.Errorf("%s: c_in/c_noise %v %v", tc.name, s.CIn, s.CNoise)
			}
		}
	}
}

// EDM's F-target has unit variance at every σ when Var y = σd².
func TestEDMTargetUnitVariance(t *testing.T) {
	const sd = 0.5
	for _, sigma := range []float64{0.002, 0.5, 80} {
		s := EDM{sd}.Scalings(sigma)
		// F = ((1−c_skip)·y − c_skip·σ·n)/c_out, y ⊥ n.
		v := ((1-s.CSkip)*(1-s.CSkip)*sd*sd + s.CSkip*s.CSkip*sigma*sigma) / (s.COut * s.COut)
		if math.Abs(v-1) > 1e-12 {
			t.Fatalf("σ=%v: Var F = %v", sigma, v)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for _, n := range []string{"edm", "eps", "epsilon", "v", "v_prediction", "x", "sample"} {
		if _, err := ParseTarget(n, 0.5); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if _, err := ParseTarget("nope", 0.5); err == nil {
		t.Error("ParseTarget(nope) succeeded")
	}
}

func TestLogNormalMoments(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	var s1, s2 float64
	const n = 20000
	for i := 0; i < n; i++ {
		l := math.Log(DefaultLogNormal.SampleSigma(rng))
		s1 += l
		s2 += l * l
	}
	m := s1 / n
	sd := math.Sqrt(s2/n - m*m)
	if math.Abs(m+1.2) > 0.04 || math.Abs(sd-1.2) > 0.04 {
		t.Fatalf("ln σ mean %v std %v, want −1.2, 1.2", m, sd)
	}
}
