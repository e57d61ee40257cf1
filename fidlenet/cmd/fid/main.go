// Command fid scores any generator's grey 28×28 or 14×14 digit images in
// the feature space of genlab's LeNet, clean-fid's job for this domain: it
// prints fid_lenet, KID×10³, precision and recall (k = 3), the pixel FD and
// the SHA-256 of the feature network's weights, against the MNIST test set
// or a second image set.
//
//	go run ./fidlenet/cmd/fid samples.npy                    # against the MNIST test set
//	go run ./fidlenet/cmd/fid -ref other.npy samples.npy     # against another set
//	go run ./fidlenet/cmd/fid -n 5000 -json pngs/            # a folder of PNGs, JSON output
//
// An image set is a .npy array of shape (N, 28, 28), (N, 784), (N, 14, 14)
// or (N, 196) (a channel axis of 1 is allowed) holding uint8 pixels
// (0 = background, 255 = ink) or float32/float64 values in [−1, 1]
// (−1 = background; quantised to 8 bits as genlab's own samples are); an idx
// image file (MNIST's format, gzipped or not); or a folder of equally sized
// PNGs (read as grey). When the two sets differ in size, the larger is
// reduced to the smaller by block means. -n keeps the first n images of each.
//
// Numbers are comparable only at the same N and with the same weights.
// A warning goes to stderr when the reference set looks unlike MNIST to the
// network (its mean maximum softmax probability is below -min-confidence).
// Exit codes: 0 ok, 2 bad flags or input (one line naming the flag or file),
// 1 failure.
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
	"genlab/data/npy"
	"genlab/fidlenet"
	"genlab/results"
)

// usageError marks bad input: exit code 2.
type usageError struct{ error }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the testable body of main; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	err := score(args, stdout, stderr)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "fid: %s\n", strings.Join(strings.Fields(err.Error()), " "))
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// DefaultMinConfidence is the mean maximum softmax probability below which
// a reference set is reported as far from the network's domain (the MNIST
// test set scores ≈ 0.99).
const DefaultMinConfidence = 0.8

// report is what fid prints.
type report struct {
	fidlenet.Metrics
	NRef           int     `json:"n_ref"`
	Side           int     `json:"side"`
	RefConfidence  float64 `json:"ref_mean_max_softmax"`
	FakeConfidence float64 `json:"samples_mean_max_softmax"`
	WeightsSHA256  string  `json:"weights_sha256"`
	Reference      string  `json:"reference"`
}

func score(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fid", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ref := fs.String("ref", "mnist-test", `reference set: "mnist-test" or a .npy, idx file or PNG folder`)
	dataDir := fs.String("data-dir", "", "directory with the MNIST idx files (default: data/mnist of this checkout)")
	n := fs.Int("n", 0, "use the first n images of each set (0: all)")
	seed := fs.Uint64("seed", 0, "seed of the KID subsets")
	minConf := fs.Float64("min-confidence", DefaultMinConfidence, "warn when the reference set's mean max softmax is below this")
	asJSON := fs.Bool("json", false, "print one JSON object instead of lines")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fid [flags] SAMPLES   (SAMPLES: .npy, idx file or folder of PNGs)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one samples path, got %d arguments", fs.NArg())
	}
	if *n < 0 || *n == 1 {
		return usagef("-n %d: want 0 (all) or at least 2", *n)
	}
	if !(*minConf >= 0 && *minConf <= 1) {
		return usagef("-min-confidence %v: want a probability in [0, 1]", *minConf)
	}
	fake, err := Load(fs.Arg(0))
	if err != nil {
		return usageError{err}
	}
	var real *data.Images
	if *ref == "mnist-test" {
		dir := *dataDir
		if dir == "" {
			if dir, err = data.DefaultMNISTDir(); err != nil {
				return usagef("-ref mnist-test: %v (run make data, or pass -data-dir)", err)
			}
		}
		if real, err = data.LoadMNIST(dir, data.MNISTTest); err != nil {
			return usagef("-data-dir %s: %v", dir, err)
		}
	} else if real, err = Load(*ref); err != nil {
		return usagef("-ref %v", err)
	}
	if *n > 0 {
		fake, real = fake.Head(min(*n, fake.N)), real.Head(min(*n, real.N))
	}
	if fake, real, err = sameSize(fake, real); err != nil {
		return usageError{err}
	}
	for _, s := range []struct {
		name string
		im   *data.Images
	}{{fs.Arg(0), fake}, {"-ref " + *ref, real}} {
		if s.im.N < 4 {
			return usagef("%s: %d images, want at least 4", s.name, s.im.N)
		}
	}
	ev, err := fidlenet.NewEvaluator(real)
	if err != nil {
		return err
	}
	defer ev.Close()
	m, err := ev.Evaluate(fake, rand.New(rand.NewPCG(*seed, 0x6b6964)))
	if err != nil {
		return err
	}
	ff, err := ev.Features(fake)
	if err != nil {
		return err
	}
	rep := report{Metrics: m, NRef: real.N, Side: real.H, WeightsSHA256: ev.WeightsSHA256(), Reference: *ref,
		RefConfidence:  MeanMaxSoftmax(ev.Net().Logits(ev.RealFeatures())),
		FakeConfidence: MeanMaxSoftmax(ev.Net().Logits(ff))}
	if rep.RefConfidence < *minConf {
		fmt.Fprintf(stderr, "fid: warning: the reference set is far from the feature net's domain (mean max softmax %.3f < %.3g): fid_lenet means little here\n",
			rep.RefConfidence, *minConf)
	}
	if *asJSON {
		b, err := results.Canonical(rep) // non-finite numbers as "nan"/"inf", as in result.json (kid_std is NaN with one KID subset)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	_, err = fmt.Fprintf(stdout, "fid_lenet      %.6g\nkid_x1e3       %.6g ± %.3g\nprecision      %.4f\nrecall         %.4f\npixel_fd       %.6g\n"+
		"n              %d samples, %d reference (%d×%d)\nconfidence     %.3f samples, %.3f reference (mean max softmax)\nweights_sha256 %s\n",
		m.FIDLeNet, m.KID, m.KIDStd, m.Precision, m.Recall, m.PixelFD, m.N, real.N, real.H, real.W,
		rep.FakeConfidence, rep.RefConfidence, rep.WeightsSHA256)
	return err
}

