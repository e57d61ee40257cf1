package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadFlagsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"-D", "0"}, {"-D", "-1"}, {"-D", "abc"}, {"-D", "1,0.5"}, {"-data", "nope"}, {"-preset", "huge"}, {"-seeds", "x"}, {"extra"},
		{"-threads", "100000"}, {"-jobs", "100000"}, {"-seeds", "0", "-out", ""}, // issue 18: thread exhaustion, -out ''
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"-out", t.TempDir()}, args...), &out, &errb)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
		if lines := strings.Count(strings.TrimSpace(errb.String()), "\n"); lines != 0 || !strings.Contains(errb.String(), args[len(args)-1]) {
			t.Errorf("%v: stderr %q: want one line naming the value", args, errb.String())
		}
	}
}

// TestQuickRunsAndResumes runs a shortened quick sweep end to end, checks
// its outputs, and that a rerun skips the finished tasks.
func TestQuickRunsAndResumes(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-preset", "quick", "-steps", "60", "-D", "2,inf", "-out", dir}
	var out, errb bytes.Buffer
	if code := run(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if n := strings.Count(out.String(), "\n"); n != 2 {
		t.Errorf("%d stdout lines, want 2", n)
	}
	for _, f := range []string{"summary.csv", "sweep_ring8_sw1.png", "sweep_ring8_far_share.png"} {
		if _, err := os.Stat(filepath.Join(dir, experiment, f)); err != nil {
			t.Error(err)
		}
	}
	errb.Reset()
	out.Reset()
	if code := run(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("rerun exit %d: %s", code, errb.String())
	}
	if strings.Count(errb.String(), "already done") != 2 {
		t.Errorf("rerun did not skip finished tasks: %s", errb.String())
	}
}
