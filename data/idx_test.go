package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// handIDX3 is a 3×2×2 unsigned-byte idx array written out byte by byte.
var handIDX3 = []byte{
	0x00, 0x00, 0x08, 0x03, // magic 0x803
	0x00, 0x00, 0x00, 0x03, // 3 items
	0x00, 0x00, 0x00, 0x02, // 2 rows
	0x00, 0x00, 0x00, 0x02, // 2 columns
	0, 1, 2, 3,
	4, 5, 6, 7,
	255, 254, 253, 252,
}

// handIDX1 is a label vector (7, 0, 9) as idx.
var handIDX1 = []byte{0x00, 0x00, 0x08, 0x01, 0x00, 0x00, 0x00, 0x03, 7, 0, 9}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadIDXHandMade(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		bytes []byte
	}{
		{"plain-idx3-ubyte", handIDX3},
		{"zipped-idx3-ubyte.gz", gz(t, handIDX3)},
	} {
		p := writeFile(t, dir, tc.name, tc.bytes)
		x, err := ReadIDXFile(p, 3)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(x.Dims, []int{3, 2, 2}) {
			t.Errorf("%s: dims %v, want [3 2 2]", tc.name, x.Dims)
		}
		if !slices.Equal(x.Data, handIDX3[16:]) {
			t.Errorf("%s: data %v, want %v", tc.name, x.Data, handIDX3[16:])
		}
		if x.Magic() != 0x803 {
			t.Errorf("%s: magic %#x, want 0x803", tc.name, x.Magic())
		}
		// Any number of dimensions is accepted when wantDims is 0.
		if _, err := ReadIDXFile(p, 0); err != nil {
			t.Errorf("%s: wantDims 0: %v", tc.name, err)
		}
	}
	x, err := ReadIDX(bytes.NewReader(handIDX1), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x.Dims, []int{3}) || !slices.Equal(x.Data, []byte{7, 0, 9}) || x.Magic() != 0x801 {
		t.Errorf("labels: got dims %v data %v magic %#x", x.Dims, x.Data, x.Magic())
	}
}

func TestIDXEncodeMatchesHandBytes(t *testing.T) {
	var buf bytes.Buffer
	x := &IDX{Dims: []int{3, 2, 2}, Data: handIDX3[16:]}
	if err := x.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), handIDX3) {
		t.Errorf("Encode = % x\nwant      % x", buf.Bytes(), handIDX3)
	}
}

func TestReadIDXRefusesCorrupt(t *testing.T) {
	dir := t.TempDir()
	mod := func(f func(b []byte) []byte) []byte { return f(slices.Clone(handIDX3)) }
	zipped := gz(t, handIDX3)
	badCRC := slices.Clone(zipped)
	badCRC[len(badCRC)-8] ^= 0xff // CRC-32 of the gzip trailer
	for _, tc := range []struct {
		name     string
		bytes    []byte
		wantDims int
		msg      string // must appear in the error
	}{
		{"labels-as-images", handIDX1, 3, "magic 0x00000801, want 0x00000803"},
		{"images-as-labels", handIDX3, 1, "magic 0x00000803, want 0x00000801"},
		{"nonzero-lead", mod(func(b []byte) []byte { b[0] = 1; return b }), 3, "two zero bytes"},
		{"float-type", mod(func(b []byte) []byte { b[2] = 0x0d; return b }), 3, "element type 0x0d"},
		{"zero-dims", []byte{0, 0, 8, 0}, 0, "magic"},
		{"empty", nil, 3, "header"},
		{"short-header", handIDX3[:10], 3, "dimension sizes"},
		{"truncated-body", handIDX3[:len(handIDX3)-1], 3, "truncated: body has 11 of 12 bytes"},
		{"trailing", append(slices.Clone(handIDX3), 0), 3, "trailing bytes"},
		{"huge-dims", mod(func(b []byte) []byte { b[4], b[8], b[12] = 0x7f, 0x7f, 0x7f; return b }), 3, "exceed"},
		{"truncated.gz", zipped[:len(zipped)/2], 3, ""},
		{"cut-trailer.gz", zipped[:len(zipped)-4], 3, ""},
		{"bad-crc.gz", badCRC, 3, ""},
	} {
		p := writeFile(t, dir, tc.name, tc.bytes)
		_, err := ReadIDXFile(p, tc.wantDims)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not name the file", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %q does not contain %q", tc.name, err, tc.msg)
		}
		if !strings.HasSuffix(tc.name, ".gz") && !errors.Is(err, ErrIDX) {
			t.Errorf("%s: error %q does not wrap ErrIDX", tc.name, err)
		}
	}
	if _, err := ReadIDXFile(filepath.Join(dir, "missing.gz"), 3); err == nil || !strings.Contains(err.Error(), "missing.gz") {
		t.Errorf("missing file: error %v", err)
	}
}
