package pfgm

import (
	"testing"

	"genlab/internal/fuzzcheck"
)

// FuzzDsFlag: -D values parse or are refused without panicking or
// allocating beyond the input; every accepted D is a valid kernel, and the
// list prints as it reads.
func FuzzDsFlag(f *testing.F) {
	for _, s := range []string{"1,4,16,inf", "∞", "0.5", "-1", "nan", "1e308,+inf", "2,,3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ds, _ := fuzzcheck.FlagRoundTrip[Ds](t, s, 256, 1<<16, fuzzcheck.DeepEq[Ds])
		for _, d := range ds {
			if err := (Kernel{D: d}).Validate(); err != nil {
				t.Fatalf("%q: accepted D %v: %v", s, d, err)
			}
		}
	})
}