// MeanMaxSoftmax returns the mean over rows of z (logits) of the largest
// softmax probability: ≈ 1 when the network is sure of every image.
func MeanMaxSoftmax(z *mat.Dense) float64 {
	r, _ := z.Dims()
	if r == 0 {
		return math.NaN()
	}
	s := 0.0
	for i := 0; i < r; i++ {
		row := z.RawRowView(i)
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, v)
		}
		den := 0.0
		for _, v := range row {
			den += math.Exp(v - mx)
		}
		s += 1 / den
	}
	return s / float64(r)
}

// sameSize reduces the set with the larger images to the other's size by
// block means; both must be square with sides 28 or 14.
func sameSize(a, b *data.Images) (*data.Images, *data.Images, error) {
	switch {
	case a.H == b.H:
		return a, b, nil
	case a.H > b.H:
		return a.Downsample(a.H / b.H), b, nil
	default:
		return a, b.Downsample(b.H / a.H), nil
	}
}

// Load reads an image set from path: a .npy file, an idx image file, or a
// folder of PNGs. Errors name the path and what is wrong with it.
func Load(path string) (*data.Images, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	var im *data.Images
	switch {
	case st.IsDir():
		im, err = loadPNGs(path)
	case strings.HasSuffix(strings.ToLower(path), ".npy"):
		im, err = loadNPY(path)
	default:
		var x *data.IDX
		if x, err = data.ReadIDXFile(path, 3); err == nil {
			im = &data.Images{N: x.Dims[0], H: x.Dims[1], W: x.Dims[2], Pix: x.Data}
		} else {
			err = fmt.Errorf("%s: not a .npy file, PNG folder or idx image file: %w", path, err)
		}
	}
	if err != nil {
		return nil, err
	}
	if im.H != im.W || (im.H != 28 && im.H != 14) {
		return nil, fmt.Errorf("%s: %d×%d images, want 28×28 or 14×14", path, im.H, im.W)
	}
	return im, nil
}

// loadNPY accepts the shapes listed in the package comment.
func loadNPY(path string) (*data.Images, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, err
	}
	shape := a.Shape
	switch {
	case len(shape) == 4 && shape[1] == 1:
		shape = []int{shape[0], shape[2], shape[3]}
	case len(shape) == 4 && shape[3] == 1:
		shape = shape[:3]
	case len(shape) == 2:
		side := int(math.Round(math.Sqrt(float64(shape[1]))))
		if side*side == shape[1] {
			shape = []int{shape[0], side, side}
		}
	}
	if len(shape) != 3 {
		return nil, fmt.Errorf("%s: shape %v, want (N, side, side) or (N, side²)", path, a.Shape)
	}
	im := &data.Images{N: shape[0], H: shape[1], W: shape[2]}
	if a.Descr == npy.Uint8 {
		im.Pix = a.U8
		return im, nil
	}
	const tol = 1e-3 // float32 rounding of values computed in [−1, 1]
	im.Pix = make([]uint8, len(a.F64))
	for i, v := range a.F64 {
		if !(v >= -1-tol && v <= 1+tol) {
			return nil, fmt.Errorf("%s: value %v at element %d: float images must lie in [-1, 1]", path, v, i)
		}
		im.Pix[i] = data.UnitToPixel(v)
	}
	return im, nil
}

// loadPNGs reads every *.png in dir, in name order, as grey images of one
// size.
func loadPNGs(dir string) (*data.Images, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.png"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no .png files", dir)
	}
	sort.Strings(names)
	im := &data.Images{}
	for i, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		b := img.Bounds()
		if i == 0 {
			im.H, im.W = b.Dy(), b.Dx()
		} else if b.Dy() != im.H || b.Dx() != im.W {
			return nil, fmt.Errorf("%s: %d×%d, but %s is %d×%d", name, b.Dx(), b.Dy(), names[0], im.W, im.H)
		}
		im.Pix = append(im.Pix, grey(img)...)
		im.N++
	}
	return im, nil
}

// grey returns the 8-bit luminance of img row by row.
func grey(img image.Image) []uint8 {
	b := img.Bounds()
	out := make([]uint8, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out = append(out, uint8((19595*r+38470*g+7471*bl+1<<15)>>24))
		}
	}
	return out
}
