package results

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// A dense matrix survives the round trip bit for bit, and files whose
// header and length disagree are refused with an error, not a panic or a
// huge allocation.
func TestDenseRoundTripAndCorruption(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.bin")
	m := mat.NewDense(3, 2, []float64{1, -2.5, 3e-300, 0, 7, -0.125})
	if err := WriteDense(path, m); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDense(path)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(got, m) {
		t.Errorf("round trip: %v, want %v", mat.Formatted(got), mat.Formatted(m))
	}
	raw, _ := os.ReadFile(path)
	hdr := func(r, c uint64) []byte {
		b := append([]byte(nil), raw...)
		binary.LittleEndian.PutUint64(b[0:], r)
		binary.LittleEndian.PutUint64(b[8:], c)
		return b
	}
	for name, b := range map[string][]byte{
		"empty":     {},
		"header":    raw[:16],
		"truncated": raw[:len(raw)-1],
		"rows":      hdr(4, 2),
		"zero":      hdr(0, 2),
		"negative":  hdr(1<<63, 2),
		"overflow":  hdr(1<<32, 1<<32), // r·c wraps to 0 in int64
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadDense(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
