package data

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Blobs renders R×R images of one isotropic Gaussian blob with n = 4 known
// factors θ = (cx, cy, w, a):
//
//	I(p) = a·exp(−‖p − (cx, cy)‖²/(2w²)),   p = ((i+½)/R, (j+½)/R),
//
// pixel (row j, column i) stored at index j·R + i, so N = R² ambient
// dimensions carry a 4-dimensional manifold. Factors are drawn uniformly
// from the Ranges.
type Blobs struct {
	R      int
	Ranges [4][2]float64 // [lo, hi] of cx, cy, w, a
}

// BlobFactors is the number of factors (the intrinsic dimension).
const BlobFactors = 4

// DefaultBlobRanges keep the blob at least 2w from the border (so moments
// and fits are not truncated) and at least ~0.6 pixels wide at R = 8.
var DefaultBlobRanges = [4][2]float64{{0.35, 0.65}, {0.35, 0.65}, {0.08, 0.15}, {0.5, 1.5}}

// NewBlobs returns R×R blobs with DefaultBlobRanges. It panics if R < 2.
func NewBlobs(R int) *Blobs {
	if R < 2 {
		panic(fmt.Sprintf("data: NewBlobs(%d)", R))
	}
	return &Blobs{R: R, Ranges: DefaultBlobRanges}
}

// Dims returns (R², 4).
func (b *Blobs) Dims() (ambient, intrinsic int) { return b.R * b.R, BlobFactors }

// Factors draws count factor rows (count×4) uniformly from the ranges.
func (b *Blobs) Factors(count int, rng *rand.Rand) *mat.Dense {
	f := mat.NewDense(count, BlobFactors, nil)
	for i := 0; i < count; i++ {
		for j := 0; j < BlobFactors; j++ {
			lo, hi := b.Ranges[j][0], b.Ranges[j][1]
			f.Set(i, j, lo+(hi-lo)*rng.Float64())
		}
	}
	return f
}

// Embed renders each factor row (cx, cy, w, a) as an image row (count×R²).
func (b *Blobs) Embed(f *mat.Dense) *mat.Dense {
	rows, c := f.Dims()
	if c != BlobFactors {
		panic(fmt.Sprintf("data: Blobs.Embed got %d columns, want 4", c))
	}
	img := mat.NewDense(rows, b.R*b.R, nil)
	for i := 0; i < rows; i++ {
		b.render(img.RawRowView(i), f.RawRowView(i))
	}
	return img
}

func (b *Blobs) render(dst, th []float64) {
	R := b.R
	inv := 1 / (2 * th[2] * th[2])
	for j := 0; j < R; j++ {
		py := (float64(j) + 0.5) / float64(R)
		for i := 0; i < R; i++ {
			px := (float64(i) + 0.5) / float64(R)
			dx, dy := px-th[0], py-th[1]
			dst[j*R+i] = th[3] * math.Exp(-(dx*dx+dy*dy)*inv)
		}
	}
}

// Sample draws count images and their factors.
func (b *Blobs) Sample(count int, rng *rand.Rand) (images, factors *mat.Dense) {
	f := b.Factors(count, rng)
	return b.Embed(f), f
}

// Coords recovers the factors of each image (count×4): image moments of the
// positive part give the start (centroid; w² = ½·second central moment;
// a = Σ I/(2πw²R²)), then Levenberg–Marquardt on the squared re-render
// residual refines them. An image with no positive mass maps to the centre of
// the ranges with a = 0.
func (b *Blobs) Coords(img *mat.Dense) *mat.Dense {
	rows, c := img.Dims()
	if c != b.R*b.R {
		panic(fmt.Sprintf("data: Blobs.Coords got %d columns, want %d", c, b.R*b.R))
	}
	f := mat.NewDense(rows, BlobFactors, nil)
	for i := 0; i < rows; i++ {
		b.fit(f.RawRowView(i), img.RawRowView(i))
	}
	return f
}

// Residual returns, per image, ‖I − render(Coords(I))‖: the distance to the
// nearest rendered blob found by the fit (the off-manifold error).
func (b *Blobs) Residual(img *mat.Dense) []float64 {
	return rowDist(img, b.Embed(b.Coords(img)))
}

