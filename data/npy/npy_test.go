package npy

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	f, err := EncodeFloat32([]int{2, 3}, []float64{-1, 0, 0.5, 1, 2.25, -3})
	if err != nil {
		t.Fatal(err)
	}
	if len(f)%64 != 24 || string(f[:8]) != "\x93NUMPY\x01\x00" { // header to a 64-byte boundary, then 6 float32
		t.Fatalf("layout: %d bytes, start %q", len(f), f[:8])
	}
	a, err := Read(bytes.NewReader(f), int64(len(f)))
	if err != nil {
		t.Fatal(err)
	}
	want := &Array{Shape: []int{2, 3}, Descr: Float32, F64: []float64{-1, 0, 0.5, 1, 2.25, -3}}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("read %+v, want %+v", a, want)
	}
	u, err := EncodeUint8([]int{4}, []uint8{0, 1, 254, 255})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Read(bytes.NewReader(u), int64(len(u)))
	if err != nil || !reflect.DeepEqual(b.U8, []uint8{0, 1, 254, 255}) || !reflect.DeepEqual(b.Shape, []int{4}) {
		t.Fatalf("uint8: %+v %v", b, err)
	}
	if _, err := EncodeUint8([]int{3}, []uint8{1, 2}); err == nil {
		t.Error("shape/length mismatch accepted")
	}
}

func TestMalformed(t *testing.T) {
	good, _ := EncodeFloat32([]int{2, 2}, []float64{1, 2, 3, 4})
	hdr := func(dict string) []byte {
		b := append([]byte("\x93NUMPY\x01\x00"), byte(len(dict)+1), 0)
		return append(append(b, dict...), '\n')
	}
	cases := map[string][]byte{
		"empty":       nil,
		"magic":       []byte("PK\x03\x04 not numpy at all"),
		"version":     append([]byte("\x93NUMPY\x07\x00"), good[8:]...),
		"truncated":   good[:len(good)-3],
		"extra bytes": append(append([]byte{}, good...), 0),
		"fortran":     hdr("{'descr': '<f4', 'fortran_order': True, 'shape': (0,), }"),
		"descr":       hdr("{'descr': '<c16', 'fortran_order': False, 'shape': (0,), }"),
		"big-endian":  hdr("{'descr': '>f4', 'fortran_order': False, 'shape': (0,), }"),
		"shape":       hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"),
		"overflow":    hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999), }"),
		"missing":     hdr("{'descr': '<f4', 'shape': (0,), }"),
		"object":      hdr("__import__('os')"),
	}
	for name, b := range cases {
		if _, err := Read(bytes.NewReader(b), int64(len(b))); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err %v, want ErrFormat", name, err)
		}
	}
	// The empty array is well formed.
	ok := hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 784), }")
	if a, err := Read(bytes.NewReader(ok), int64(len(ok))); err != nil || a.Len() != 0 {
		t.Errorf("empty array: %v %v", a, err)
	}
}

// TestNumPy checks files both ways against NumPy itself when Debian's
// python3-numpy is installed: numpy.load reads what EncodeFloat32 and
// EncodeUint8 write, and Read reads what numpy.save writes (float32,
// float64, uint8, 1-D and 3-D).
func TestNumPy(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skip("python3-numpy not installed")
	}
	dir := t.TempDir()
	f, _ := EncodeFloat32([]int{2, 3}, []float64{-1, 0, 0.5, 1, 2.25, -3})
	u, _ := EncodeUint8([]int{2, 2, 2}, []uint8{0, 1, 2, 3, 252, 253, 254, 255})
	os.WriteFile(filepath.Join(dir, "f.npy"), f, 0o644)
	os.WriteFile(filepath.Join(dir, "u.npy"), u, 0o644)
	script := `
import numpy as np, sys
d = sys.argv[1]
f = np.load(d + "/f.npy"); u = np.load(d + "/u.npy")
assert f.dtype == np.float32 and f.shape == (2, 3) and f.tolist() == [[-1, 0, 0.5], [1, 2.25, -3]], f
assert u.dtype == np.uint8 and u.shape == (2, 2, 2) and u.ravel().tolist() == [0, 1, 2, 3, 252, 253, 254, 255], u
np.save(d + "/a.npy", np.arange(6, dtype=np.float64).reshape(3, 2) / 4)
np.save(d + "/b.npy", np.array([7, 8, 9], dtype=np.uint8))
np.save(d + "/c.npy", np.linspace(-1, 1, 5).astype(np.float32))
print("ok")
`
	out, err := exec.Command(py, "-c", script, dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	a, err := ReadFile(filepath.Join(dir, "a.npy"))
	if err != nil || a.Descr != Float64 || !reflect.DeepEqual(a.Shape, []int{3, 2}) || !reflect.DeepEqual(a.F64, []float64{0, 0.25, 0.5, 0.75, 1, 1.25}) {
		t.Errorf("a.npy: %+v %v", a, err)
	}
	b, err := ReadFile(filepath.Join(dir, "b.npy"))
	if err != nil || b.Descr != Uint8 || !reflect.DeepEqual(b.U8, []uint8{7, 8, 9}) {
		t.Errorf("b.npy: %+v %v", b, err)
	}
	c, err := ReadFile(filepath.Join(dir, "c.npy"))
	if err != nil || c.Descr != Float32 || !reflect.DeepEqual(c.F64, []float64{-1, -0.5, 0, 0.5, 1}) {
		t.Errorf("c.npy: %+v %v", c, err)
	}
}
