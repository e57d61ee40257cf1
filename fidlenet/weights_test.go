package fidlenet

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/metrics"
)

func TestWeightsRoundTripAndCorruption(t *testing.T) {
	n, err := New(Config{C1: 2, C2: 3, Hidden: 5}, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	b := n.Encode()
	if len(b) != 8+12+4*n.NumParams() {
		t.Fatalf("encoded %d bytes, want %d", len(b), 8+12+4*n.NumParams())
	}
	m, sha, err := LoadBytes(b, SHA256Line(b))
	if err != nil {
		t.Fatal(err)
	}
	if sha != SHA256Hex(b) || !bytes.Equal(m.Encode(), b) || m.Config() != n.Config() {
		t.Fatal("decoded network differs from the encoded one")
	}
	flip := bytes.Clone(b)
	flip[len(flip)-1] ^= 1
	if _, _, err := LoadBytes(flip, SHA256Line(b)); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("one flipped bit: error %v, want a SHA-256 mismatch", err)
	}
	if _, err := Decode(b[:len(b)-4]); err == nil {
		t.Error("truncated weights decoded")
	}
	bad := bytes.Clone(b)
	bad[0] = 'X'
	if _, err := Decode(bad); err == nil {
		t.Error("wrong magic decoded")
	}
	nan := bytes.Clone(b)
	copy(nan[20:], []byte{0, 0, 0xc0, 0x7f}) // float32 NaN as the first parameter
	if _, err := Decode(nan); err == nil {
		t.Error("NaN weight decoded")
	}
}

func TestSeededInitIsBitIdentical(t *testing.T) {
	a, _ := New(DefaultConfig, rand.New(rand.NewPCG(0, 1)))
	b, _ := New(DefaultConfig, rand.New(rand.NewPCG(0, 1)))
	c, _ := New(DefaultConfig, rand.New(rand.NewPCG(1, 1)))
	if !bytes.Equal(a.Encode(), b.Encode()) || bytes.Equal(a.Encode(), c.Encode()) {
		t.Error("initialisation is not a function of the seed")
	}
	// He-normal scale of the largest layer: sample std within 3% of √(2/fan_in).
	w := a.w3.Data()
	var s2 float64
	for _, v := range w {
		s2 += float64(v) * float64(v)
	}
	want := math.Sqrt(2 / float64(49*DefaultConfig.C2))
	if got := math.Sqrt(s2 / float64(len(w))); math.Abs(got/want-1) > 0.03 {
		t.Errorf("fc1 weight std %v, want %v", got, want)
	}
}

func TestRefStatsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	x := mat.NewDense(50, 4, nil)
	for i := 0; i < 50; i++ {
		for j := 0; j < 4; j++ {
			x.Set(i, j, rng.NormFloat64()*float64(j+1)+1/3.0)
		}
	}
	r := RefStats{WeightsSHA256: "abc", Split: "test", Stats: metrics.FitGaussian(x)}
	var buf bytes.Buffer
	if err := EncodeRefStats(&buf, r); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeRefStats(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range r.Stats.Cov {
		if got.Stats.Cov[i] != v {
			t.Fatalf("cov[%d] = %v after the round trip, want %v (bit-exact)", i, got.Stats.Cov[i], v)
		}
	}
	if got.WeightsSHA256 != "abc" || got.Stats.N != 50 {
		t.Errorf("round trip lost fields: %+v", got)
	}
}
