// Package readn reads a length announced by a file header without trusting
// it: memory grows with the bytes that actually arrive, so a corrupt or
// hostile header cannot make a reader allocate more than the input holds.
package readn

import (
	"bytes"
	"fmt"
	"io"
)

// chunk is the most ReadN reserves before any data has arrived.
const chunk = 1 << 16

// ReadN reads exactly n bytes from r. It allocates at most about twice the
// bytes actually read (plus 64 KiB), whatever n is. A short input returns
// the bytes read and an error wrapping io.ErrUnexpectedEOF that says how
// many of the n bytes arrived.
func ReadN(r io.Reader, n uint64) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(min(n, chunk)))
	for uint64(buf.Len()) < n {
		k := min(n-uint64(buf.Len()), 1<<30)
		m, err := io.CopyN(&buf, r, int64(k))
		if err == io.EOF || (err == nil && m < int64(k)) {
			return buf.Bytes(), fmt.Errorf("%d of %d bytes: %w", buf.Len(), n, io.ErrUnexpectedEOF)
		}
		if err != nil {
			return buf.Bytes(), err
		}
	}
	return buf.Bytes(), nil
}
