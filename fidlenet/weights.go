package fidlenet

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strings"

	"genlab/metrics"
)

// The shipped files (see weights/README.md).
const (
	WeightsFile   = "lenet.bin"
	SHA256File    = "lenet.sha256"
	InfoFile      = "lenet.json"
	ReferenceFile = "ref-test.json.gz"
)

//go:embed weights
var shipped embed.FS

// ErrNoWeights reports that the package was built without trained weights.
var ErrNoWeights = errors.New("fidlenet: no shipped weights (run go run ./fidlenet/cmd/trainlenet)")

// weightsMagic starts every weights file; the version is the last byte.
const weightsMagic = "GLLENET1"

// Encode serialises n: the 8-byte magic "GLLENET1", C1, C2 and Hidden as
// little-endian uint32, then every parameter (params() order, row-major) as
// little-endian float32.
func (n *Net) Encode() []byte {
	var b bytes.Buffer
	b.WriteString(weightsMagic)
	for _, v := range []int{n.cfg.C1, n.cfg.C2, n.cfg.Hidden} {
		_ = binary.Write(&b, binary.LittleEndian, uint32(v))
	}
	for _, p := range n.params() {
		_ = binary.Write(&b, binary.LittleEndian, p.Data())
	}
	return b.Bytes()
}

// Decode parses weights written by Encode. It rejects a wrong magic, a size
// that does not match the header's config, and non-finite values.
func Decode(b []byte) (*Net, error) {
	if len(b) < len(weightsMagic)+12 || string(b[:len(weightsMagic)]) != weightsMagic {
		return nil, fmt.Errorf("fidlenet: weights: bad magic or header")
	}
	h := b[len(weightsMagic):]
	cfg := Config{
		C1:     int(binary.LittleEndian.Uint32(h[0:])),
		C2:     int(binary.LittleEndian.Uint32(h[4:])),
		Hidden: int(binary.LittleEndian.Uint32(h[8:])),
	}
	if err := cfg.validate(); err != nil || cfg.C1 > 1024 || cfg.C2 > 1024 || cfg.Hidden > 1<<16 {
		return nil, fmt.Errorf("fidlenet: weights: implausible config %+v", cfg)
	}
	n := newNet(cfg)
	body := h[12:]
	if len(body) != 4*n.NumParams() {
		return nil, fmt.Errorf("fidlenet: weights: %d bytes of parameters, config %+v needs %d", len(body), cfg, 4*n.NumParams())
	}
	off := 0
	for _, p := range n.params() {
		w := p.Data()
		for j := range w {
			v := math.Float32frombits(binary.LittleEndian.Uint32(body[off:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("fidlenet: weights: %s[%d] = %v", p.Name, j, v)
			}
			w[j] = v
			off += 4
		}
	}
	return n, nil
}

// SHA256Hex returns the lower-case hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// SHA256Line returns the sha256sum(1) line for the weights bytes b.
func SHA256Line(b []byte) string { return SHA256Hex(b) + "  " + WeightsFile + "\n" }

// Load returns the shipped network after checking its SHA-256 against
// lenet.sha256, and that hash. It returns an error wrapping ErrNoWeights if
// the package was built without weights.
func Load() (*Net, string, error) {
	b, err := shipped.ReadFile("weights/" + WeightsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", ErrNoWeights
	}
	if err != nil {
		return nil, "", fmt.Errorf("fidlenet: %w", err)
	}
	sum, err := shipped.ReadFile("weights/" + SHA256File)
	if err != nil {
		return nil, "", fmt.Errorf("fidlenet: %s: %w", SHA256File, err)
	}
	return LoadBytes(b, string(sum))
}

// LoadBytes decodes weights b after checking that their SHA-256 is the hash
// at the start of sumLine (sha256sum format); it returns the net and hash.
func LoadBytes(b []byte, sumLine string) (*Net, string, error) {
	f := strings.Fields(sumLine)
	got := SHA256Hex(b)
	if len(f) == 0 || f[0] != got {
		want := ""
		if len(f) > 0 {
			want = f[0]
		}
		return nil, "", fmt.Errorf("fidlenet: weights SHA-256 %s does not match the recorded %q", got, want)
	}
	n, err := Decode(b)
	if err != nil {
		return nil, "", err
	}
	return n, got, nil
}

// Info is the record of how the shipped weights were made (lenet.json).
type Info struct {
	SHA256       string      `json:"sha256"`
	Config       Config      `json:"config"`
	Train        TrainConfig `json:"train"`
	Seed         uint64      `json:"seed"`
	TestAccuracy float64     `json:"test_accuracy"`
	TestN        int         `json:"test_n"`
	TrainSeconds float64     `json:"train_seconds"`
	BLAS         string      `json:"blas"`
	GoVersion    string      `json:"go_version"`
}

// ShippedInfo returns lenet.json.
func ShippedInfo() (Info, error) {
	var in Info
	b, err := shipped.ReadFile("weights/" + InfoFile)
	if err != nil {
		return in, fmt.Errorf("fidlenet: %w", err)
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return in, fmt.Errorf("fidlenet: %s: %w", InfoFile, err)
	}
	return in, nil
}

// RefStats are Gaussian statistics of a feature set tagged with the SHA-256
// of the weights that produced the features, so stale statistics are never
// paired with other weights.
type RefStats struct {
	WeightsSHA256 string                `json:"weights_sha256"`
	Split         string                `json:"split"`
	Stats         metrics.GaussianStats `json:"stats"`
}

// EncodeRefStats writes r as gzipped JSON (float64 values round-trip
// exactly through encoding/json).
func EncodeRefStats(w io.Writer, r RefStats) error {
	zw := gzip.NewWriter(w)
	if err := json.NewEncoder(zw).Encode(r); err != nil {
		return fmt.Errorf("fidlenet: reference statistics: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("fidlenet: reference statistics: %w", err)
	}
	return nil
}

// DecodeRefStats reads gzipped JSON written by EncodeRefStats and validates
// the statistics.
func DecodeRefStats(r io.Reader) (RefStats, error) {
	var out RefStats
	zr, err := gzip.NewReader(r)
	if err != nil {
		return out, fmt.Errorf("fidlenet: reference statistics: %w", err)
	}
	defer zr.Close()
	if err := json.NewDecoder(zr).Decode(&out); err != nil {
		return out, fmt.Errorf("fidlenet: reference statistics: %w", err)
	}
	if err := out.Stats.Validate(); err != nil {
		return out, fmt.Errorf("fidlenet: reference statistics: %w", err)
	}
	return out, nil
}

// Reference returns the shipped statistics of the MNIST test split's
// features, after checking they were computed with the weights whose
// SHA-256 is sha (as returned by Load).
func Reference(sha string) (RefStats, error) {
	b, err := shipped.ReadFile("weights/" + ReferenceFile)
	if err != nil {
		return RefStats{}, fmt.Errorf("fidlenet: %w", err)
	}
	r, err := DecodeRefStats(bytes.NewReader(b))
	if err != nil {
		return r, err
	}
	if r.WeightsSHA256 != sha {
		return r, fmt.Errorf("fidlenet: %s was computed with weights %s, not %s", ReferenceFile, r.WeightsSHA256, sha)
	}
	return r, nil
}

// MinTestAccuracy is the test accuracy the shipped weights must reach
// (asserted by the package's tests from the stored weights).
const MinTestAccuracy = 0.99
