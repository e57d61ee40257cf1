package internal

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genlab/data"
	"genlab/nn"
	"genlab/results"
)

// parseWith registers the common flags, DenoiserFlags and a float flag
// -sigma-data on a fresh flag set and parses args with Parse.
func parseWith(args ...string) (*flag.FlagSet, *Common, error) {
	fs := NewFlagSet("x")
	var c Common
	c.Register(fs)
	var d DenoiserFlags
	d.Register(fs)
	fs.Float64("sigma-data", 0, "")
	var s strings.Builder
	return fs, &c, Parse(fs, args, &s)
}

// TestParseRejectsNonFiniteFloats: -lr inf, -sigma-data nan|inf (and any
// other plain float flag) are refused at the edge with a usage error naming
// the flag, instead of failing later with exit 1.
func TestParseRejectsNonFiniteFloats(t *testing.T) {
	for _, args := range [][]string{{"-lr", "inf"}, {"-lr", "NaN"}, {"-sigma-data", "nan"}, {"-sigma-data", "+Inf"}, {"-sigma-data", "-inf"}} {
		_, _, err := parseWith(args...)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: %v, want a usage error naming %s", args, err, args[0])
		}
	}
	if _, _, err := parseWith("-lr", "1e-3", "-sigma-data", "0.5"); err != nil {
		t.Errorf("finite values: %v", err)
	}
}

// TestParseErrorNamesFlagAndElement: a comma list given to a one-value
// number flag, or a non-number, says which flag and which value, never a
// bare "parse error".
func TestParseErrorNamesFlagAndElement(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"-lr", "1e-3,2e-3"}, []string{"-lr", `"1e-3,2e-3"`, "one value"}},
		{[]string{"-batch", "1e8"}, []string{"-batch", `"1e8"`, "integer"}},
		{[]string{"-steps", "99999999999999999999"}, []string{"-steps", "out of range"}},
		{[]string{"-seeds", "0,x"}, []string{"seeds", `"x"`}},
		{[]string{"-heun-steps", "4,a"}, []string{"heun-steps", `"a"`}},
	} {
		_, _, err := parseWith(c.args...)
		if err == nil {
			t.Errorf("%v: accepted", c.args)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q does not contain %q", c.args, err, w)
			}
		}
		if strings.HasSuffix(err.Error(), "parse error") {
			t.Errorf("%v: bare parse error %q", c.args, err)
		}
	}
}

// TestThreadsLimit: -threads 100000 is refused (it killed the process by
// thread exhaustion); the largest allowed value is MaxThreads.
func TestThreadsLimit(t *testing.T) {
	if _, _, err := parseWith("-threads", "100000"); err == nil || !strings.Contains(err.Error(), "100000") {
		t.Errorf("-threads 100000: %v, want an error naming the value", err)
	}
	if _, c, err := parseWith("-threads", "1024"); err != nil || c.Threads != MaxThreads {
		t.Errorf("-threads 1024: %v, %d", err, c.Threads)
	}
}

// TestSizeFlagLimits: -hidden and -batch far above any preset are a usage
// error, not an out-of-memory kill.
func TestSizeFlagLimits(t *testing.T) {
	for _, args := range [][]string{{"-hidden", "100000000"}, {"-batch", "100000000"}, {"-steps", "9999999999"}} {
		_, _, err := parseWith(args...)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), args[0]) || !strings.Contains(err.Error(), args[1]) {
			t.Errorf("%v: %v, want a usage error naming the flag and value", args, err)
		}
	}
	if _, _, err := parseWith("-hidden", "4096", "-batch", "4096"); err != nil {
		t.Errorf("reasonable sizes refused: %v", err)
	}
}

