package diffusion

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestLinearLevelClosedForms(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// EDM with σ_data² equal to every eigenvalue: exactly the dimension.
	if got := LinearLevel([]float64{0.25, 0.25, 0.25}, EDM{0.5}, DefaultLogNormal, 1000, rng); math.Abs(got-3) > 1e-12 {
		t.Fatalf("EDM level %v, want 3", got)
	}
	// X-prediction (weight 1) at a fixed σ: Σ λσ²/(λ+σ²).
	fixed := fixedSigma(2)
	want := 1*4/(1+4.0) + 9*4/(9+4.0)
	if got := LinearLevel([]float64{1, 9}, X{1}, fixed, 10, rng); math.Abs(got-want) > 1e-12 {
		t.Fatalf("x level %v, want %v", got, want)
	}
}

// The level agrees with the empirical loss of the linear denoiser c·x on
// Gaussian data, an independent route.
func TestLinearLevelMatchesEmpiricalLinearLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	lam := []float64{0.3, 2}
	const n = 200000
	var sum float64
	for i := 0; i < n; i++ {
		s := DefaultLogNormal.SampleSigma(rng)
		var e float64
		for _, l := range lam {
			y := math.Sqrt(l) * rng.NormFloat64()
			x := y + s*rng.NormFloat64()
			d := l / (l + s*s) * x
			e += (d - y) * (d - y)
		}
		sum += Eps{1}.Weight(s) * e
	}
	emp := sum / n
	got := LinearLevel(lam, Eps{1}, DefaultLogNormal, n, rand.New(rand.NewPCG(5, 6)))
	if math.Abs(emp-got) > 0.02*got {
		t.Fatalf("level %v vs empirical %v", got, emp)
	}
}

func TestCovEigen(t *testing.T) {
	x := mat.NewDense(4, 2, []float64{1, 0, -1, 0, 0, 2, 0, -2})
	e := CovEigen(x)
	// Var = 2/3 and 8/3 (N−1 divisor), no covariance.
	if math.Abs(e[0]-2.0/3) > 1e-12 || math.Abs(e[1]-8.0/3) > 1e-12 {
		t.Fatalf("eigenvalues %v", e)
	}
}

type fixedSigma float64

func (f fixedSigma) SampleSigma(*rand.Rand) float64 { return float64(f) }
