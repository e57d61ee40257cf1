package data

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeMNIST writes a hand-made MNIST split (gzipped idx) to dir.
func writeMNIST(t *testing.T, dir string, split MNISTSplit, n, h, w int, labels []byte, pix []byte) {
	t.Helper()
	imgName, lblName, err := MNISTFiles(split)
	if err != nil {
		t.Fatal(err)
	}
	hdr := []byte{0, 0, 8, 3, 0, 0, 0, byte(n), 0, 0, 0, byte(h), 0, 0, 0, byte(w)}
	writeFile(t, dir, imgName, gz(t, append(hdr, pix...)))
	writeFile(t, dir, lblName, gz(t, append([]byte{0, 0, 8, 1, 0, 0, 0, byte(len(labels))}, labels...)))
}

func TestLoadMNISTHandMade(t *testing.T) {
	dir := t.TempDir()
	pix := make([]byte, 3*4*4)
	for i := range pix {
		pix[i] = byte(17 * i)
	}
	writeMNIST(t, dir, MNISTTest, 3, 4, 4, []byte{1, 2, 3}, pix)
	im, err := LoadMNIST(dir, MNISTTest)
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 3 || im.H != 4 || im.W != 4 || !slices.Equal(im.Pix, pix) || !slices.Equal(im.Labels, []byte{1, 2, 3}) {
		t.Fatalf("loaded %d×%d×%d labels %v", im.N, im.H, im.W, im.Labels)
	}
	if _, err := LoadMNIST(dir, MNISTTrain); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent train split: error %v, want not-exist", err)
	}
	if _, err := LoadMNIST(dir, "val"); err == nil {
		t.Error("unknown split accepted")
	}

	// Label count disagreeing with the image count.
	bad := t.TempDir()
	writeMNIST(t, bad, MNISTTest, 3, 4, 4, []byte{1, 2}, pix)
	if _, err := LoadMNIST(bad, MNISTTest); err == nil || !strings.Contains(err.Error(), "3 images but 2 labels") {
		t.Errorf("count mismatch: error %v", err)
	}
	// A label that is not a digit.
	writeMNIST(t, bad, MNISTTest, 3, 4, 4, []byte{1, 2, 10}, pix)
	if _, err := LoadMNIST(bad, MNISTTest); err == nil || !strings.Contains(err.Error(), "label 10 of item 2") {
		t.Errorf("bad label: error %v", err)
	}
	// Uncompressed files under the names without .gz are accepted too.
	plain := t.TempDir()
	hdr := []byte{0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 4}
	writeFile(t, plain, "t10k-images-idx3-ubyte", append(hdr, pix...))
	writeFile(t, plain, "t10k-labels-idx1-ubyte", []byte{0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3})
	im2, err := LoadMNIST(plain, MNISTTest)
	if err != nil || !slices.Equal(im2.Pix, pix) {
		t.Errorf("uncompressed files: %v", err)
	}
}

func TestDownsampleBlockMean(t *testing.T) {
	// One 4×4 image, by hand: blocks of f = 2 and their rounded means.
	im := &Images{N: 1, H: 4, W: 4, Pix: []uint8{
		0, 1, 10, 10,
		2, 3, 10, 11,
		255, 255, 0, 0,
		255, 254, 0, 2,
	}, Labels: []uint8{5}}
	// (0+1+2+3+2)/4 = 2; (41+2)/4 = 10 (10.25); (1019+2)/4 = 255 (254.75); (2+2)/4 = 1 (0.5 rounds up).
	got := im.Downsample(2)
	if want := []uint8{2, 10, 255, 1}; got.H != 2 || got.W != 2 || !slices.Equal(got.Pix, want) || got.Labels[0] != 5 {
		t.Errorf("Downsample(2) = %v (%d×%d), want %v", got.Pix, got.H, got.W, want)
	}
	// f = 4: (0+1+10+10+2+3+10+11+255+255+0+0+255+254+0+2 + 8)/16 = 1076/16 = 67.25 → 67.
	if got := im.Downsample(4); !slices.Equal(got.Pix, []uint8{67}) {
		t.Errorf("Downsample(4) = %v, want [67]", got.Pix)
	}

	// Random 28² images: every output is the block mean rounded half up.
	rng := rand.New(rand.NewPCG(1, 2))
	r := &Images{N: 5, H: 28, W: 28, Pix: make([]uint8, 5*784)}
	for i := range r.Pix {
		r.Pix[i] = uint8(rng.IntN(256))
	}
	for _, f := range []int{2, 4, 7} {
		d := r.Downsample(f)
		if d.H != 28/f || d.W != 28/f {
			t.Fatalf("f=%d: %d×%d", f, d.H, d.W)
		}
		for n := 0; n < r.N; n++ {
			for i := 0; i < d.H; i++ {
				for j := 0; j < d.W; j++ {
					var s float64
					for u := 0; u < f; u++ {
						for v := 0; v < f; v++ {
							s += float64(r.Image(n)[(f*i+u)*28+f*j+v])
						}
					}
					if want := math.Floor(s/float64(f*f) + 0.5); float64(d.Image(n)[i*d.W+j]) != want {
						t.Fatalf("f=%d image %d block (%d,%d): %d, want %v", f, n, i, j, d.Image(n)[i*d.W+j], want)
					}
				}
			}
		}
		// Replicating pixels and averaging the blocks again is the identity.
		if back := d.Upsample(f).Downsample(f); !slices.Equal(back.Pix, d.Pix) {
			t.Errorf("f=%d: Downsample(Upsample(x)) != x", f)
		}
	}
}

