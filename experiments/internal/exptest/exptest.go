// Package exptest holds the checks that the tests of every experiment
// binary share. It is imported only from _test files.
package exptest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genlab/experiments/internal"
	"genlab/results"
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

// Line is one task's JSON line on an experiment's standard output.
type Line struct {
	Key    string         `json:"key"`
	Label  string         `json:"label"`
	Cached bool           `json:"cached"`
	Config map[string]any `json:"config"`
	Result Metrics        `json:"result"`
}

// Metrics is a task line's result: numbers, with the strings "nan", "inf"
// and "-inf" the encoder writes for non-finite values read back as such
// (e.g. kid_std_x1e3 is NaN with one distinct KID subset).
type Metrics map[string]float64

// UnmarshalJSON implements json.Unmarshaler.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = make(Metrics, len(raw))
	for k, v := range raw {
		f, ok := results.ParseNumber(v)
		if !ok {
			return fmt.Errorf("result %s: %v is not a number", k, v)
		}
		(*m)[k] = f
	}
	return nil
}

// Run runs the experiment with args, fails the test unless it exits 0, and
// returns its stdout parsed into one Line per task; every line must carry a
// label other than its key.
func Run(t testing.TB, name string, run internal.RunFunc, args ...string) []Line {
	t.Helper()
	code, stdout, stderr := internal.Capture(name, args, run)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	var out []Line
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var ln Line
		if err := json.Unmarshal([]byte(l), &ln); err != nil {
			t.Fatalf("stdout line %q: %v", l, err)
		}
		if ln.Label == "" || ln.Label == ln.Key {
			t.Errorf("stdout line of task %s: label %q, want a human label of its swept values", ln.Key, ln.Label)
		}
		out = append(out, ln)
	}
	return out
}

// Files reports every named file missing from dir.
func Files(t testing.TB, dir string, names ...string) {
	t.Helper()
	for _, f := range names {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}

// RunOne is Run for a command that runs exactly one task.
func RunOne(t testing.TB, name string, run internal.RunFunc, args ...string) Line {
	t.Helper()
	lines := Run(t, name, run, args...)
	if len(lines) != 1 {
		t.Fatalf("%v: %d task lines, want 1", args, len(lines))
	}
	return lines[0]
}
