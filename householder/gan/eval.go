package gan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"genlab/data"
	"genlab/metrics"

	"gonum.org/v1/gonum/mat"
)

// SpriteFactors describes the five measured factors of Sprites-5 (the angle
// is circular with period π).
var SpriteFactors = []metrics.Factor{{Name: "x"}, {Name: "y"}, {Name: "size"}, {Name: "angle", Period: math.Pi}, {Name: "intensity"}}

// Edit is one latent direction n (length WDim) applied to the W+ slots
// listed: w_slot ← w_slot + α·n.
type Edit struct {
	Dir   []float64
	Slots []int
}

// DirectionEdits returns one Edit per column of dirs (d×K), each on slots.
func DirectionEdits(dirs *mat.Dense, slots []int) []Edit {
	d, k := dirs.Dims()
	out := make([]Edit, k)
	for j := 0; j < k; j++ {
		out[j] = Edit{Dir: mat.Col(nil, j, dirs), Slots: slots}
		_ = d
	}
	return out
}

// PixelsTo01 maps generator pixels in [−1, 1] to [0, 1], clamped.
func PixelsTo01(p float32) float64 {
	return math.Min(math.Max((float64(p)+1)/2, 0), 1)
}

// MeasureImages reads the five factors of each image (n×Res², pixels in
// [−1, 1]) with data.ReadSpriteFactors; ok[i] is false where the image has
// no foreground. Res must be data.SpriteSize.
func MeasureImages(imgs []float32, n int) (f [][data.NumSpriteFactors]float64, ok []bool) {
	px := len(imgs) / n
	if px != data.SpriteSize*data.SpriteSize || px*n != len(imgs) {
		panic(fmt.Sprintf("gan: MeasureImages: %d values for %d images of %d² pixels", len(imgs), n, data.SpriteSize))
	}
	f = make([][data.NumSpriteFactors]float64, n)
	ok = make([]bool, n)
	buf := make([]float64, px)
	for i := 0; i < n; i++ {
		for j := range buf {
			buf[j] = PixelsTo01(imgs[i*px+j])
		}
		f[i], ok[i] = data.ReadSpriteFactors(buf)
	}
	return f, ok
}

// Codes holds latent samples of a generator: w = mapping(z), optionally
// truncated towards the mean w̄ as w̄ + ψ(w − w̄).
type Codes struct {
	W    [][]float64 // N×WDim
	Mean []float64   // w̄ (estimated from the samples before truncation)
}

// SampleCodes draws n codes w = mapping(z), z ~ N(0, I), estimates w̄ from
// them and applies truncation ψ (ψ = 1: none).
func SampleCodes(s *Sampler, n int, psi float64, rng *rand.Rand) (Codes, error) {
	bs := s.Batch()
	zd := s.gen.Cfg.ZDim
	wd := s.gen.Cfg.WDim
	c := Codes{Mean: make([]float64, wd)}
	z := make([]float32, bs*zd)
	for len(c.W) < n {
		for i := range z {
			z[i] = float32(rng.NormFloat64())
		}
		w, err := s.Map(z)
		if err != nil {
			return c, err
		}
		for i := 0; i < bs && len(c.W) < n; i++ {
			row := make([]float64, wd)
			for j := range row {
				row[j] = float64(w[i*wd+j])
			}
			c.W = append(c.W, row)
		}
	}
	for _, w := range c.W {
		for j, v := range w {
			c.Mean[j] += v / float64(n)
		}
	}
	if psi != 1 {
		for _, w := range c.W {
			for j := range w {
				w[j] = c.Mean[j] + psi*(w[j]-c.Mean[j])
			}
		}
	}
	return c, nil
}

// Render synthesises the codes ws (each WDim) with an optional edit of
// strength alpha applied to its slots, returning len(ws)×Res² pixels.
func Render(s *Sampler, ws [][]float64, e *Edit, alpha float64) ([]float32, error) {
	alphas := make([]float64, len(ws))
	for i := range alphas {
		alphas[i] = alpha
	}
	return RenderEach(s, ws, e, alphas)
}

// RenderEach is Render with its own edit strength alphas[i] per code.
func RenderEach(s *Sampler, ws [][]float64, e *Edit, alphas []float64) ([]float32, error) {
	if len(alphas) != len(ws) {
		panic(fmt.Sprintf("gan: RenderEach: %d codes, %d strengths", len(ws), len(alphas)))
	}
	bs := s.Batch()
	wd := s.gen.Cfg.WDim
	ns := s.gen.Cfg.Slots()
	px := s.gen.Cfg.Res() * s.gen.Cfg.Res()
	out := make([]float32, 0, len(ws)*px)
	slots := make([][]float32, ns)
	for i := range slots {
		slots[i] = make([]float32, bs*wd)
	}
	edited := make([]bool, ns)
	if e != nil {
		for _, sl := range e.Slots {
			edited[sl] = true
		}
	}
	for start := 0; start < len(ws); start += bs {
		for i := 0; i < bs; i++ {
			it := min(start+i, len(ws)-1)
			w := ws[it]
			for sl := 0; sl < ns; sl++ {
				for j := 0; j < wd; j++ {
					v := w[j]
					if edited[sl] {
						v += alphas[it] * e.Dir[j]
					}
					slots[sl][i*wd+j] = float32(v)
				}
			}
		}
		img, err := s.Synth(slots)
		if err != nil {
			return nil, err
		}
		n := min(bs, len(ws)-start)
		out = append(out, img[:n*px]...)
	}
	return out, nil
}

