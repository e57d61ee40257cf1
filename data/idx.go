package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"genlab/internal/readn"
)

// ErrIDX reports a malformed idx stream: a wrong magic number, an
// unsupported element type, a truncated body or trailing bytes.
var ErrIDX = errors.New("malformed idx data")

// idxUbyte is the idx element-type code of unsigned bytes, the only type
// MNIST uses.
const idxUbyte = 0x08

// maxIDXBytes bounds the body size a header may announce (1 GiB), so a
// corrupt header cannot make the reader allocate without limit.
const maxIDXBytes = 1 << 30

// IDX is a decoded idx array of unsigned bytes (LeCun's MNIST format). The
// header is the big-endian magic 0x0000TTNN — two zero bytes, the element
// type TT (0x08 for unsigned bytes) and the number of dimensions NN — then
// NN big-endian uint32 sizes, then the Π sizes elements in row-major order.
// MNIST images are magic 0x00000803 with sizes (count, 28, 28), labels
// 0x00000801 with size (count).
type IDX struct {
	Dims []int  // sizes, outermost first
	Data []byte // Π Dims bytes, row-major
}

// Magic returns the idx magic number of x: 0x0800 + len(Dims).
func (x *IDX) Magic() uint32 { return idxUbyte<<8 | uint32(len(x.Dims)) }

// Encode writes x in idx format (uncompressed). It panics if len(Data) is
// not the product of Dims.
func (x *IDX) Encode(w io.Writer) error {
	n := 1
	for _, d := range x.Dims {
		n *= d
	}
	if n != len(x.Data) || len(x.Dims) == 0 || len(x.Dims) > 255 {
		panic(fmt.Sprintf("data: IDX.Encode: %d bytes for dims %v", len(x.Data), x.Dims))
	}
	hdr := make([]byte, 4+4*len(x.Dims))
	binary.BigEndian.PutUint32(hdr, x.Magic())
	for i, d := range x.Dims {
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("data: idx encode header: %w", err)
	}
	if _, err := w.Write(x.Data); err != nil {
		return fmt.Errorf("data: idx encode body: %w", err)
	}
	return nil
}

// ReadIDX decodes one uncompressed idx stream of unsigned bytes. If wantDims
// > 0 the stream must have exactly that many dimensions (3 for MNIST images,
// 1 for labels, i.e. magic 0x803 and 0x801). The stream must end right after
// the body: a short body and trailing bytes are both errors wrapping ErrIDX.
func ReadIDX(r io.Reader, wantDims int) (*IDX, error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("header: %w (%w)", ErrIDX, noEOF(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("magic 0x%08x does not start with two zero bytes: %w", binary.BigEndian.Uint32(magic[:]), ErrIDX)
	}
	if magic[2] != idxUbyte {
		return nil, fmt.Errorf("magic 0x%08x: element type 0x%02x, only unsigned bytes (0x08) are supported: %w",
			binary.BigEndian.Uint32(magic[:]), magic[2], ErrIDX)
	}
	nd := int(magic[3])
	if nd == 0 || (wantDims > 0 && nd != wantDims) {
		return nil, fmt.Errorf("magic 0x%08x, want 0x%08x: %w", binary.BigEndian.Uint32(magic[:]), idxUbyte<<8|wantDims, ErrIDX)
	}
	hdr := make([]byte, 4*nd)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("dimension sizes: %w (%w)", ErrIDX, noEOF(err))
	}
	dims := make([]int, nd)
	total := 1
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(hdr[4*i:]))
		if dims[i] > 0 && total > maxIDXBytes/dims[i] {
			return nil, fmt.Errorf("dimension sizes %v exceed %d bytes: %w", dims[:i+1], maxIDXBytes, ErrIDX)
		}
		total *= dims[i]
	}
	// the body grows with the bytes that arrive: an 8-byte header
	// announcing 771 MiB allocates nothing like that
	body, err := readn.ReadN(r, uint64(total))
	if err != nil {
		return nil, fmt.Errorf("truncated: body has %d of %d bytes for dims %v: %w", len(body), total, dims, ErrIDX)
	}
	// The stream must end here; for gzip input this read also checks the
	// trailer (CRC-32 and length), so a cut or corrupted .gz is refused.
	var one [1]byte
	if n, err := io.ReadFull(r, one[:]); n > 0 {
		return nil, fmt.Errorf("trailing bytes after the %d-byte body for dims %v: %w", total, dims, ErrIDX)
	} else if err != io.EOF {
		return nil, fmt.Errorf("after the body: %w (%w)", ErrIDX, err)
	}
	return &IDX{Dims: dims, Data: body}, nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: in a header, any end of data
// is a truncation.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ReadIDXFile reads an idx file, gunzipping it first if it starts with the
// gzip magic bytes 1f 8b (so both train-images-idx3-ubyte.gz and an
// uncompressed train-images-idx3-ubyte are accepted). wantDims is as in
// ReadIDX. Every error names the file.
func ReadIDXFile(path string, wantDims int) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: idx: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	head, _ := br.Peek(2)
	var r io.Reader = br
	if bytes.Equal(head, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("data: idx %s: gzip: %w", path, err)
		}
		defer zr.Close()
		zr.Multistream(false)
		r = zr
	}
	x, err := ReadIDX(r, wantDims)
	if err != nil {
		return nil, fmt.Errorf("data: idx %s: %w", path, err)
	}
	return x, nil
}
