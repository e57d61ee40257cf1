package cputime

import (
	"runtime"
	"testing"
	"time"
)

// A fixed amount of work (10⁸ dependent multiply-adds, ≥ 0.1 s on any
// current CPU) raises the process CPU time by at least 20 ms whatever the
// load; 200 ms of sleep raises it by far less.
func TestProcessCountsWorkNotSleep(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no getrusage")
	}
	c0 := Process()
	x := 1.0
	for i := 0; i < 100_000_000; i++ {
		x = x*1.0000001 + 1e-9
	}
	if busy := Process() - c0; busy < 20*time.Millisecond || x == 0 {
		t.Errorf("10⁸ multiply-adds counted %v of CPU", busy)
	}
	c1 := Process()
	time.Sleep(200 * time.Millisecond)
	if idle := Process() - c1; idle > 50*time.Millisecond {
		t.Errorf("200 ms of sleep counted %v of CPU", idle)
	}
}