func TestPixelUnitRoundTrip(t *testing.T) {
	for p := 0; p < 256; p++ {
		x := PixelToUnit(uint8(p))
		if x < -1 || x > 1 {
			t.Fatalf("PixelToUnit(%d) = %v outside [−1,1]", p, x)
		}
		if q := UnitToPixel(x); int(q) != p {
			t.Fatalf("UnitToPixel(PixelToUnit(%d)) = %d", p, q)
		}
		// Values within ±0.49 of a level map to that level.
		for _, d := range []float64{-0.49, 0.49} {
			if q := UnitToPixel(x + d/127.5); int(q) != p {
				t.Fatalf("UnitToPixel(level %d %+v) = %d", p, d, q)
			}
		}
	}
	for _, tc := range []struct {
		x    float64
		want uint8
	}{{-7, 0}, {-1, 0}, {1, 255}, {3, 255}, {math.NaN(), 0}, {math.Inf(1), 255}, {math.Inf(-1), 0}, {0, 128}} {
		if got := UnitToPixel(tc.x); got != tc.want {
			t.Errorf("UnitToPixel(%v) = %d, want %d", tc.x, got, tc.want)
		}
	}
	im := &Images{N: 2, H: 1, W: 3, Pix: []uint8{0, 128, 255, 1, 2, 3}}
	if q := QuantizeUnit(im.Unit(), 1, 3); !slices.Equal(q.Pix, im.Pix) {
		t.Errorf("QuantizeUnit(Unit()) = %v, want %v", q.Pix, im.Pix)
	}
}

func TestBatchesSeeded(t *testing.T) {
	b1 := Batches(103, 10, rand.New(rand.NewPCG(3, 4)))
	b2 := Batches(103, 10, rand.New(rand.NewPCG(3, 4)))
	b3 := Batches(103, 10, rand.New(rand.NewPCG(3, 5)))
	if len(b1) != 10 {
		t.Fatalf("%d batches, want 10", len(b1))
	}
	seen := map[int]bool{}
	same, diff := true, false
	for i := range b1 {
		if len(b1[i]) != 10 {
			t.Fatalf("batch %d has %d items", i, len(b1[i]))
		}
		same = same && slices.Equal(b1[i], b2[i])
		diff = diff || !slices.Equal(b1[i], b3[i])
		for _, j := range b1[i] {
			if j < 0 || j >= 103 || seen[j] {
				t.Fatalf("index %d out of range or repeated", j)
			}
			seen[j] = true
		}
	}
	if !same || !diff {
		t.Errorf("same seed equal: %v, other seed differs: %v", same, diff)
	}
	im := &Images{N: 4, H: 1, W: 1, Pix: []uint8{0, 1, 2, 3}, Labels: []uint8{0, 1, 2, 3}}
	s := im.Shuffled(rand.New(rand.NewPCG(9, 9)))
	if !slices.Equal(s.Pix, s.Labels) {
		t.Errorf("shuffle separated pixels %v from labels %v", s.Pix, s.Labels)
	}
}

// TestRealMNIST checks the files copied by scripts/mnist-data.sh: canonical
// MD5s, headers and counts, and the well-known pixel statistics of the
// training split (mean 0.1307, std 0.3081 on [0,1]).
func TestRealMNIST(t *testing.T) {
	dir, err := DefaultMNISTDir()
	if err != nil {
		t.Skipf("MNIST not present (%v): run scripts/mnist-data.sh to enable this test", err)
	}
	for name, want := range MNISTMD5 {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		h := md5.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%s: MD5 %s, want %s", name, got, want)
		}
	}
	for _, tc := range []struct {
		split MNISTSplit
		n     int
		// label counts of digits 0 and 1, from the MNIST documentation
		n0, n1 int
	}{{MNISTTrain, 60000, 5923, 6742}, {MNISTTest, 10000, 980, 1135}} {
		im, err := LoadMNIST(dir, tc.split)
		if err != nil {
			t.Fatal(err)
		}
		if im.N != tc.n || im.H != 28 || im.W != 28 || len(im.Labels) != tc.n {
			t.Fatalf("%s: %d×%d×%d, %d labels", tc.split, im.N, im.H, im.W, len(im.Labels))
		}
		var c [10]int
		for _, l := range im.Labels {
			c[l]++
		}
		if c[0] != tc.n0 || c[1] != tc.n1 {
			t.Errorf("%s: %d zeros and %d ones, want %d and %d", tc.split, c[0], c[1], tc.n0, tc.n1)
		}
		if tc.split != MNISTTrain {
			continue
		}
		var s, s2 float64
		for _, p := range im.Pix {
			v := float64(p) / 255
			s += v
			s2 += v * v
		}
		m := s / float64(len(im.Pix))
		sd := math.Sqrt(s2/float64(len(im.Pix)) - m*m)
		if math.Abs(m-0.1307) > 1e-4 || math.Abs(sd-0.3081) > 1e-4 {
			t.Errorf("train pixel mean %.5f std %.5f, want 0.1307 and 0.3081", m, sd)
		}
	}
}
