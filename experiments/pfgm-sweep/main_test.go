package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"genlab/experiments/internal"
	"genlab/results"
)

func TestBadFlagsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"-D", "0"}, {"-D", "-1"}, {"-D", "abc"}, {"-D", "1,0.5"}, {"-data", "nope"}, {"-data", "mnist-unet"}, {"-preset", "huge"}, {"-seeds", "x"}, {"extra"},
		{"-threads", "100000"}, {"-jobs", "100000"}, {"-seeds", "0", "-out", ""}, // issue 18: thread exhaustion, -out ''
	} {
		var out, errb bytes.Buffer
		code := runCode(context.Background(), append([]string{"-out", t.TempDir()}, args...), &out, &errb)
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
	if code := runCode(context.Background(), args, &out, &errb); code != 0 {
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
	if code := runCode(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("rerun exit %d: %s", code, errb.String())
	}
	if strings.Count(errb.String(), "finished earlier, skipped") != 2 || strings.Count(out.String(), `"cached":true`) != 2 {
		t.Errorf("rerun did not skip finished tasks: %s", errb.String())
	}
}

// TestCommonContract: pfgm-sweep keeps the contract of every experiment:
// -plan lists the tasks (index from 0) and runs nothing, stdout lines carry
// experiment, index, key, cached, config and result, meta.json records
// start, end, attempt and status, and -force -task i reruns task i alone.
func TestCommonContract(t *testing.T) {
	t.Setenv(internal.EnvSlurmArray, "")
	t.Setenv(internal.EnvK8sIndex, "")
	dir := t.TempDir()
	args := []string{"-preset", "quick", "-steps", "40", "-heun-steps", "4", "-D", "2,inf", "-out", dir}
	var out, errb bytes.Buffer
	if code := runCode(context.Background(), append([]string{"-plan"}, args...), &out, &errb); code != 0 {
		t.Fatalf("-plan exit %d: %s", code, errb.String())
	}
	plan := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(plan) != 2 || !strings.Contains(plan[0], `"index":0`) || !strings.Contains(plan[1], `"index":1`) {
		t.Fatalf("-plan printed %q", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, experiment)); err == nil {
		t.Fatal("-plan ran tasks")
	}
	out.Reset()
	if code := runCode(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var keys []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"experiment", "index", "key", "cached", "config", "result"} {
			if _, ok := m[f]; !ok {
				t.Fatalf("stdout line without %q: %s", f, l)
			}
		}
		keys = append(keys, m["key"].(string))
		meta, err := os.ReadFile(filepath.Join(dir, experiment, m["key"].(string), results.MetaFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{`"start"`, `"end"`, `"attempt": 1`, `"status": "done"`} {
			if !strings.Contains(string(meta), f) {
				t.Fatalf("meta.json without %s: %s", f, meta)
			}
		}
	}
	slices.Sort(keys)
	out.Reset()
	if code := runCode(context.Background(), append([]string{"-force", "-task", "1"}, args...), &out, &errb); code != 0 {
		t.Fatalf("-force exit %d: %s", code, errb.String())
	}
	if n := strings.Count(out.String(), "\n"); n != 1 || !strings.Contains(out.String(), `"cached":false`) || !strings.Contains(out.String(), keys[1]) {
		t.Fatalf("-force -task 1 printed %q", out.String())
	}
}

// runCode runs the binary's body with its exit code (internal.Run).
func runCode(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return internal.Run(ctx, experiment, args, stdout, stderr, run)
}

// TestMNISTKeyHashesContent: the MNIST data set is read from data/mnist
// above the working directory, and its task key hashes the files' content
// (issue 18): two directories holding different files of the same names
// give different keys, the same files the same key.
func TestMNISTKeyHashesContent(t *testing.T) {
	key := func(content string) string {
		dir := t.TempDir()
		mnist := filepath.Join(dir, "data", "mnist")
		if err := os.MkdirAll(mnist, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
			if err := os.WriteFile(filepath.Join(mnist, name), []byte(name+content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Chdir(dir)
		code, stdout, stderr := internal.Capture(experiment, []string{"-plan", "-preset", "quick", "-data", "mnist", "-D", "inf", "-out", t.TempDir()}, run)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return strings.SplitN(strings.SplitN(stdout, `"key":"`, 2)[1], `"`, 2)[0]
	}
	a, b, c := key("a"), key("a"), key("b")
	if a != b || a == c {
		t.Errorf("keys: same files %s, %s; other files of the same names %s", a, b, c)
	}
}