// rmsHalfChange returns the RMS over pixels (in [0, 1] units) and samples of
// [G(w + α·n) − G(w − α·n)]/2.
func rmsHalfChange(s *Sampler, ws [][]float64, e Edit, alpha float64) (float64, error) {
	p, err := Render(s, ws, &e, alpha)
	if err != nil {
		return 0, err
	}
	m, err := Render(s, ws, &e, -alpha)
	if err != nil {
		return 0, err
	}
	var sq float64
	for i := range p {
		d := (PixelsTo01(p[i]) - PixelsTo01(m[i])) / 2
		sq += d * d
	}
	return math.Sqrt(sq / float64(len(p))), nil
}

// CalibrateAlpha returns, per edit, the α at which a ±α step changes the
// image by target RMS (half the difference of the two edited images, pixels
// in [0, 1]), found by secant steps on α from α₀ = 1, at most maxAlpha (a
// direction that barely changes the image gets maxAlpha).
func CalibrateAlpha(s *Sampler, ws [][]float64, edits []Edit, target, maxAlpha float64) ([]float64, error) {
	out := make([]float64, len(edits))
	for k, e := range edits {
		a := 1.0
		for it := 0; it < 3; it++ {
			r, err := rmsHalfChange(s, ws, e, a)
			if err != nil {
				return nil, err
			}
			if r <= 1e-9 {
				a = maxAlpha
				break
			}
			a = math.Min(a*target/r, maxAlpha)
		}
		out[k] = a
	}
	return out, nil
}

// InterventionMatrix returns R (K×F):
//
//	R_kf = mean_i |f(G(w_i + α_k·n_k)) − f(G(w_i − α_k·n_k))| / (2σ_f),
//
// with circular differences for circular factors and σ_f the factor's
// standard deviation on real data; samples where either image has no
// foreground are skipped.
func InterventionMatrix(s *Sampler, ws [][]float64, edits []Edit, alpha []float64, sigma []float64) ([][]float64, error) {
	r := make([][]float64, len(edits))
	for k, e := range edits {
		p, err := Render(s, ws, &e, alpha[k])
		if err != nil {
			return nil, err
		}
		m, err := Render(s, ws, &e, -alpha[k])
		if err != nil {
			return nil, err
		}
		fp, okp := MeasureImages(p, len(ws))
		fm, okm := MeasureImages(m, len(ws))
		r[k] = make([]float64, len(SpriteFactors))
		cnt := 0
		for i := range ws {
			if !okp[i] || !okm[i] {
				continue
			}
			cnt++
			for f, fac := range SpriteFactors {
				r[k][f] += math.Abs(fac.FactorDiff(fp[i][f], fm[i][f])) / (2 * sigma[f])
			}
		}
		for f := range r[k] {
			if cnt > 0 {
				r[k][f] /= float64(cnt)
			}
		}
	}
	return r, nil
}

// FactorFeatures maps measured factors to the 6-vector
// (x, y, size, cos 2θ, sin 2θ, intensity) used for Fréchet distances.
func FactorFeatures(f [][data.NumSpriteFactors]float64, ok []bool) *mat.Dense {
	var rows []float64
	n := 0
	for i, v := range f {
		if ok != nil && !ok[i] {
			continue
		}
		rows = append(rows, v[0], v[1], v[2], math.Cos(2*v[3]), math.Sin(2*v[3]), v[4])
		n++
	}
	return mat.NewDense(n, 6, rows)
}

// PathLength returns the trimmed mean (1st–99th percentile) of
// ‖G(a) − G(b)‖²/ε² over pairs (a_i, b_i) of W+ codes given as pairs of
// WDim codes applied to all slots; pixels in [0, 1] units (the pixel-L2
// analogue of PPL/PIPL).
func PathLength(s *Sampler, a, b [][]float64, eps float64) (float64, error) {
	ia, err := Render(s, a, nil, 0)
	if err != nil {
		return 0, err
	}
	ib, err := Render(s, b, nil, 0)
	if err != nil {
		return 0, err
	}
	px := len(ia) / len(a)
	d := make([]float64, len(a))
	for i := range a {
		var sq float64
		for j := 0; j < px; j++ {
			v := PixelsTo01(ia[i*px+j]) - PixelsTo01(ib[i*px+j])
			sq += v * v
		}
		d[i] = sq / (eps * eps)
	}
	return trimmedMean(d, 0.01, 0.99), nil
}

func trimmedMean(v []float64, lo, hi float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i0 := int(math.Floor(lo * float64(len(s))))
	i1 := int(math.Ceil(hi * float64(len(s))))
	i1 = min(max(i1, i0+1), len(s))
	var sum float64
	for _, x := range s[i0:i1] {
		sum += x
	}
	return sum / float64(i1-i0)
}

// Affines returns the effective C×d matrices of the given layers' affines
// (the SeFa input).
func (g *Generator) Affines(layers []int) []*mat.Dense {
	out := make([]*mat.Dense, len(layers))
	for i, l := range layers {
		out[i] = g.Layers[l].Affine.Matrix()
	}
	return out
}
