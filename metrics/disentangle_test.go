package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestScoreMatrix(t *testing.T) {
	cases := []struct {
		name             string
		r                [][]float64
		purity, complete float64
		coverage         int
		live             float64
	}{
		{"identity", [][]float64{{1, 0, 0}, {0, 2, 0}, {0, 0, 3}}, 1, 1, 3, 1},
		{"uniform", [][]float64{{1, 1}, {1, 1}}, 0, 0, 0, 1},
		// one direction moving everything, one dead direction
		{"dead", [][]float64{{1, 1}, {0.01, 0}}, 0.01 / 2.01, 1 - (1.01/2.01*(1-entropyShare([]float64{1, 0.01}, 2)) + 1/2.01*0) - 1.01/2.01*0, 0, 0.5},
	}
	for _, c := range cases {
		s := ScoreMatrix(c.r)
		if math.Abs(s.Purity-c.purity) > 1e-12 || s.Coverage != c.coverage || math.Abs(s.Live-c.live) > 1e-12 {
			t.Errorf("%s: purity %g coverage %d live %g; want %g %d %g", c.name, s.Purity, s.Coverage, s.Live, c.purity, c.coverage, c.live)
		}
		if c.name != "dead" && math.Abs(s.Completeness-c.complete) > 1e-12 {
			t.Errorf("%s: completeness %g, want %g", c.name, s.Completeness, c.complete)
		}
	}
	// Closed form: a row (p, 1−p) over F = 2 has purity 1 − H(p)/ln 2.
	p := 0.2
	s := ScoreMatrix([][]float64{{p, 1 - p}})
	want := 1 + (p*math.Log(p)+(1-p)*math.Log(1-p))/math.Log(2)
	if math.Abs(s.Purity-want) > 1e-12 {
		t.Errorf("binary purity %g, want %g", s.Purity, want)
	}
}

// sampleFactors draws N×F independent U[0,1) factors.
func sampleFactors(n, f int, rng *rand.Rand) *mat.Dense {
	x := mat.NewDense(n, f, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < f; j++ {
			x.Set(i, j, rng.Float64())
		}
	}
	return x
}

// rotate45 mixes factor pairs (0,1) into (f0+f1, f0−f1).
func rotate45(x *mat.Dense) *mat.Dense {
	n, f := x.Dims()
	y := mat.DenseCopyOf(x)
	for i := 0; i < n; i++ {
		a, b := x.At(i, 0), x.At(i, 1)
		y.Set(i, 0, a+b)
		y.Set(i, 1, a-b)
	}
	_ = f
	return y
}

func TestMIG(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 1))
	fac := sampleFactors(10000, 3, rng)
	good, _, err := MIG(fac, fac, 20)
	if err != nil {
		t.Fatal(err)
	}
	if good < 0.9 {
		t.Errorf("MIG of the factors themselves = %.3f, want ≥ 0.9", good)
	}
	mixed, gaps, err := MIG(rotate45(fac), fac, 20)
	if err != nil {
		t.Fatal(err)
	}
	if gaps[0] > 0.2 || gaps[1] > 0.2 || gaps[2] < 0.9 {
		t.Errorf("mixed codes: per-factor gaps %v, want f0,f1 < 0.2 and f2 ≥ 0.9", gaps)
	}
	if !(mixed < good-0.4) {
		t.Errorf("MIG mixed %.3f not well below disentangled %.3f", mixed, good)
	}
}

func TestDCI(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	fac := sampleFactors(4000, 3, rng)
	// codes: a permutation of the factors plus small noise
	codes := mat.NewDense(4000, 3, nil)
	for i := 0; i < 4000; i++ {
		codes.Set(i, 0, fac.At(i, 2)+0.01*rng.NormFloat64())
		codes.Set(i, 1, fac.At(i, 0)+0.01*rng.NormFloat64())
		codes.Set(i, 2, fac.At(i, 1)+0.01*rng.NormFloat64())
	}
	r, err := DCI(codes, fac, 0.01, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	if r.Disentanglement < 0.95 || r.Completeness < 0.95 || r.Informativeness < 0.99 {
		t.Errorf("permuted codes: D %.3f C %.3f I %.3f, want all ≈ 1", r.Disentanglement, r.Completeness, r.Informativeness)
	}
	m, err := DCI(rotate45(fac), fac, 0.01, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	// Two of three factors are split evenly over two codes. Standardised,
	// f0 = (c0+c1)/√2, so rows c0, c1 are (1/√2, 1/√2, 0) (H = ln 2, weight
	// √2/(2√2+1) each) and c2 is (0, 0, 1) (weight 1/(2√2+1)):
	// D = [1 + 2√2·(1 − ln2/ln3)]/(2√2+1), up to Lasso shrinkage.
	wantD := (1 + 2*math.Sqrt2*(1-math.Log(2)/math.Log(3))) / (2*math.Sqrt2 + 1)
	if math.Abs(m.Disentanglement-wantD) > 0.02 {
		t.Errorf("rotated codes: D %.3f, want %.3f", m.Disentanglement, wantD)
	}
	if m.Informativeness < 0.99 {
		t.Errorf("rotated codes: informativeness %.3f (a rotation loses no information)", m.Informativeness)
	}
	// Lasso on an orthogonal design equals soft-thresholded least squares.
	x := standardise(fac)
	y := make([]float64, 4000)
	for i := range y {
		y[i] = 2*x.At(i, 0) - 0.5*x.At(i, 1)
	}
	beta := Lasso(x, y, 0.1, 1000, 1e-12)
	if math.Abs(beta[0]-1.9) > 0.02 || math.Abs(beta[1]+0.4) > 0.02 || math.Abs(beta[2]) > 0.02 {
		t.Errorf("Lasso β = %v, want ≈ (1.9, −0.4, 0)", beta)
	}
}

func TestFactorVAEScore(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	fac := sampleFactors(5000, 3, rng)
	fs := []Factor{{Name: "a"}, {Name: "b"}, {Name: "c", Period: 1}}
	s, err := FactorVAEScore(fac, fac, fs, 64, 300, 300, rng)
	if err != nil {
		t.Fatal(err)
	}
	if s < 0.99 {
		t.Errorf("score of the factors themselves = %.3f", s)
	}
	// One code for three factors: the majority vote can be right at most
	// for the factor it is assigned, about 1/3 of votes.
	one := mat.NewDense(5000, 2, nil)
	for i := 0; i < 5000; i++ {
		one.Set(i, 0, fac.At(i, 0)+fac.At(i, 1)+fac.At(i, 2))
		one.Set(i, 1, 0)
	}
	s1, err := FactorVAEScore(one, fac, fs, 64, 300, 300, rng)
	if err != nil {
		t.Fatal(err)
	}
	if s1 > 0.45 {
		t.Errorf("single mixed code scores %.3f, want ≈ 1/3", s1)
	}
	if d := fs[2].FactorDiff(0.95, 0.05); math.Abs(d+0.1) > 1e-12 {
		t.Errorf("circular difference 0.95 − 0.05 (period 1) = %g, want −0.1", d)
	}
}
