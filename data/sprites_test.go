package data

import (
	"math"
	"math/rand/v2"
	"testing"
)

// r2 returns the coefficient of determination of predictions p for truth y.
func r2(y, p []float64) float64 {
	var m float64
	for _, v := range y {
		m += v
	}
	m /= float64(len(y))
	var sse, sst float64
	for i := range y {
		sse += (y[i] - p[i]) * (y[i] - p[i])
		sst += (y[i] - m) * (y[i] - m)
	}
	return 1 - sse/sst
}

// TestSpriteFactorReader: the moment-based reader recovers every factor of
// real sprites with R² ≥ 0.98 (angle as cos 2θ and sin 2θ).
func TestSpriteFactorReader(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	imgs, sp := SpriteSet(2000, false, rng)
	cols := map[string][2][]float64{}
	add := func(name string, y, p float64) {
		c := cols[name]
		c[0] = append(c[0], y)
		c[1] = append(c[1], p)
		cols[name] = c
	}
	for i, img := range imgs {
		f, ok := ReadSpriteFactors(img)
		if !ok {
			t.Fatalf("sprite %d: reader failed", i)
		}
		s := sp[i]
		add("x", s.X, f[FactorX])
		add("y", s.Y, f[FactorY])
		add("size", s.A, f[FactorSize])
		add("cos2θ", math.Cos(2*s.Theta), math.Cos(2*f[FactorAngle]))
		add("sin2θ", math.Sin(2*s.Theta), math.Sin(2*f[FactorAngle]))
		add("intensity", s.Intensity, f[FactorIntensity])
	}
	for _, name := range []string{"x", "y", "size", "cos2θ", "sin2θ", "intensity"} {
		c := cols[name]
		v := r2(c[0], c[1])
		t.Logf("R²(%s) = %.4f", name, v)
		if v < 0.98 {
			t.Errorf("R²(%s) = %.4f, want ≥ 0.98", name, v)
		}
	}
}

// TestSpriteRender: the rendered mass equals intensity × area (π·a·a/2 for
// the ellipse, 4·a·a/2 for the rectangle) up to the supersampling error,
// and the factor ranges are those documented.
func TestSpriteRender(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 2))
	img := make([]float64, SpriteSize*SpriteSize)
	for i := 0; i < 200; i++ {
		s := SampleSprite(rng, true)
		if s.X < SpriteXMin || s.X >= SpriteXMax || s.Y < SpriteYMin || s.Y >= SpriteYMax ||
			s.A < SpriteAMin || s.A >= SpriteAMax || s.Theta < 0 || s.Theta >= math.Pi ||
			s.Intensity < SpriteIMin || s.Intensity >= SpriteIMax {
			t.Fatalf("factor out of range: %+v", s)
		}
		s.Render(img)
		var m float64
		for _, v := range img {
			m += v
		}
		area := math.Pi * s.A * s.A / 2
		if s.Shape == Rectangle {
			area = 2 * s.A * s.A
		}
		if rel := math.Abs(m/s.Intensity-area) / area; rel > 0.05 {
			t.Errorf("sprite %+v: mass/intensity %.2f, area %.2f", s, m/s.Intensity, area)
		}
	}
	// Same seed, same images.
	a, _ := SpriteSet(3, false, rand.New(rand.NewPCG(5, 5)))
	b, _ := SpriteSet(3, false, rand.New(rand.NewPCG(5, 5)))
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				t.Fatal("SpriteSet is not deterministic for a fixed seed")
			}
		}
	}
}
