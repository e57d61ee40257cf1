package readn

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
)

// TestReadNBoundedAllocation: a header announcing 60 GiB over a few bytes of
// input allocates about the input, not the announcement.
func TestReadNBoundedAllocation(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b, err := ReadN(bytes.NewReader(make([]byte, 100)), 60<<30)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(b) != 100 {
		t.Errorf("got %d bytes, %v; want 100 and ErrUnexpectedEOF", len(b), err)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 1<<20 {
		t.Errorf("allocated %d bytes for 100 bytes of input", a)
	}
}

func TestReadNExact(t *testing.T) {
	src := bytes.Repeat([]byte{1, 2, 3}, 100000)
	r := bytes.NewReader(src)
	b, err := ReadN(r, uint64(len(src)-1))
	if err != nil || !bytes.Equal(b, src[:len(src)-1]) || r.Len() != 1 {
		t.Errorf("ReadN: %d bytes, %v, %d left", len(b), err, r.Len())
	}
	if b, err := ReadN(r, 0); err != nil || len(b) != 0 {
		t.Errorf("ReadN(0): %v %v", b, err)
	}
}
