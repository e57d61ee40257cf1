package main

import (
	"testing"

	"genlab/experiments/internal/exptest"
)

// TestSameTaskTwoProcesses starts the same quick task in two toy2d
// processes at once: it is trained once, the other process waits for its
// lock and skips it, and both exit 0 (issue 14).
func TestSameTaskTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := exptest.Build(t, ".")
	exptest.SameTaskTwice(t, bin, experiment, []string{"-preset", "quick", "-seeds", "0", "-threads", "1"})
}
