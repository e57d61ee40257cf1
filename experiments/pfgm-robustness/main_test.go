package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genlab/experiments/internal"
	"genlab/results"
)

func TestBadFlagsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"-D", "0"}, {"-D", "-1"}, {"-D", "abc"}, {"-alpha", "-0.1"}, {"-alpha", "inf"}, {"-bits", "0"}, {"-n-eval", "2"}, {"-data", "mnist-unet", "-D", "inf"}, {"-heun-steps", "0"}, {"-steps", "-1"}, {"-data", "nope"}, {"-preset", "x"},
	} {
		var out, errb bytes.Buffer
		code := runCode(context.Background(), append(args, "-out", t.TempDir()), &out, &errb)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
		if strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
			t.Errorf("%v: stderr %q: want one line", args, errb.String())
		}
	}
}

// TestRobustnessInvariants runs a short sweep and checks the protocol's
// invariants: α = 0 and n = clean steps reproduce the clean samples exactly
// (ΔM = 0), 16-bit weights change them only slightly, and 1-bit weights
// and α = 0.3 change them.
func TestRobustnessInvariants(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-preset", "quick", "-steps", "150", "-D", "4,inf", "-alpha", "0,0.3", "-bits", "1,16", "-heun-steps", "3,18", "-out", dir}
	var out, errb bytes.Buffer
	if code := runCode(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	tab, err := results.Collect(dir, experiment)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 2 {
		t.Fatalf("%d rows", len(tab.Rows))
	}
	for i := range tab.Rows {
		get := func(c string) float64 {
			v, err := tab.Float(i, c)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		for _, c := range []string{"d_a0_sw1", "d_n18_sw1", "d_a0_mmd2"} {
			if v := get(c); v != 0 {
				t.Errorf("row %d: %s = %v, want exactly 0", i, c, v)
			}
		}
		if v, ref := math.Abs(get("d_b16_sw1")), get("clean_sw1"); v > 0.02*ref {
			t.Errorf("row %d: 16-bit Δsw1 = %v (clean %v)", i, v, ref)
		}
		if v := get("d_b1_sw1"); v == 0 {
			t.Errorf("row %d: 1-bit weights left the samples unchanged", i)
		}
		if v := get("d_a0.3_sw1"); v == 0 {
			t.Errorf("row %d: α = 0.3 left the samples unchanged", i)
		}
	}
	for _, f := range []string{"robust_alpha_ring8_sw1.png", "robust_bits_ring8_mmd2.png", "robust_steps_ring8_sw1.png"} {
		if _, err := os.Stat(filepath.Join(dir, experiment, f)); err != nil {
			t.Error(err)
		}
	}
}

// runCode runs the binary's body with its exit code (internal.Run).
func runCode(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return internal.Run(ctx, experiment, args, stdout, stderr, run)
}
