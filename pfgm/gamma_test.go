package pfgm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func TestGammaKS(t *testing.T) {
	const n = 20000
	for i, shape := range []float64{0.05, 0.5, 1, 2.5, 64, 392} {
		rng := rand.New(rand.NewPCG(1, uint64(i)))
		x := make([]float64, n)
		var mean float64
		for j := range x {
			x[j] = Gamma(shape, rng)
			mean += x[j] / n
		}
		ref := distuv.Gamma{Alpha: shape, Beta: 1}
		if d := ks1(x, ref.CDF); d > ks1Crit(n) {
			t.Errorf("shape %v: KS = %.4f > %.4f", shape, d, ks1Crit(n))
		}
		if se := math.Sqrt(shape / n); math.Abs(mean-shape) > 5*se {
			t.Errorf("shape %v: mean %.5f, want %v ± %.2g", shape, mean, shape, 5*se)
		}
	}
}

func TestBetaKS(t *testing.T) {
	const n = 20000
	cases := []struct{ a, b float64 }{
		{1, 0.5}, {392, 0.5}, {0.5, 392}, {1, 1024}, {392, 64}, {0.5, 0.5}, {2, 3}, {3, 2}, {0.3, 0.7}, {1, 1},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("a=%v,b=%v", c.a, c.b), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(2, uint64(i)))
			x := make([]float64, n)
			for j := range x {
				x[j] = Beta(c.a, c.b, rng)
				if !(x[j] >= 0 && x[j] <= 1) {
					t.Fatalf("draw %v outside [0,1]", x[j])
				}
			}
			ref := distuv.Beta{Alpha: c.a, Beta: c.b}
			if d := ks1(x, ref.CDF); d > ks1Crit(n) {
				t.Errorf("KS = %.4f > %.4f", d, ks1Crit(n))
			}
		})
	}
}

func TestSamplersPanicOnBadShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(0, 0))
	for _, f := range []func(){
		func() { Gamma(0, rng) },
		func() { Gamma(math.NaN(), rng) },
		func() { Gamma(math.Inf(1), rng) },
		func() { Beta(-1, 1, rng) },
		func() { Beta(1, math.Inf(1), rng) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
}
