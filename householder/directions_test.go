package householder

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestSeFaPlanted: affines whose rows are noise plus a large component along
// a planted unit direction n₀: SeFa's first direction is ±n₀.
func TestSeFaPlanted(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	d := 16
	n0 := RandomOrthonormal(d, 1, rng)
	var layers []*mat.Dense
	for _, c := range []int{32, 32, 16} {
		a := mat.NewDense(c, d, nil)
		for i := 0; i < c; i++ {
			amp := 3 * rng.NormFloat64()
			for j := 0; j < d; j++ {
				a.Set(i, j, 0.3*rng.NormFloat64()+amp*n0.At(j, 0))
			}
		}
		layers = append(layers, a)
	}
	dirs, vals, err := SeFa(layers, 3)
	if err != nil {
		t.Fatal(err)
	}
	var dot float64
	for j := 0; j < d; j++ {
		dot += dirs.At(j, 0) * n0.At(j, 0)
	}
	if math.Abs(dot) < 0.99 {
		t.Errorf("|⟨n₁, n₀⟩| = %.4f, want ≥ 0.99", math.Abs(dot))
	}
	for i := 1; i < len(vals); i++ {
		if vals[i] > vals[i-1] {
			t.Fatalf("eigenvalues not descending: %v", vals)
		}
	}
	// Σ eigenvalues = trace(MᵀM) = number of rows (each row has unit norm).
	var sum float64
	for _, v := range vals {
		sum += v
	}
	if math.Abs(sum-80) > 1e-9 {
		t.Errorf("Σλ = %g, want 80 (one per normalised row)", sum)
	}
}

// TestGANSpacePlanted: samples with one high-variance direction: the first
// principal component is that direction, with σ close to the planted one.
func TestGANSpacePlanted(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	d, n := 16, 20000
	n0 := RandomOrthonormal(d, 1, rng)
	ws := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		a := 4 * rng.NormFloat64()
		for j := 0; j < d; j++ {
			ws.Set(i, j, 1+rng.NormFloat64()+a*n0.At(j, 0))
		}
	}
	dirs, sd, err := GANSpace(ws, 2)
	if err != nil {
		t.Fatal(err)
	}
	var dot float64
	for j := 0; j < d; j++ {
		dot += dirs.At(j, 0) * n0.At(j, 0)
	}
	if math.Abs(dot) < 0.999 {
		t.Errorf("|⟨pc₁, n₀⟩| = %.5f", math.Abs(dot))
	}
	if want := math.Sqrt(17); math.Abs(sd[0]-want) > 0.1 {
		t.Errorf("σ₁ = %.3f, want %.3f", sd[0], want)
	}
	if math.Abs(sd[1]-1) > 0.05 {
		t.Errorf("σ₂ = %.3f, want 1", sd[1])
	}
}

func TestRandomOrthonormal(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	q := RandomOrthonormal(16, 5, rng)
	var qtq mat.Dense
	qtq.Mul(q.T(), q)
	for i := 0; i < 5; i++ {
		for j := 0; j < 5; j++ {
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(qtq.At(i, j)-want) > 1e-12 {
				t.Fatalf("QᵀQ[%d,%d] = %g", i, j, qtq.At(i, j))
			}
		}
	}
	r := RandomRotation(4, rng)
	if d := mat.Det(r); math.Abs(d-1) > 1e-12 {
		t.Errorf("det R = %g", d)
	}
}
