package results

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"genlab/internal/fuzzcheck"
)

// addJSONSeeds seeds f with the result.json or config.json files of the
// runs under ../runs (real files, when a run has been made) and with src.
func addJSONSeeds(f *testing.F, name string, src ...string) {
	files, _ := filepath.Glob(filepath.Join("..", "runs", "*", "*", name))
	for i, p := range files {
		if i == 20 {
			break
		}
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range src {
		f.Add([]byte(s))
	}
}

// FuzzDecodeResult: any bytes decode or are refused, allocating about the
// input at most; the numbers of an accepted result.json, written by
// encodeResult, read back equal (NaN and ±Inf included) with a valid
// checksum.
func FuzzDecodeResult(f *testing.F) {
	b, _ := encodeResult(map[string]any{"fid": 1.5, "kid_std": math.NaN(), "d": math.Inf(1), KeyField: "0123456789ab", "note": "x"})
	addJSONSeeds(f, ResultFile, string(b), `{"config_key":"k","m":1e308,"n":"-inf"}`, `{"a":[1,{"b":2}]}`, `[]`, `null`, `{"a":1}{"b":2}`)
	f.Fuzz(func(t *testing.T, in []byte) {
		var m map[string]any
		var err error
		fuzzcheck.Bounded(t, len(in), 64, 1<<20, func() { m, err = decodeResult(in) })
		if err != nil {
			return
		}
		nums := map[string]any{}
		for k, v := range m {
			if x, ok := parseNumber(v); ok {
				nums[k] = x
			}
		}
		b, err := encodeResult(nums)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		back, err := decodeResult(b)
		if err != nil {
			t.Fatalf("re-reading %s: %v", b, err)
		}
		if len(back) != len(nums) {
			t.Fatalf("round trip: %d fields, want %d", len(back), len(nums))
		}
		for k, v := range nums {
			x, ok := parseNumber(back[k])
			w := v.(float64)
			if !ok || !(x == w || math.IsNaN(x) && math.IsNaN(w)) {
				t.Fatalf("round trip %s: %v → %v", k, w, back[k])
			}
		}
	})
}

// FuzzDecodeConfig: any bytes decode or are refused, allocating about the
// input at most; an accepted config re-encodes canonically and decodes to
// the same tree, and its canonical form is a fixed point.
func FuzzDecodeConfig(f *testing.F) {
	addJSONSeeds(f, ConfigFile, `{"D":"inf","seed":3,"heun_steps":[18,4],"train":{"lr":0.001}}`, `{"a":null,"b":true,"c":"\u00e9"}`, `{"x":1e400}`)
	f.Fuzz(func(t *testing.T, in []byte) {
		var cfg map[string]any
		var err error
		fuzzcheck.Bounded(t, len(in), 64, 1<<20, func() { cfg, err = decodeConfig(in) })
		if err != nil {
			return
		}
		b, err := CanonicalIndent(cfg)
		if err != nil {
			return // numbers beyond float64 (1e400) are refused by the writer
		}
		back, err := decodeConfig(b)
		if err != nil {
			t.Fatalf("re-reading %s: %v", b, err)
		}
		b2, err := CanonicalIndent(back)
		if err != nil || string(b2) != string(b) {
			t.Fatalf("canonical form not a fixed point:\n%s\n%s (%v)", b, b2, err)
		}
		if !reflect.DeepEqual(flat(back), flat(cfg)) {
			t.Fatalf("round trip: %q → %q", flat(cfg), flat(back))
		}
	})
}

// flat flattens a decoded config as Collect does (cells as strings).
func flat(cfg map[string]any) map[string]string {
	out := map[string]string{}
	flatten("", cfg, out)
	return out
}
