package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genlab/data"
	"genlab/data/npy"
)

// testDigits returns the first n MNIST test digits, skipping the test when
// make data has not run.
func testDigits(t *testing.T, n int) *data.Images {
	t.Helper()
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		t.Skip("MNIST not found (make data):", err)
	}
	im, err := data.LoadMNIST(dir, data.MNISTTest)
	if err != nil {
		t.Fatal(err)
	}
	return im.Head(n)
}

func runJSON(t *testing.T, args ...string) (report, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(append([]string{"-json"}, args...), &out, &errb); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errb.String())
	}
	var r report
	// kid_std_x1e3 is "nan" when every KID subset is the whole set (n ≤ 1000)
	if err := json.Unmarshal(bytes.ReplaceAll(out.Bytes(), []byte(`"nan"`), []byte("null")), &r); err != nil {
		t.Fatalf("%v: %v: %q", args, err, out.String())
	}
	return r, errb.String()
}

func writeNPYUint8(t *testing.T, path string, im *data.Images) {
	t.Helper()
	b, err := npy.EncodeUint8([]int{im.N, im.H, im.W}, im.Pix)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestScoreMNISTAndNoise: the MNIST test digits saved as a uint8 .npy, as
// float32 in [−1, 1] (N×784), as an idx file and as a PNG folder all read
// back as the exact pixels; as .npy they score fid_lenet ≈ 0 against the
// MNIST test set; a disjoint set of test digits gives the floor; uniform
// noise lands far above it; noise used as the reference draws the domain
// warning; 14×14 samples are scored at 14×14.
func TestScoreMNISTAndNoise(t *testing.T) {
	const n = 200
	digits := testDigits(t, 2*n)
	first, second := digits.Head(n), digits.Subset(seq(n, 2*n))
	dir := t.TempDir()
	u8 := filepath.Join(dir, "digits.npy")
	writeNPYUint8(t, u8, first)

	unit := first.Unit()
	r, c := unit.Dims()
	v := make([]float64, 0, r*c)
	for i := 0; i < r; i++ {
		v = append(v, unit.RawRowView(i)...)
	}
	f32 := filepath.Join(dir, "digits_f32.npy")
	b, _ := npy.EncodeFloat32([]int{r, c}, v)
	os.WriteFile(f32, b, 0o644)

	idx := filepath.Join(dir, "digits-idx3-ubyte")
	var ib bytes.Buffer
	if err := (&data.IDX{Dims: []int{first.N, 28, 28}, Data: first.Pix}).Encode(&ib); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(idx, ib.Bytes(), 0o644)

	pngs := filepath.Join(dir, "pngs")
	os.Mkdir(pngs, 0o755)
	for i := 0; i < first.N; i++ {
		g := image.NewGray(image.Rect(0, 0, 28, 28))
		copy(g.Pix, first.Image(i))
		var pb bytes.Buffer
		png.Encode(&pb, g)
		os.WriteFile(filepath.Join(pngs, padded(i)+".png"), pb.Bytes(), 0o644)
	}

	for _, p := range []string{u8, f32, idx, pngs} {
		im, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if im.N != n || im.H != 28 || im.W != 28 || !bytes.Equal(im.Pix, first.Pix) {
			t.Errorf("%s: %d×%d×%d images, pixels equal %v: want the digits back exactly", filepath.Base(p), im.N, im.H, im.W, bytes.Equal(im.Pix, first.Pix))
		}
	}
	ref := u8

	// Against the MNIST test set itself (its first n digits).
	same, warn := runJSON(t, "-n", "200", u8)
	if same.FIDLeNet > 1e-6 || len(same.WeightsSHA256) != 64 || warn != "" || same.RefConfidence < 0.95 {
		t.Errorf("MNIST test digits vs the test set: %+v, stderr %q", same, warn)
	}

	floorPath := filepath.Join(dir, "second.npy")
	writeNPYUint8(t, floorPath, second)
	floor, _ := runJSON(t, "-ref", ref, floorPath)

	rng := rand.New(rand.NewPCG(1, 2))
	noise := &data.Images{N: n, H: 28, W: 28, Pix: make([]uint8, n*784)}
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.IntN(256))
	}
	noisePath := filepath.Join(dir, "noise.npy")
	writeNPYUint8(t, noisePath, noise)
	nz, _ := runJSON(t, "-ref", ref, noisePath)
	if !(floor.FIDLeNet > 0) || nz.FIDLeNet < 10*floor.FIDLeNet {
		t.Errorf("noise fid_lenet %g, floor %g: want noise ≥ 10× the floor", nz.FIDLeNet, floor.FIDLeNet)
	}
	if _, warn := runJSON(t, "-ref", noisePath, u8); !strings.Contains(warn, "far from the feature net's domain") {
		t.Errorf("noise as the reference: no domain warning (stderr %q)", warn)
	}

	// 14×14 samples are scored against the reference reduced to 14×14.
	small := filepath.Join(dir, "small.npy")
	writeNPYUint8(t, small, first.Downsample(2))
	if rep, _ := runJSON(t, "-ref", ref, small); rep.FIDLeNet > 1e-6 || rep.Side != 14 {
		t.Errorf("14×14 digits vs their 28×28 originals: fid_lenet %g at side %d", rep.FIDLeNet, rep.Side)
	}
}

// TestBadInput: malformed or unusable input exits 2 with one line naming
// the file or flag.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.npy")
	os.WriteFile(bad, []byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'\n"), 0o644)
	outside := filepath.Join(dir, "outside.npy")
	b, _ := npy.EncodeFloat32([]int{4, 196}, make784(4*196, 3))
	os.WriteFile(outside, b, 0o644)
	odd := filepath.Join(dir, "odd.npy")
	b, _ = npy.EncodeUint8([]int{5, 10, 10}, make([]uint8, 500))
	os.WriteFile(odd, b, 0o644)
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello"), 0o644)
	b, _ = npy.EncodeUint8([]int{4, 28, 28}, make([]uint8, 4*784))
	os.WriteFile(filepath.Join(dir, "ok.npy"), b, 0o644)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{bad}, "bad.npy"},
		{[]string{outside}, "outside.npy"},
		{[]string{odd}, "odd.npy"},
		{[]string{text}, "notes.txt"},
		{[]string{empty}, "no .png"},
		{[]string{filepath.Join(dir, "missing.npy")}, "missing.npy"},
		{[]string{"-n", "-3", bad}, "-n -3"},
		{[]string{"-ref", bad, filepath.Join(dir, "ok.npy")}, "-ref"},
		{[]string{}, "one samples path"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(c.args, &out, &errb)
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line naming %q", c.args, code, errb.String(), c.want)
		}
	}
}

func make784(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func seq(a, b int) []int {
	out := make([]int, 0, b-a)
	for i := a; i < b; i++ {
		out = append(out, i)
	}
	return out
}

func padded(i int) string { return fmt.Sprintf("%04d", i) }
