package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Sprites-5: 32×32 greyscale images of one anti-aliased 2:1 ellipse (or,
// optionally, rectangle) on black with five independent known factors.
const (
	SpriteSize = 32 // image side in pixels
	spriteSS   = 4  // supersampling per axis (16 samples per pixel)
)

// SpriteShape is the optional sixth factor.
type SpriteShape int

// Sprite shapes.
const (
	Ellipse   SpriteShape = iota // 2:1 ellipse with semi-axes a, a/2
	Rectangle                    // 2:1 rectangle with half-sides a, a/2
)

// SpriteFactor indexes the five factors of a sprite.
type SpriteFactor int

// The five factors, in the order of Sprite.Factors and of the factor reader.
const (
	FactorX         SpriteFactor = iota // centre x ~ U[8, 24] px (column axis)
	FactorY                             // centre y ~ U[10, 22] px (row axis)
	FactorSize                          // semi-major axis a ~ U[3, 7] px
	FactorAngle                         // angle θ ~ U[0, π) of the major axis from the x axis
	FactorIntensity                     // grey level ~ U[0.4, 1]
	NumSpriteFactors
)

// SpriteFactorNames are short names of the five factors.
var SpriteFactorNames = [NumSpriteFactors]string{"x", "y", "size", "angle", "intensity"}

// Ranges of the uniform factor distributions.
const (
	SpriteXMin, SpriteXMax     = 8.0, 24.0
	SpriteYMin, SpriteYMax     = 10.0, 22.0
	SpriteAMin, SpriteAMax     = 3.0, 7.0
	SpriteIMin, SpriteIMax     = 0.4, 1.0
	SpriteAnglePeriod          = math.Pi
	spriteAspect               = 0.5 // b = a/2
	spriteReaderThresholdRatio = 0.1
	spriteMassThresholdRatio   = 0.02
)

// Sprite holds the factors of one image. Pixel (r, c) covers
// [c, c+1)×[r, r+1) in (x, y), so its centre is (c+½, r+½).
type Sprite struct {
	X, Y, A, Theta, Intensity float64
	Shape                     SpriteShape
}

// Factors returns (x, y, a, θ, intensity).
func (s Sprite) Factors() [NumSpriteFactors]float64 {
	return [NumSpriteFactors]float64{s.X, s.Y, s.A, s.Theta, s.Intensity}
}

// SampleSprite draws independent uniform factors; with shapes it also draws
// the shape uniformly from {Ellipse, Rectangle}, otherwise it is Ellipse.
func SampleSprite(rng *rand.Rand, shapes bool) Sprite {
	s := Sprite{
		X:         SpriteXMin + (SpriteXMax-SpriteXMin)*rng.Float64(),
		Y:         SpriteYMin + (SpriteYMax-SpriteYMin)*rng.Float64(),
		A:         SpriteAMin + (SpriteAMax-SpriteAMin)*rng.Float64(),
		Theta:     math.Pi * rng.Float64(),
		Intensity: SpriteIMin + (SpriteIMax-SpriteIMin)*rng.Float64(),
	}
	if shapes && rng.IntN(2) == 1 {
		s.Shape = Rectangle
	}
	return s
}

// Render writes the sprite into dst (SpriteSize² values in [0, 1], row
// major): each pixel is Intensity times the fraction of its 4×4 sub-pixel
// centres inside the shape, where a point p is inside the ellipse when
// (u/a)² + (v/b)² ≤ 1 with (u, v) the coordinates of p − (X, Y) rotated by
// −θ and b = a/2 (for the rectangle: |u| ≤ a and |v| ≤ b). A wrong length
// panics.
func (s Sprite) Render(dst []float64) {
	if len(dst) != SpriteSize*SpriteSize {
		panic(fmt.Sprintf("data: Sprite.Render: len(dst) = %d, want %d", len(dst), SpriteSize*SpriteSize))
	}
	ct, st := math.Cos(s.Theta), math.Sin(s.Theta)
	a, b := s.A, s.A*spriteAspect
	for r := 0; r < SpriteSize; r++ {
		for c := 0; c < SpriteSize; c++ {
			in := 0
			for i := 0; i < spriteSS; i++ {
				py := float64(r) + (float64(i)+0.5)/spriteSS - s.Y
				for j := 0; j < spriteSS; j++ {
					px := float64(c) + (float64(j)+0.5)/spriteSS - s.X
					u := ct*px + st*py
					v := -st*px + ct*py
					switch s.Shape {
					case Rectangle:
						if math.Abs(u) <= a && math.Abs(v) <= b {
							in++
						}
					default:
						if (u/a)*(u/a)+(v/b)*(v/b) <= 1 {
							in++
						}
					}
				}
			}
			dst[r*SpriteSize+c] = s.Intensity * float64(in) / (spriteSS * spriteSS)
		}
	}
}

// SpriteSet draws n sprites and renders them: images is n×SpriteSize²
// (values in [0, 1]), factors holds each sprite's (x, y, a, θ, intensity).
func SpriteSet(n int, shapes bool, rng *rand.Rand) (images [][]float64, sprites []Sprite) {
	images = make([][]float64, n)
	sprites = make([]Sprite, n)
	for i := range images {
		sprites[i] = SampleSprite(rng, shapes)
		images[i] = make([]float64, SpriteSize*SpriteSize)
		sprites[i].Render(images[i])
	}
	return images, sprites
}

// ReadSpriteFactors measures the five factors of any image (SpriteSize²
// values, ≥ 0 is the foreground scale; negative values count as 0) from its
// moments, without a learned regressor:
//
//  1. keep pixels ≥ 10% of the maximum (the rest are set to 0);
//  2. m0 = ΣI, centroid (x̂, ŷ) = Σ I·(c+½, r+½)/m0, central moments
//     μ20, μ02, μ11 (per unit mass) of the same weights;
//  3. θ̂ = ½·atan2(2μ11, μ20 − μ02) in [0, π); the moment matrix
//     [[μ20, μ11], [μ11, μ02]] has eigenvalues λ₁ ≥ λ₂, and a uniform
//     ellipse with semi-axes a, b has λ₁ = a²/4, λ₂ = b²/4, so â = 2√λ₁,
//     b̂ = 2√λ₂;
//  4. intensity = m0'/(π·â'·b̂') (mass over area), where m0', â', b̂' are
//     the mass and axes of the pixels ≥ 2% of the maximum (the 10% cut
//     drops part of the anti-aliased rim and biases both), after removing
//     the 1/12 px² per axis that the pixel box (anti-aliasing) adds to the
//     moments.
//
// ok is false for an image with no positive pixel. A wrong length panics.
func ReadSpriteFactors(img []float64) (f [NumSpriteFactors]float64, ok bool) {
	if len(img) != SpriteSize*SpriteSize {
		panic(fmt.Sprintf("data: ReadSpriteFactors: len(img) = %d, want %d", len(img), SpriteSize*SpriteSize))
	}
	var mx float64
	for _, v := range img {
		mx = math.Max(mx, v)
	}
	if !(mx > 0) {
		return f, false
	}
	m0, cx, cy, m20, m02, m11 := spriteMoments(img, spriteReaderThresholdRatio*mx)
	theta := 0.5 * math.Atan2(2*m11, m20-m02)
	if theta < 0 {
		theta += math.Pi
	}
	a, _ := momentAxes(m20, m02, m11)
	// The intensity uses mass and axes from a lower floor (2% of the
	// maximum): the 10% cut drops enough anti-aliased rim to bias both.
	// Anti-aliasing convolves the shape with a one-pixel box, which adds
	// 1/12 px² to each axis' variance: subtract it.
	m0, _, _, m20, m02, m11 = spriteMoments(img, spriteMassThresholdRatio*mx)
	a2, b2 := momentAxes(m20-1.0/12, m02-1.0/12, m11)
	inten := 0.0
	if a2*b2 > 0 {
		inten = m0 / (math.Pi * a2 * b2)
	}
	return [NumSpriteFactors]float64{cx, cy, a, theta, inten}, true
}

// spriteMoments returns the mass, centroid and central second moments (per
// unit mass) of the pixels ≥ thr.
func spriteMoments(img []float64, thr float64) (m0, cx, cy, m20, m02, m11 float64) {
	var sx, sy float64
	for r := 0; r < SpriteSize; r++ {
		for c := 0; c < SpriteSize; c++ {
			if v := img[r*SpriteSize+c]; v >= thr {
				m0 += v
				sx += v * (float64(c) + 0.5)
				sy += v * (float64(r) + 0.5)
			}
		}
	}
	cx, cy = sx/m0, sy/m0
	for r := 0; r < SpriteSize; r++ {
		for c := 0; c < SpriteSize; c++ {
			if v := img[r*SpriteSize+c]; v >= thr {
				dx, dy := float64(c)+0.5-cx, float64(r)+0.5-cy
				m20 += v * dx * dx
				m02 += v * dy * dy
				m11 += v * dx * dy
			}
		}
	}
	return m0, cx, cy, m20 / m0, m02 / m0, m11 / m0
}

// momentAxes returns the semi-axes 2√λ₁ ≥ 2√λ₂ of the uniform ellipse with
// moment matrix [[m20, m11], [m11, m02]].
func momentAxes(m20, m02, m11 float64) (a, b float64) {
	tr, det := m20+m02, m20*m02-m11*m11
	disc := math.Sqrt(math.Max(tr*tr/4-det, 0))
	return 2 * math.Sqrt(tr/2+disc), 2 * math.Sqrt(math.Max(tr/2-disc, 0))
}
