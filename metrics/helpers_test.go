package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6d65747269637321)) }

// gaussian returns n rows of N(mu, I·scale²).
func gaussian(n int, mu []float64, scale float64, rng *rand.Rand) *mat.Dense {
	x := mat.NewDense(n, len(mu), nil)
	for i := 0; i < n; i++ {
		row := x.RawRowView(i)
		for j := range row {
			row[j] = mu[j] + scale*rng.NormFloat64()
		}
	}
	return x
}

// randomSPD returns B·Bᵀ/d + ridge·I for a standard normal d×d B.
func randomSPD(d int, ridge float64, rng *rand.Rand) *mat.SymDense {
	b := mat.NewDense(d, d, nil)
	for i := range b.RawMatrix().Data {
		b.RawMatrix().Data[i] = rng.NormFloat64()
	}
	s := mat.NewSymDense(d, nil)
	s.SymOuterK(1/float64(d), b)
	for i := 0; i < d; i++ {
		s.SetSym(i, i, s.At(i, i)+ridge)
	}
	return s
}

func randomVec(d int, rng *rand.Rand) []float64 {
	v := make([]float64, d)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func close(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.12g, want %.12g ± %g", name, got, want, tol)
	}
}

func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}

// permuteRows returns the rows of x in the order of perm.
func permuteRows(x *mat.Dense, perm []int) *mat.Dense {
	n, d := x.Dims()
	out := mat.NewDense(n, d, nil)
	for i, p := range perm {
		copy(out.RawRowView(i), x.RawRowView(p))
	}
	return out
}
