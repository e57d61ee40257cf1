package data

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The rendered mass matches the integral a·2πw²·R² (the pixel sum is a
// Riemann sum of the Gaussian, which is accurate far from the border).
func TestBlobsMass(t *testing.T) {
	for _, R := range []int{8, 16, 32} {
		b := NewBlobs(R)
		f := mat.NewDense(1, 4, []float64{0.5, 0.5, 0.1, 1.2})
		img := b.Embed(f)
		s := mat.Sum(img)
		want := 1.2 * 2 * math.Pi * 0.01 * float64(R*R)
		if math.Abs(s/want-1) > 1e-3 {
			t.Errorf("R=%d: mass %g, want %g", R, s, want)
		}
	}
}

// Coords recovers the factors of clean renders (to 1e-6) and of slightly
// noisy ones (to 0.8/R of each range: fewer pixels, less information), Residual is 0 on clean renders and
// ≈ the noise norm on noisy ones.
func TestBlobsRecover(t *testing.T) {
	rng := embedRand(5)
	for _, R := range []int{8, 16, 32} {
		b := NewBlobs(R)
		img, f := b.Sample(40, rng)
		got := b.Coords(img)
		if !mat.EqualApprox(got, f, 1e-6) {
			var d mat.Dense
			d.Sub(got, f)
			t.Errorf("R=%d: clean factors off by %g", R, mat.Norm(&d, math.Inf(1)))
		}
		for _, r := range b.Residual(img) {
			if r > 1e-6 {
				t.Errorf("R=%d: clean residual %g", R, r)
			}
		}
		const noise = 0.02
		noisy := mat.DenseCopyOf(img)
		for i := 0; i < 40; i++ {
			for j := 0; j < R*R; j++ {
				noisy.Set(i, j, noisy.At(i, j)+noise*rng.NormFloat64())
			}
		}
		got = b.Coords(noisy)
		for i := 0; i < 40; i++ {
			for j := 0; j < 4; j++ {
				span := b.Ranges[j][1] - b.Ranges[j][0]
				if d := math.Abs(got.At(i, j) - f.At(i, j)); d > 0.8/float64(R)*span {
					t.Errorf("R=%d: factor %d off by %g (range %g)", R, j, d, span)
				}
			}
		}
		res := b.Residual(noisy)
		// The fit absorbs 4 of R² noise dimensions: E‖r‖² ≈ (R²−4)·noise².
		ms := 0.0
		for _, r := range res {
			ms += r * r / float64(len(res))
		}
		want := float64(R*R-4) * noise * noise
		if math.Abs(ms/want-1) > 0.2 {
			t.Errorf("R=%d: mean squared residual %g, want ≈ %g", R, ms, want)
		}
	}
	// An empty image maps to a = 0 and its own norm as residual.
	b := NewBlobs(8)
	z := mat.NewDense(1, 64, nil)
	for j := 0; j < 64; j++ {
		z.Set(0, j, -0.1)
	}
	if a := b.Coords(z).At(0, 3); a != 0 {
		t.Errorf("empty image amplitude %g", a)
	}
	if r := b.Residual(z)[0]; math.Abs(r-0.8) > 1e-12 {
		t.Errorf("empty image residual %g, want 0.8", r)
	}
}
