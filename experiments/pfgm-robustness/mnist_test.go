package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genlab/data"
	"genlab/experiments/internal"
	"genlab/experiments/internal/mnistrun"
	"genlab/results"
)

// tinyMNISTRun trains a small U-Net with the mnist experiment's own task
// code into out/mnist, as `go run ./experiments/mnist` would, and returns
// its configuration and key.
func tinyMNISTRun(t *testing.T, out string, steps int, d float64) (mnistrun.Config, string) {
	t.Helper()
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		t.Skipf("MNIST not present (%v): run scripts/mnist-data.sh to enable this test", err)
	}
	digest, err := data.MNISTDigest(dir)
	if err != nil {
		t.Fatal(err)
	}
	sets, err := mnistrun.LoadSets(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mnistrun.Preset(internal.Quick)
	cfg.Net, cfg.Channels, cfg.Data, cfg.D = "unet", 8, digest, mnistrun.AugD(d)
	cfg.Steps, cfg.Batch, cfg.NEval, cfg.EvalEvery, cfg.EvalN, cfg.HeunSteps = steps, 32, 64, 0, 0, []int{18}
	tasks, err := internal.Expand(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := internal.Runner{Experiment: "mnist", Out: out, Jobs: 1, Stdout: io.Discard, Stderr: io.Discard}
	err = internal.RunTasks(context.Background(), r, tasks, func(ctx context.Context, tk internal.Task[mnistrun.Config], d *results.Dir) (map[string]float64, error) {
		return mnistrun.RunTask(ctx, tk.Config, sets, d, io.Discard, internal.NewProgress(io.Discard, steps, "tiny"))
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, tasks[0].Key
}

// npyBody returns the data of an .npy file (after its header).
func npyBody(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 10 || string(b[1:6]) != "NUMPY" {
		t.Fatalf("%s: not an npy file", path)
	}
	return b[10+int(binary.LittleEndian.Uint16(b[8:10])):]
}

// The image sweep measures the mnist experiment's own model: its clean
// samples are the first samples of the mnist run (same per-sample prior
// draws, same EMA weights), α = 0 and the clean step count change nothing
// (ΔM exactly 0), 16-bit weights change fid_lenet only slightly, 2-bit
// weights and α = 0.5 change it, and a D without a finished run is a usage
// error that names the command to train it.
func TestMNISTUNetRobustness(t *testing.T) {
	out := t.TempDir()
	mcfg, key := tinyMNISTRun(t, out, 60, math.Inf(1))
	args := []string{"-preset", "quick", "-data", "mnist-unet", "-D", "inf", "-seeds", "0", "-steps", "60", "-n-eval", "48",
		"-alpha", "0,0.5", "-bits", "2,16", "-heun-steps", "18", "-out", out}
	var stdout, stderr bytes.Buffer
	if code := runCode(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	tab, err := results.Collect(out, experiment)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 1 {
		t.Fatalf("%d rows", len(tab.Rows))
	}
	get := func(c string) float64 {
		v, err := tab.Float(0, c)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if tab.Get(0, "mnist_key") != key {
		t.Errorf("mnist_key %q, want the run %q", tab.Get(0, "mnist_key"), key)
	}
	for _, c := range []string{"d_a0_fid_lenet", "d_n18_fid_lenet"} {
		if v := get(c); v != 0 {
			t.Errorf("%s = %v, want exactly 0", c, v)
		}
	}
	clean := get("clean_fid_lenet")
	if v := math.Abs(get("d_b16_fid_lenet")); v > 0.02*clean {
		t.Errorf("16-bit Δfid_lenet %v (clean %v)", v, clean)
	}
	for _, c := range []string{"d_b2_fid_lenet", "d_a0.5_fid_lenet"} {
		if v := get(c); v == 0 || math.IsNaN(v) {
			t.Errorf("%s = %v: the perturbation left the samples unchanged", c, v)
		}
	}
	if f := get("floor_fid_lenet"); !(f > 0 && f < clean) {
		t.Errorf("floor %v, clean %v", f, clean)
	}
	// The first 48 of the mnist run's 64 samples (Heun 18 too) are the clean
	// samples.
	robust := npyBody(t, filepath.Join(out, experiment, tab.Get(0, "key"), results.SamplesFile))
	orig := npyBody(t, filepath.Join(out, "mnist", key, results.SamplesFile))
	px := mcfg.Res * mcfg.Res
	if len(robust) != 48*px || !bytes.Equal(robust, orig[:48*px]) {
		t.Errorf("clean samples (%d bytes) are not the mnist run's first 48 (%d bytes)", len(robust), len(orig))
	}
	for _, f := range []string{"robust_alpha_mnist-unet_fid_lenet.png", "robust_bits_mnist-unet_fid_lenet.png", "summary.csv"} {
		if _, err := os.Stat(filepath.Join(out, experiment, f)); err != nil {
			t.Error(err)
		}
	}

	stderr.Reset()
	args[5] = "4,inf"
	if code := runCode(context.Background(), args, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "-noise pfgm -D 4 -seeds 0") {
		t.Errorf("D = 4 without a run: exit %d, %q; want 2 and the command to train it", code, stderr.String())
	}
}

// paired.csv pairs each finite D with EDM seed by seed: the mean of the
// per-seed differences, over the seeds both have.
func TestPairedAgainstEDM(t *testing.T) {
	tab := &results.Table{Columns: []string{"data", "D", "seed", "clean_fid_lenet", "d_a0.1_fid_lenet"}}
	for _, r := range [][]string{
		{"mnist-unet", "4", "0", "30", "5"}, {"mnist-unet", "4", "1", "32", "6"}, {"mnist-unet", "4", "2", "31", "4"},
		{"mnist-unet", "inf", "0", "29", "9"}, {"mnist-unet", "inf", "1", "30", "11"}, // seed 2 of EDM missing
	} {
		tab.Rows = append(tab.Rows, r)
	}
	p := pairedTable(tab)
	if len(p.Rows) != 2 {
		t.Fatalf("%d paired rows, want 2: %v", len(p.Rows), p.Rows)
	}
	for _, c := range []struct{ metric, mean string }{{"clean_fid_lenet", "1.5"}, {"d_a0.1_fid_lenet", "-4.5"}} {
		found := false
		for i := range p.Rows {
			if p.Get(i, "metric") == c.metric {
				found = true
				if p.Get(i, "mean_diff") != c.mean || p.Get(i, "n_pairs") != "2" || p.Get(i, "arm") != "D=4" {
					t.Errorf("%s: %v, want mean %s over 2 pairs", c.metric, p.Rows[i], c.mean)
				}
			}
		}
		if !found {
			t.Errorf("no row for %s", c.metric)
		}
	}
}
