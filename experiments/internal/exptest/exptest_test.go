package exptest

import (
	"context"
	"fmt"
	"io"
	"testing"

	"genlab/experiments/internal"
)

// fakeT records failures instead of failing the real test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }

func TestUsageError(t *testing.T) {
	run := func(_ context.Context, args []string, _, stderr io.Writer) error {
		switch args[0] {
		case "usage":
			return internal.Usagef("-x %q: bad", args[1])
		case "twolines":
			fmt.Fprintln(stderr, "noise")
			return internal.Usagef("-x %q: bad", args[1])
		case "runtime":
			return fmt.Errorf("-x %q: broke", args[1])
		}
		return nil
	}
	for _, tc := range []struct {
		args []string
		fail bool
	}{
		{[]string{"usage", "v"}, false},
		{[]string{"twolines", "v"}, true}, // two lines on stderr
		{[]string{"runtime", "v"}, true},  // exit 1, not 2
		{[]string{"ok", "v"}, true},       // exit 0
	} {
		f := &fakeT{}
		UsageError(f, "exp", run, tc.args, "x", tc.args[1])
		if f.failed != tc.fail {
			t.Errorf("%v: failed = %v, want %v", tc.args, f.failed, tc.fail)
		}
	}
	f := &fakeT{}
	UsageError(f, "exp", run, []string{"usage", "v"}, "missing")
	if !f.failed {
		t.Error("a missing word passed")
	}
}
