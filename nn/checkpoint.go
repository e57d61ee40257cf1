package nn

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"genlab/internal/readn"
)

// ErrCorrupt reports a truncated, altered or otherwise unreadable checkpoint
// or parameter file.
var ErrCorrupt = errors.New("nn: corrupt checkpoint")

// Checkpoint is the resumable state of a training run: parameters, EMA
// shadow, Adam moments and step, and an opaque caller blob (for example the
// JSON of the run's own state). Tensor lists are in Params() order.
type Checkpoint struct {
	Step                      int
	Params, EMA, AdamM, AdamV [][]float32
	AdamStep                  int
	Extra                     []byte
}

// File format (little endian):
//
//	magic "GLNNCKP1" | payload length uint64 | payload | SHA-256(magic‖length‖payload)
//
// payload = Step int64, AdamStep int64, then the lists Params, EMA, AdamM,
// AdamV, each as count uint32 followed by (length uint64, float32 bits…) per
// tensor, then Extra as length uint64 and bytes.
var ckptMagic = [8]byte{'G', 'L', 'N', 'N', 'C', 'K', 'P', '1'}

// maxPayload bounds the payload length read from a header (64 GiB), so that a
// corrupt length cannot trigger a huge allocation.
const maxPayload = 1 << 36

func encodeCheckpoint(c *Checkpoint) []byte {
	var p bytes.Buffer
	le := binary.LittleEndian
	p.Write(le.AppendUint64(nil, uint64(int64(c.Step))))
	p.Write(le.AppendUint64(nil, uint64(int64(c.AdamStep))))
	for _, list := range [][][]float32{c.Params, c.EMA, c.AdamM, c.AdamV} {
		p.Write(le.AppendUint32(nil, uint32(len(list))))
		for _, t := range list {
			b := make([]byte, 8+4*len(t))
			le.PutUint64(b, uint64(len(t)))
			for i, v := range t {
				le.PutUint32(b[8+4*i:], math.Float32bits(v))
			}
			p.Write(b)
		}
	}
	p.Write(le.AppendUint64(nil, uint64(len(c.Extra))))
	p.Write(c.Extra)

	out := make([]byte, 0, 16+p.Len()+sha256.Size)
	out = append(out, ckptMagic[:]...)
	out = le.AppendUint64(out, uint64(p.Len()))
	out = append(out, p.Bytes()...)
	sum := sha256.Sum256(out)
	return append(out, sum[:]...)
}

func decodeCheckpoint(r io.Reader) (*Checkpoint, error) {
	le := binary.LittleEndian
	var head [16]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("header: %v: %w", err, ErrCorrupt)
	}
	if !bytes.Equal(head[:8], ckptMagic[:]) {
		return nil, fmt.Errorf("bad magic %q: %w", head[:8], ErrCorrupt)
	}
	n := le.Uint64(head[8:])
	if n > maxPayload {
		return nil, fmt.Errorf("payload length %d: %w", n, ErrCorrupt)
	}
	// the body grows with the bytes that arrive, so a header declaring
	// 60 GiB over a short file is refused without allocating it
	body, err := readn.ReadN(r, n+sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("truncated (payload %d bytes): %v: %w", n, err, ErrCorrupt)
	}
	h := sha256.New()
	h.Write(head[:])
	h.Write(body[:n])
	if !bytes.Equal(h.Sum(nil), body[n:]) {
		return nil, fmt.Errorf("SHA-256 mismatch: %w", ErrCorrupt)
	}
	p := body[:n]
	bad := fmt.Errorf("malformed payload: %w", ErrCorrupt)
	take := func(k uint64) ([]byte, bool) {
		if uint64(len(p)) < k {
			return nil, false
		}
		b := p[:k]
		p = p[k:]
		return b, true
	}
	c := &Checkpoint{}
	b, ok := take(16)
	if !ok {
		return nil, bad
	}
	c.Step = int(int64(le.Uint64(b)))
	c.AdamStep = int(int64(le.Uint64(b[8:])))
	lists := []*[][]float32{&c.Params, &c.EMA, &c.AdamM, &c.AdamV}
	for _, l := range lists {
		b, ok := take(4)
		if !ok {
			return nil, bad
		}
		cnt := le.Uint32(b)
		if uint64(cnt)*8 > uint64(len(p)) {
			return nil, bad
		}
		*l = make([][]float32, cnt)
		for i := range *l {
			b, ok := take(8)
			if !ok {
				return nil, bad
			}
			m := le.Uint64(b)
			if m > uint64(len(p))/4 {
				return nil, bad
			}
			b, _ = take(4 * m)
			t := make([]float32, m)
			for j := range t {
				t[j] = math.Float32frombits(le.Uint32(b[4*j:]))
			}
			(*l)[i] = t
		}
	}
	b, ok = take(8)
	if !ok {
		return nil, bad
	}
	m := le.Uint64(b)
	if m != uint64(len(p)) {
		return nil, bad
	}
	c.Extra = append([]byte(nil), p...)
	return c, nil
}

// WriteCheckpoint writes c to path atomically: to a temporary file in the
// same directory, fsynced, then renamed over path (and the directory synced).
// A reader sees either the old file or the complete new one.
func WriteCheckpoint(path string, c *Checkpoint) error {
	if err := writeAtomic(path, encodeCheckpoint(c)); err != nil {
		return fmt.Errorf("nn: writing checkpoint %s: %w", path, err)
	}
	return nil
}

func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // best effort: not every filesystem supports syncing a directory
		d.Close()
	}
	return nil
}

// ReadCheckpoint reads a checkpoint written by WriteCheckpoint. A truncated,
// extended or altered file is refused with an error naming it that wraps
// ErrCorrupt.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nn: reading checkpoint: %w", err)
	}
	r := bytes.NewReader(data)
	c, err := decodeCheckpoint(r)
	if err != nil {
		return nil, fmt.Errorf("nn: checkpoint %s: %w", path, err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("nn: checkpoint %s: %d trailing bytes: %w", path, r.Len(), ErrCorrupt)
	}
	return c, nil
}

// SaveParams writes the parameters of m to w in the checkpoint format (a
// Checkpoint with only Params set), for shipping trained weights.
func SaveParams(w io.Writer, m Model) error {
	if _, err := w.Write(encodeCheckpoint(&Checkpoint{Params: GetParams(m)})); err != nil {
		return fmt.Errorf("nn: SaveParams: %w", err)
	}
	return nil
}

// LoadParams reads parameters written by SaveParams (or a full checkpoint,
// whose Params are used) into m, checking the checksum and every shape.
func LoadParams(r io.Reader, m Model) error {
	c, err := decodeCheckpoint(r)
	if err != nil {
		return fmt.Errorf("nn: LoadParams: %w", err)
	}
	if err := SetParams(m, c.Params); err != nil {
		return fmt.Errorf("nn: LoadParams: %w", err)
	}
	return nil
}
