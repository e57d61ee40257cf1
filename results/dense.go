package results

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"

	"gonum.org/v1/gonum/mat"
)

// WriteDense writes m to path atomically (WriteFileAtomic) in genlab's dense
// matrix format: rows and columns as two little-endian int64, then the
// float64 entries row by row, little-endian.
func WriteDense(path string, m *mat.Dense) error {
	r, c := m.Dims()
	var buf bytes.Buffer
	buf.Grow(16 + 8*r*c)
	_ = binary.Write(&buf, binary.LittleEndian, [2]int64{int64(r), int64(c)})
	for i := 0; i < r; i++ {
		_ = binary.Write(&buf, binary.LittleEndian, m.RawRowView(i))
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// ReadDense reads a matrix written by WriteDense. A file whose header does
// not match its length (torn, truncated or not a dense file) is an error
// naming it; nothing is allocated from the header before that check.
func ReadDense(path string) (*mat.Dense, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(raw) < 16 {
		return nil, fmt.Errorf("%s: corrupt dense matrix file (%d bytes)", path, len(raw))
	}
	r := int64(binary.LittleEndian.Uint64(raw[0:]))
	c := int64(binary.LittleEndian.Uint64(raw[8:]))
	n := int64(len(raw)-16) / 8
	if r <= 0 || c <= 0 || c > n/r || r*c != n || int64(len(raw)-16)%8 != 0 {
		return nil, fmt.Errorf("%s: corrupt dense matrix file (header %d×%d, %d bytes)", path, r, c, len(raw))
	}
	data := make([]float64, n)
	if err := binary.Read(bytes.NewReader(raw[16:]), binary.LittleEndian, data); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return mat.NewDense(int(r), int(c), data), nil
}
