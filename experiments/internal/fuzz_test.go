package internal

import (
	"errors"
	"flag"
	"math"
	"reflect"
	"testing"

	"genlab/internal/fuzzcheck"
)

// listBound is the allocation bound of a list flag: a range expands to at
// most maxRange values, each with its duplicate-check map entry.
const listBound = 160 * maxRange

// roundTrip is fuzzcheck.FlagRoundTrip with the list flags' bound.
func roundTrip[V any, P interface {
	*V
	flag.Value
}](t *testing.T, s string, eq func(a, b V) bool) {
	fuzzcheck.FlagRoundTrip[V, P](t, s, 64, listBound, eq)
}

func FuzzIntsFlag(f *testing.F) {
	for _, s := range []string{"1,2,5", "0-4", "0-2,10", "-3--1", "9223372036854775807", "0-1048575", "1,,2", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { roundTrip[Ints](t, s, fuzzcheck.DeepEq) })
}

func FuzzSeedsFlag(f *testing.F) {
	for _, s := range []string{"0,1,2", "0-4", "18446744073709551615", "18446744073709551614-18446744073709551615", "-1", "3-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { roundTrip[Seeds](t, s, fuzzcheck.DeepEq) })
}

func FuzzFloatsFlag(f *testing.F) {
	for _, s := range []string{"1,4,16,inf", "∞", "0.5,1e-3", "nan", "-inf", "1,1", "1e308,+Infinity"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		roundTrip[Floats](t, s, func(a, b Floats) bool {
			for i := range a {
				if math.IsNaN(a[i]) || a[i] != b[i] {
					return false
				}
			}
			return len(a) == len(b)
		})
	})
}

func FuzzStringsFlag(f *testing.F) {
	for _, s := range []string{"edm,eps", "v_prediction", "a,,b", " x , y "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v Strings
		if err := v.Set(s); err != nil {
			return
		}
		var w Strings
		if err := w.Set(v.String()); err != nil || !reflect.DeepEqual(v.Values, w.Values) {
			t.Fatalf("round trip of %q: %q → %q (%v)", s, v.Values, w.Values, err)
		}
	})
}

// FuzzParseCommandLine: Parse never panics on any one-flag command line,
// and whatever it refuses is a *UsageError naming the flag; -h and -help
// (with any value) ask for the usage text and return flag.ErrHelp.
func FuzzParseCommandLine(f *testing.F) {
	for _, a := range [][2]string{{"lr", "1e-3,2e-3"}, {"threads", "100000"}, {"seeds", "0-4"}, {"hidden", "1e8"}, {"sigma-data", "nan"}, {"out", ""}} {
		f.Add(a[0], a[1])
	}
	f.Fuzz(func(t *testing.T, name, val string) {
		_, _, err := parseWith("-"+name+"="+val, "-task", "0")
		if err == nil || (errors.Is(err, flag.ErrHelp) && (name == "h" || name == "help")) {
			return
		}
		if _, ok := err.(*UsageError); !ok {
			t.Fatalf("-%s=%q: %T %v, want a *UsageError", name, val, err, err)
		}
	})
}
