package data

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestToysSeededAndFinite(t *testing.T) {
	for _, toy := range Toys() {
		a := toy.Sample(500, rand.New(rand.NewPCG(1, 2)))
		b := toy.Sample(500, rand.New(rand.NewPCG(1, 2)))
		if !mat.Equal(a, b) {
			t.Errorf("%s: same seed gave different samples", toy)
		}
		c := toy.Sample(500, rand.New(rand.NewPCG(2, 2)))
		if mat.Equal(a, c) {
			t.Errorf("%s: different seeds gave the same samples", toy)
		}
		for i := 0; i < 500; i++ {
			for j := 0; j < 2; j++ {
				if v := a.At(i, j); math.IsNaN(v) || math.Abs(v) > 5 {
					t.Fatalf("%s: sample %d = %v out of range", toy, i, v)
				}
			}
		}
	}
}

// Every ring point lies near one of the 8 centres, and each mode gets ≈1/8
// of the mass (χ² test with 7 degrees of freedom, 0.1% critical value 24.3).
func TestRing8Modes(t *testing.T) {
	const n = 8000
	x := Ring8.Sample(n, rand.New(rand.NewPCG(3, 4)))
	c := Ring8Centers()
	var count [8]float64
	for i := 0; i < n; i++ {
		best, bj := math.Inf(1), -1
		for j := 0; j < 8; j++ {
			d := math.Hypot(x.At(i, 0)-c.At(j, 0), x.At(i, 1)-c.At(j, 1))
			if d < best {
				best, bj = d, j
			}
		}
		if best > 6*Ring8Std {
			t.Fatalf("point %d is %.3f from its nearest centre", i, best)
		}
		count[bj]++
	}
	chi2 := 0.0
	for _, o := range count {
		e := float64(n) / 8
		chi2 += (o - e) * (o - e) / e
	}
	if chi2 > 24.3 {
		t.Fatalf("mode counts %v: χ² = %.1f", count, chi2)
	}
}

func TestCheckerboardOnDarkSquares(t *testing.T) {
	x := Checkerboard.Sample(2000, rand.New(rand.NewPCG(5, 6)))
	var left int
	for i := 0; i < 2000; i++ {
		a, b := x.At(i, 0), x.At(i, 1)
		if (int(math.Floor(a+2))+int(math.Floor(b+2)))%2 != 0 {
			t.Fatalf("point (%v,%v) on a light square", a, b)
		}
		if a < 0 {
			left++
		}
	}
	if left < 900 || left > 1100 {
		t.Fatalf("%d of 2000 points on the left half", left)
	}
}

func TestParseToy(t *testing.T) {
	if _, err := ParseToy("unknown"); err == nil {
		t.Fatal("ParseToy(unknown) succeeded")
	}
	for _, toy := range Toys() {
		if got, err := ParseToy(string(toy)); err != nil || got != toy {
			t.Fatalf("ParseToy(%q) = %q, %v", toy, got, err)
		}
	}
}
