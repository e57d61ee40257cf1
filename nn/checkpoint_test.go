package nn

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testCheckpoint(t *testing.T) (*Checkpoint, Model) {
	t.Helper()
	m, _ := NewMLP(MLPConfig{In: 2, Out: 1, Hidden: 8, Layers: 2, Fourier: 2}, newRand(30))
	randomizeParams(m, 1, newRand(31))
	const batch = 8
	tr, _ := NewTrainer(m, batch, AdamConfig{})
	defer tr.Close()
	x, c, target, weight := tinyRegression(batch, 32)
	tr.Step(x, c, target, weight)
	e := NewEMA(m)
	mm, vv, st := tr.AdamState()
	return &Checkpoint{Step: 1234, Params: GetParams(m), EMA: GetParams(e.Model()), AdamM: mm, AdamV: vv, AdamStep: st,
		Extra: []byte(`{"rng":42}`)}, m
}

func equalLists(a, b [][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func TestCheckpointRoundTrip(t *testing.T) {
	ck, _ := testCheckpoint(t)
	path := filepath.Join(t.TempDir(), "ckpt.bin")
	if err := WriteCheckpoint(path, ck); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Step != ck.Step || got.AdamStep != ck.AdamStep || !bytes.Equal(got.Extra, ck.Extra) ||
		!equalLists(got.Params, ck.Params) || !equalLists(got.EMA, ck.EMA) ||
		!equalLists(got.AdamM, ck.AdamM) || !equalLists(got.AdamV, ck.AdamV) {
		t.Fatal("checkpoint did not round-trip")
	}
	// Overwriting is atomic and leaves no temporary files behind.
	ck.Step++
	if err := WriteCheckpoint(path, ck); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries after two writes", len(ents))
	}
}

func TestCheckpointCorruptionRefused(t *testing.T) {
	ck, _ := testCheckpoint(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.bin")
	if err := WriteCheckpoint(good, ck); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	cases := map[string][]byte{
		"empty":     {},
		"header":    data[:10],
		"truncated": data[:len(data)-1],
		"half":      data[:len(data)/2],
		"trailing":  append(append([]byte(nil), data...), 0),
	}
	for _, pos := range []int{0, 9, 20, len(data) / 2, len(data) - 40, len(data) - 1} {
		b := append([]byte(nil), data...)
		b[pos] ^= 0x10
		cases[fmt.Sprintf("bitflip@%d", pos)] = b
	}
	for name, b := range cases {
		path := filepath.Join(dir, "bad.bin")
		os.WriteFile(path, b, 0o644)
		_, err := ReadCheckpoint(path)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	if _, err := ReadCheckpoint(filepath.Join(dir, "missing.bin")); err == nil || errors.Is(err, ErrCorrupt) {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestSaveLoadParams(t *testing.T) {
	_, m := testCheckpoint(t)
	var buf bytes.Buffer
	if err := SaveParams(&buf, m); err != nil {
		t.Fatal(err)
	}
	saved := buf.Bytes()
	// A model built from another seed (other frequencies too) becomes identical.
	m2, _ := NewMLP(MLPConfig{In: 2, Out: 1, Hidden: 8, Layers: 2, Fourier: 2}, newRand(99))
	if err := LoadParams(bytes.NewReader(saved), m2); err != nil {
		t.Fatal(err)
	}
	if !equalLists(GetParams(m), GetParams(m2)) {
		t.Fatal("LoadParams did not restore the parameters")
	}
	// Shape mismatch and corruption are refused without touching the model.
	m3, _ := NewMLP(MLPConfig{In: 2, Out: 1, Hidden: 9, Layers: 2, Fourier: 2}, newRand(1))
	before := GetParams(m3)
	if err := LoadParams(bytes.NewReader(saved), m3); err == nil {
		t.Fatal("LoadParams accepted a different architecture")
	}
	if !equalLists(before, GetParams(m3)) {
		t.Fatal("failed LoadParams modified the model")
	}
	bad := append([]byte(nil), saved...)
	bad[len(bad)/2] ^= 1
	if err := LoadParams(bytes.NewReader(bad), m2); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("bit flip: err = %v", err)
	}
	if err := SetParams(m2, GetParams(m3)); err == nil {
		t.Fatal("SetParams accepted wrong shapes")
	}
}
