// Package exptest holds the checks that the tests of every experiment
// binary share. It is imported only from _test files.
package exptest

import (
	"strings"
	"testing"

	"genlab/experiments/internal"
)

// UsageError runs the experiment with args and asserts the bad-input
// contract: exit code 2 and exactly one line on stderr, which contains every
// string in want (typically the flag's name and the bad value).
func UsageError(t testing.TB, name string, run internal.RunFunc, args []string, want ...string) {
	t.Helper()
	code, _, stderr := internal.Capture(name, args, run)
	if code != internal.ExitUsage {
		t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, internal.ExitUsage, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	ok := len(lines) == 1
	for _, w := range want {
		ok = ok && strings.Contains(lines[0], w)
	}
	if !ok {
		t.Errorf("%v: stderr %q: want one line naming %q", args, stderr, want)
	}
}