func (b *Blobs) moments(th, img []float64) {
	R := b.R
	var s, sx, sy float64
	for j := 0; j < R; j++ {
		py := (float64(j) + 0.5) / float64(R)
		for i := 0; i < R; i++ {
			v := math.Max(img[j*R+i], 0)
			px := (float64(i) + 0.5) / float64(R)
			s += v
			sx += v * px
			sy += v * py
		}
	}
	if s < 1e-12 {
		th[0] = (b.Ranges[0][0] + b.Ranges[0][1]) / 2
		th[1] = (b.Ranges[1][0] + b.Ranges[1][1]) / 2
		th[2] = (b.Ranges[2][0] + b.Ranges[2][1]) / 2
		th[3] = 0
		return
	}
	cx, cy := sx/s, sy/s
	var m2 float64
	for j := 0; j < R; j++ {
		py := (float64(j) + 0.5) / float64(R)
		for i := 0; i < R; i++ {
			px := (float64(i) + 0.5) / float64(R)
			v := math.Max(img[j*R+i], 0)
			m2 += v * ((px-cx)*(px-cx) + (py-cy)*(py-cy))
		}
	}
	w := math.Sqrt(m2 / s / 2)
	w = math.Min(math.Max(w, 0.5/float64(R)), 0.5)
	th[0], th[1], th[2] = cx, cy, w
	th[3] = s / (2 * math.Pi * w * w * float64(R*R))
}

// fit runs moments then up to 50 Levenberg–Marquardt steps.
func (b *Blobs) fit(th, img []float64) {
	b.moments(th, img)
	if th[3] == 0 {
		return
	}
	R := b.R
	n := R * R
	model := make([]float64, n)
	cost := func(t []float64) float64 {
		b.render(model, t)
		c := 0.0
		for k := range img {
			d := img[k] - model[k]
			c += d * d
		}
		return c
	}
	cur := cost(th)
	lambda := 1e-3
	var jtj [4][4]float64
	var jtr [4]float64
	trial := make([]float64, 4)
	for it := 0; it < 50; it++ {
		b.render(model, th)
		jtj, jtr = [4][4]float64{}, [4]float64{}
		w2 := th[2] * th[2]
		for j := 0; j < R; j++ {
			py := (float64(j) + 0.5) / float64(R)
			for i := 0; i < R; i++ {
				px := (float64(i) + 0.5) / float64(R)
				m := model[j*R+i]
				dx, dy := px-th[0], py-th[1]
				g := [4]float64{m * dx / w2, m * dy / w2, m * (dx*dx + dy*dy) / (w2 * th[2]), 0}
				if th[3] != 0 {
					g[3] = m / th[3]
				} else {
					g[3] = math.Exp(-(dx*dx + dy*dy) / (2 * w2))
				}
				r := img[j*R+i] - m
				for p := 0; p < 4; p++ {
					jtr[p] += g[p] * r
					for q := 0; q < 4; q++ {
						jtj[p][q] += g[p] * g[q]
					}
				}
			}
		}
		improved := false
		for tries := 0; tries < 10; tries++ {
			a := mat.NewDense(4, 4, nil)
			for p := 0; p < 4; p++ {
				for q := 0; q < 4; q++ {
					a.Set(p, q, jtj[p][q])
				}
				a.Set(p, p, jtj[p][p]*(1+lambda)+1e-12)
			}
			var delta mat.VecDense
			if err := delta.SolveVec(a, mat.NewVecDense(4, jtr[:])); err != nil {
				lambda *= 10
				continue
			}
			for p := 0; p < 4; p++ {
				trial[p] = th[p] + delta.AtVec(p)
			}
			if trial[2] <= 0.25/float64(R) || trial[2] > 1 {
				lambda *= 10
				continue
			}
			if c := cost(trial); c < cur {
				copy(th, trial)
				rel := (cur - c) / math.Max(cur, 1e-300)
				cur = c
				lambda = math.Max(lambda/10, 1e-9)
				improved = true
				if rel < 1e-12 {
					return
				}
				break
			}
			lambda *= 10
		}
		if !improved {
			return
		}
	}
}