// TestSeedsFullUint64Range: every uint64 is a valid seed, including
// 18446744073709551615 (refused as "not an integer" before), and ranges up
// to the maximum end there.
func TestSeedsFullUint64Range(t *testing.T) {
	var s Seeds
	if err := s.Set("18446744073709551615"); err != nil || len(s) != 1 || s[0] != math.MaxUint64 {
		t.Errorf("max uint64: %v %v", s, err)
	}
	if err := s.Set("18446744073709551614-18446744073709551615"); err != nil || len(s) != 2 || s[1] != math.MaxUint64 {
		t.Errorf("range to max uint64: %v %v", s, err)
	}
	for _, bad := range []string{"18446744073709551616", "-1", "1,-2", "3-1"} {
		if err := s.Set(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := s.Set("-1"); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("-1: %v, want negative", err)
	}
}

// TestHelpMarksSweepable: -h marks each comma-list flag (and only those).
func TestHelpMarksSweepable(t *testing.T) {
	fs := NewFlagSet("x")
	var c Common
	c.Register(fs)
	var d DenoiserFlags
	d.Register(fs)
	var ds Floats
	fs.Var(&ds, "D", "dims")
	var out strings.Builder
	if err := Parse(fs, []string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	h := out.String()
	for _, name := range []string{"seeds", "heun-steps", "D"} {
		if !strings.Contains(h, "-"+name+" ") || !strings.Contains(h[strings.Index(h, "-"+name+" "):], SweepTag) {
			t.Errorf("-%s not marked sweepable in\n%s", name, h)
		}
	}
	lrLine := h[strings.Index(h, "-lr "):]
	lrLine = lrLine[:strings.Index(lrLine[strings.Index(lrLine, "\n")+1:], "\n")+strings.Index(lrLine, "\n")+1]
	if strings.Contains(lrLine, SweepTag) {
		t.Errorf("-lr marked sweepable: %q", lrLine)
	}
}

// TestStringsCanon: aliases are mapped before duplicate checks, so
// "v,v_prediction" is one value twice.
func TestStringsCanon(t *testing.T) {
	canon := func(s string) (string, error) {
		if s == "v_prediction" {
			return "v", nil
		}
		return s, nil
	}
	v := Strings{Canon: canon, Allowed: []string{"v", "eps"}}
	if err := v.Set("v_prediction,eps"); err != nil || strings.Join(v.Values, ",") != "v,eps" {
		t.Errorf("got %v, %v", v.Values, err)
	}
	if err := v.Set("v,v_prediction"); err == nil {
		t.Error("v,v_prediction accepted as two values")
	}
}

// TestOutEmptyRefused: -out ” is bad input (it used to write into the
// working directory).
func TestOutEmptyRefused(t *testing.T) {
	fs, c, err := parseWith("-out", "")
	if err != nil {
		t.Fatal(err)
	}
	_ = fs
	r := c.Runner("demo", nil, nil)
	err = RunTasks(t.Context(), r, []Task[struct{}]{{Key: "k"}}, nil)
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "-out") {
		t.Errorf("-out '': %v, want a usage error naming -out", err)
	}
}

// TestCorruptCheckpointNamesFixAndForceGetsPast: a corrupt checkpoint fails
// its task with a message naming the directory and the fix, the other
// tasks still run, and -force clears the unfinished task so it reruns.
func TestCorruptCheckpointNamesFixAndForceGetsPast(t *testing.T) {
	type cfg struct {
		I int `json:"i"`
	}
	tasks, err := Expand(cfg{}, Values("i", []int{0, 1, 2}, func(c *cfg, v int) { c.I = v }))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	bad := tasks[1].Key
	fn := func(ctx context.Context, tk Task[cfg], d *results.Dir) (map[string]float64, error) {
		if b, err := os.ReadFile(d.Path("checkpoint.bin")); err == nil && string(b) == "garbage" {
			return nil, fmt.Errorf("resume: %w", nn.ErrCorrupt)
		}
		return map[string]float64{"i": float64(tk.Config.I)}, nil
	}
	d, err := results.Open(root, "toy", tasks[1].Config)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(d.Path("checkpoint.bin"), []byte("garbage"), 0o644)
	var out, errb strings.Builder
	r := Runner{Experiment: "toy", Out: root, Task: -1, Stdout: &out, Stderr: &errb}
	err = RunTasks(t.Context(), r, tasks, fn)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "-force") || !errors.Is(err, nn.ErrCorrupt) {
		t.Fatalf("corrupt checkpoint: %v", err)
	}
	if n := strings.Count(out.String(), "\n"); n != 2 {
		t.Errorf("%d tasks finished, want the 2 others:\n%s", n, out.String())
	}
	r.Force = true
	if err := RunTasks(t.Context(), r, tasks, fn); err != nil {
		t.Errorf("-force: %v", err)
	}
}

// TestEveryNumericFlagHasRange: the gaps a bad-flag sweep still found
// (-lr 1e18, -sigma-data 1e18, -k-lr 1e18, -width-N 99999999, negative
// rates) are usage errors naming flag and value, the ends of each range
// are accepted, and a numeric flag without a range is caught at Parse.
func TestEveryNumericFlagHasRange(t *testing.T) {
	newFS := func() *flag.FlagSet {
		fs := NewFlagSet("x")
		fs.Float64("lr", 0, "")
		fs.Float64("sigma-data", 0, "")
		fs.Float64("k-lr", 0.01, "")
		fs.Int("width-N", 128, "")
		return fs
	}
	for _, args := range [][]string{{"-lr", "1e18"}, {"-lr", "-0.1"}, {"-sigma-data", "1e18"}, {"-k-lr", "1e18"},
		{"-width-N", "99999999"}, {"-width-N", "0"}} {
		var s strings.Builder
		err := Parse(newFS(), args, &s)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), args[0]) || !strings.Contains(err.Error(), args[1]) {
			t.Errorf("%v: %v, want a usage error naming the flag and value", args, err)
		}
	}
	var s strings.Builder
	if err := Parse(newFS(), []string{"-lr", "1", "-sigma-data", "100", "-k-lr", "10", "-width-N", "65536"}, &s); err != nil {
		t.Errorf("the ends of the ranges refused: %v", err)
	}
	fs := NewFlagSet("x")
	fs.Int("no-such-range", 0, "")
	defer func() {
		if recover() == nil {
			t.Error("a numeric flag without a range passed Parse")
		}
	}()
	_ = Parse(fs, nil, &s)
}

// TestMNISTDataMalformedIsUsageError: idx files whose names are right but
// whose contents are not idx (kdiff-dimension exited 1 at task time) are a
// usage error naming -data-dir, before any task runs.
func TestMNISTDataMalformedIsUsageError(t *testing.T) {
	src, err := data.DefaultMNISTDir()
	if err != nil {
		t.Skip("no MNIST files (make data):", err)
	}
	dir := t.TempDir()
	for i, s := range []data.MNISTSplit{data.MNISTTrain, data.MNISTTest} {
		im, lb, err := data.MNISTFiles(s)
		if err != nil {
			t.Fatal(err)
		}
		for j, name := range []string{im, lb} {
			b, err := os.ReadFile(filepath.Join(src, name))
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 && j == 1 {
				b = []byte("not an idx file at all")
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, _, err = MNISTData(dir)
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "-data-dir") {
		t.Fatalf("malformed labels: %v, want a usage error naming -data-dir", err)
	}
	if _, _, err := MNISTData(src); err != nil {
		t.Fatalf("the real files: %v", err)
	}
}
