package metrics

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

func TestGaussianStatsRoundTrip(t *testing.T) {
	rng := newRand(50)
	x := gaussian(300, []float64{1, 2, 3, 4}, 1, rng)
	y := gaussian(250, []float64{1, 2.5, 3, 4}, 0.8, rng)
	sx, sy := FitGaussian(x), FitGaussian(y)
	if sx.N != 300 || len(sx.Mean) != 4 || len(sx.Cov) != 16 {
		t.Fatalf("FitGaussian shape: %+v", sx)
	}
	direct, err := FrechetDistance(x, y)
	if err != nil {
		t.Fatal(err)
	}
	// Through JSON and back: bit-exact floats, same distance.
	buf, err := json.Marshal(sx)
	if err != nil {
		t.Fatal(err)
	}
	var back GaussianStats
	if err := json.Unmarshal(buf, &back); err != nil {
		t.Fatal(err)
	}
	viaStats, err := FrechetStats(back, sy)
	if err != nil {
		t.Fatal(err)
	}
	if viaStats != direct {
		t.Errorf("FrechetStats after JSON = %.17g, FrechetDistance = %.17g", viaStats, direct)
	}

	bad := sx
	bad.Cov = bad.Cov[:15]
	if _, err := FrechetStats(bad, sy); err == nil {
		t.Error("short cov accepted")
	}
	asym := FitGaussian(x)
	asym.Cov[1] += 0.1
	if asym.Validate() == nil {
		t.Error("asymmetric cov accepted")
	}
	nan := FitGaussian(x)
	nan.Mean[0] = math.NaN()
	if err := nan.Validate(); !errors.Is(err, ErrNonFinite) {
		t.Errorf("NaN mean: %v", err)
	}
	if _, err := FrechetStats(sx, FitGaussian(gaussian(10, []float64{0, 0}, 1, rng))); err == nil {
		t.Error("dimension mismatch accepted")
	}
}
