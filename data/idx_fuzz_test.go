package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"genlab/internal/fuzzcheck"
)

// TestReadIDXHugeHeaderBoundedAllocation: an 8-byte header announcing
// 771 MiB (it allocated the whole body before reading it) is refused as
// truncated after allocating about the input.
func TestReadIDXHugeHeaderBoundedAllocation(t *testing.T) {
	in := []byte{0, 0, 8, 1, 0x30, 0x30, 0x30, 0x30} // one dimension of 0x30303030 bytes
	var err error
	fuzzcheck.Bounded(t, len(in), 0, 1<<20, func() { _, err = ReadIDX(bytes.NewReader(in), 0) })
	if !errors.Is(err, ErrIDX) {
		t.Errorf("got %v, want ErrIDX", err)
	}
}

// realIDXSeeds returns the MNIST test labels and the first image of the
// test images (as a one-image idx3 file), uncompressed, when `make data`
// has copied them.
func realIDXSeeds() [][]byte {
	var out [][]byte
	dir := filepath.Join("mnist")
	if lab, err := readGz(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), 1<<20); err == nil {
		out = append(out, lab)
	}
	if img, err := readGz(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), 16+2*784); err == nil && len(img) == 16+2*784 {
		binary.BigEndian.PutUint32(img[4:], 2) // two images
		out = append(out, img)
	}
	return out
}

func readGz(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(zr, limit))
}

// FuzzReadIDX: any input is decoded or refused with ErrIDX, allocating
// about the input at most; an accepted input re-encodes to the same bytes.
func FuzzReadIDX(f *testing.F) {
	for _, s := range realIDXSeeds() {
		f.Add(s, 0)
	}
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 2, 7, 9}, 1)
	f.Add([]byte{0, 0, 8, 1, 0x30, 0x30, 0x30, 0x30}, 0)
	f.Add([]byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2}, 3)
	f.Fuzz(func(t *testing.T, in []byte, wantDims int) {
		var x *IDX
		var err error
		fuzzcheck.Bounded(t, len(in), 4, 1<<20, func() { x, err = ReadIDX(bytes.NewReader(in), wantDims) })
		if err != nil {
			if !errors.Is(err, ErrIDX) {
				t.Fatalf("error %v does not wrap ErrIDX", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := x.Encode(&buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), in) {
			t.Fatalf("round trip: %d bytes in, %d out", len(in), buf.Len())
		}
	})
}
