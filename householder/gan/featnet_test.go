package gan

import (
	"math"
	"math/rand/v2"
	"testing"

	"genlab/data"
	"genlab/metrics"

	"gonum.org/v1/gonum/mat"
)

// The closed-form standardisation of the regression targets gives sample
// mean 0 and standard deviation 1 on fresh sprites.
func TestSpriteTargetsStandardised(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n = 40000
	var s, s2 [FeatTargets]float64
	for i := 0; i < n; i++ {
		v := SpriteTargets(data.SampleSprite(rng, false))
		for j, x := range v {
			s[j] += x / n
			s2[j] += x * x / n
		}
	}
	for j := range s {
		sd := math.Sqrt(s2[j] - s[j]*s[j])
		if math.Abs(s[j]) > 0.02 || math.Abs(sd-1) > 0.02 {
			t.Errorf("target %d: mean %.4f std %.4f, want 0 and 1", j, s[j], sd)
		}
	}
}

// box3 returns the 3×3 box blur of a 32×32 image (edges use the pixels
// inside the image).
func box3(im []float64) []float64 {
	n := data.SpriteSize
	out := make([]float64, len(im))
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			var s, w float64
			for dr := -1; dr <= 1; dr++ {
				for dc := -1; dc <= 1; dc++ {
					if rr, cc := r+dr, c+dc; rr >= 0 && rr < n && cc >= 0 && cc < n {
						s += im[rr*n+cc]
						w++
					}
				}
			}
			out[r*n+c] = s / w
		}
	}
	return out
}

func toPixels(imgs [][]float64, f func([]float64) []float64) []float32 {
	var out []float32
	for _, im := range imgs {
		if f != nil {
			im = f(im)
		}
		for _, v := range im {
			out = append(out, float32(2*v-1))
		}
	}
	return out
}

// A briefly trained feature net regresses position (R² > 0.9 on held-out
// sprites), its features do not depend on the batch an image is in, and
// the Fréchet distance on its features orders real ≪ blurred (3×3 box) and
// noisy (σ = 0.2) sprites: both exceed four times the real-vs-real floor.
func TestFeatNetFrechetOrdering(t *testing.T) {
	cfg := FeatNetConfig{Channels: []int{8, 16, 16}, Hidden: 32, Steps: 500, Batch: 32, LR: 2e-3, Seed: 1}
	net, loss, err := TrainFeatNet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !(loss < 0.5) {
		t.Fatalf("final training loss %.3f, want < 0.5 (the untrained net has ≈ 1)", loss)
	}
	ex, err := net.NewExtractor(50)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	const n = 1000
	a, spA := data.SpriteSet(n, false, rand.New(rand.NewPCG(10, 1)))
	b, _ := data.SpriteSet(n, false, rand.New(rand.NewPCG(10, 2)))
	c, _ := data.SpriteSet(n, false, rand.New(rand.NewPCG(10, 3)))
	noise := rand.New(rand.NewPCG(10, 4))
	feats := func(p []float32) *mat.Dense {
		f, _, err := ex.Features(p, n)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	fa, pa, err := ex.Features(toPixels(a, nil), n)
	if err != nil {
		t.Fatal(err)
	}
	// R² of the predicted x and y on held-out sprites.
	for j := 0; j < 2; j++ {
		var ss, st, m float64
		for i := range spA {
			m += SpriteTargets(spA[i])[j] / n
		}
		for i := range spA {
			y := SpriteTargets(spA[i])[j]
			ss += (pa.At(i, j) - y) * (pa.At(i, j) - y)
			st += (y - m) * (y - m)
		}
		if r2 := 1 - ss/st; r2 < 0.9 {
			t.Errorf("target %d: held-out R² %.3f < 0.9", j, r2)
		}
	}
	// Batch independence: image i's features equal those from a batch of one real sprite plus padding.
	one, _, err := ex.Features(toPixels(a[7:8], nil), 1)
	if err != nil {
		t.Fatal(err)
	}
	for j := 0; j < cfg.Hidden; j++ {
		if math.Abs(one.At(0, j)-fa.At(7, j)) > 1e-5*(1+math.Abs(fa.At(7, j))) {
			t.Fatalf("feature %d of image 7: %v alone, %v in a batch", j, one.At(0, j), fa.At(7, j))
		}
	}
	fd := func(x *mat.Dense) float64 {
		v, err := metrics.FrechetDistance(fa, x)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	floor := fd(feats(toPixels(b, nil)))
	blur := fd(feats(toPixels(c, box3)))
	noisy := fd(feats(toPixels(c, func(im []float64) []float64 {
		out := make([]float64, len(im))
		for i, v := range im {
			out[i] = v + 0.2*noise.NormFloat64()
		}
		return out
	})))
	t.Logf("CNN-feature FD: real-vs-real %.4f, blurred %.4f, noisy %.4f", floor, blur, noisy)
	if !(4*floor < blur) || !(4*floor < noisy) {
		t.Errorf("FD real-vs-real %.4f is not ≪ blurred %.4f and noisy %.4f", floor, blur, noisy)
	}
}
