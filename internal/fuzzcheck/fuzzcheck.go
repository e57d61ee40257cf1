// Package fuzzcheck holds the assertions genlab's fuzz targets share beyond
// "no panic": that a reader's allocation is bounded by its input.
package fuzzcheck

import (
	"flag"
	"reflect"
	"runtime"
	"testing"
)

// Bounded calls read and fails t if it allocated more than
// perByte·inputLen + slack bytes in all (runtime.MemStats.TotalAlloc). It
// must not run in parallel with other allocating code of the same process
// (fuzz workers are separate processes).
func Bounded(t testing.TB, inputLen int, perByte, slack uint64, read func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	read()
	runtime.ReadMemStats(&after)
	if a := after.TotalAlloc - before.TotalAlloc; a > perByte*uint64(inputLen)+slack {
		t.Fatalf("allocated %d bytes for %d bytes of input (bound %d·n + %d)", a, inputLen, perByte, slack)
	}
}

// FlagRoundTrip sets a fresh flag value of type V from s, failing t if that
// allocates more than perByte·len(s) + slack bytes. When s is accepted, the
// value's String() must be accepted again and give a value eq to it (a
// flag prints what it reads). It returns the value and whether s was
// accepted.
func FlagRoundTrip[V any, P interface {
	*V
	flag.Value
}](t testing.TB, s string, perByte, slack uint64, eq func(a, b V) bool) (V, bool) {
	t.Helper()
	var v V
	var err error
	Bounded(t, len(s), perByte, slack, func() { err = P(&v).Set(s) })
	if err != nil {
		return v, false
	}
	var w V
	if err := P(&w).Set(P(&v).String()); err != nil {
		t.Fatalf("Set(%q) ok, but its String %q is refused: %v", s, P(&v).String(), err)
	}
	if !eq(v, w) {
		t.Fatalf("round trip of %q: %v → %v", s, v, w)
	}
	return v, true
}

// DeepEq is reflect.DeepEqual as FlagRoundTrip's eq, for values whose
// round trip must be exact.
func DeepEq[V any](a, b V) bool { return reflect.DeepEqual(a, b) }
