package kdiff

import (
	"testing"

	"genlab/internal/fuzzcheck"
)

// FuzzKsFlag: -k values parse or are refused without panicking or
// allocating beyond the input; every accepted k is learned or in [0,1], and
// the list prints as it reads.
func FuzzKsFlag(f *testing.F) {
	for _, s := range []string{"0,0.5,1,learn", "eps,v_prediction,sample", "0.88", "1.5", "nan", "-0", "learn,,1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ks, _ := fuzzcheck.FlagRoundTrip[Ks](t, s, 256, 1<<16, fuzzcheck.DeepEq[Ks])
		for _, k := range ks {
			if !k.Learned && !(k.Value >= 0 && k.Value <= 1) {
				t.Fatalf("%q: accepted k %v", s, k)
			}
		}
	})
}
