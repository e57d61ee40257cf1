package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"genlab/internal/fuzzcheck"
)

// TestCheckpointHugeHeaderBoundedAllocation: a header declaring a 60 GiB
// payload over a short file (allocated before the size was checked) is
// refused as corrupt after allocating about the file.
func TestCheckpointHugeHeaderBoundedAllocation(t *testing.T) {
	in := append(ckptMagic[:], binary.LittleEndian.AppendUint64(nil, 60<<30)...)
	in = append(in, make([]byte, 100)...)
	var err error
	fuzzcheck.Bounded(t, len(in), 0, 1<<20, func() { _, err = decodeCheckpoint(bytes.NewReader(in)) })
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("got %v, want ErrCorrupt", err)
	}
}

// FuzzDecodeCheckpoint: any input decodes or is refused with ErrCorrupt,
// allocating about the input at most; an accepted input re-encodes to the
// same bytes. Seeds: a small full checkpoint, an empty one and the shipped
// fid_lenet weights (SaveParams format).
func FuzzDecodeCheckpoint(f *testing.F) {
	f.Add(encodeCheckpoint(&Checkpoint{Step: 7, Params: [][]float32{{1, -2}, {3}}, EMA: [][]float32{{1, -2}, {3}},
		AdamM: [][]float32{{0.1, 0}, {0}}, AdamV: [][]float32{{0.01, 0}, {0}}, AdamStep: 7, Extra: []byte(`{"rng":1}`)}))
	f.Add(encodeCheckpoint(&Checkpoint{}))
	if b, err := os.ReadFile("../fidlenet/weights/lenet.bin"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var c *Checkpoint
		var err error
		fuzzcheck.Bounded(t, len(in), 8, 1<<20, func() { c, err = decodeCheckpoint(bytes.NewReader(in)) })
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if out := encodeCheckpoint(c); !bytes.Equal(out, in[:min(len(in), len(out))]) {
			t.Fatalf("round trip differs (%d bytes in, %d out)", len(in), len(out))
		}
	})
}
