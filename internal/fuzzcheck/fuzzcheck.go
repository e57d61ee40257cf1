// Package fuzzcheck holds the assertions genlab's fuzz targets share beyond
// "no panic": that a reader's allocation is bounded by its input.
package fuzzcheck

import (
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
