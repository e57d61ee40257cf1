package internal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"genlab/results"
)

// demoRun is a small experiment binary over sweepCfg, shaped like every
// genlab experiment (Common flags, Expand, RunTasks, Finish): -D and
// -seeds sweep, -verbose is a bool flag of its own; its command line is
// recorded as if it had been started as /opt/genlab/bin/demo.
func demoRun(fn TaskFunc[sweepCfg]) RunFunc {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		var c Common
		fs := NewFlagSet("demo")
		c.Register(fs)
		D := Floats{4, math.Inf(1)}
		fs.Var(&D, "D", "augmented dimensions")
		fs.Bool("verbose", false, "a bool flag of the experiment")
		if err := Parse(fs, args, stderr); err != nil {
			return err
		}
		tasks, err := Expand(sweepCfg{Method: "toy", Steps: 3},
			Values("D", []float64(D), func(c *sweepCfg, v float64) { c.D = v }),
			Values("seed", []uint64(c.Seeds), func(c *sweepCfg, v uint64) { c.Seed = v }))
		if err != nil {
			return err
		}
		r := c.Runner("demo", stdout, stderr)
		r.Args = append([]string{"/opt/genlab/bin/demo"}, args...)
		if err := RunTasks(ctx, r, tasks, fn); err != nil || c.Plan {
			return err
		}
		return Finish(r, nil)
	}
}

// scoreTask is a task that finishes at once, failing the task whose D is
// failD.
func scoreTask(failD float64) TaskFunc[sweepCfg] {
	return func(ctx context.Context, t Task[sweepCfg], d *results.Dir) (map[string]float64, error) {
		if t.Config.D == failD {
			return nil, errors.New("non-finite loss")
		}
		return map[string]float64{"score": t.Config.D + float64(t.Config.Seed)}, nil
	}
}

func TestClusterFlagsReject(t *testing.T) {
	run := demoRun(scoreTask(-1))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-emit", "slurm", "-task", "3"}, "-emit slurm with -task"},
		{[]string{"-emit", "k8s", "-plan"}, "-emit k8s with -plan"},
		{[]string{"-emit", "slurm", "-force"}, "-emit slurm with -force"},
		{[]string{"-emit", "slurm", "-collect"}, "-emit slurm with -collect"},
		{[]string{"-collect", "-task", "0"}, "-collect with -task"},
		{[]string{"-collect", "-force"}, "-collect with -force"},
		{[]string{"-emit", "pbs"}, `"pbs" is not slurm or k8s`},
		{[]string{"-max-running", "3"}, "-max-running: only with -emit slurm"},
		{[]string{"-emit", "k8s", "-max-running", "3"}, "-max-running: only with -emit slurm"},
		{[]string{"-emit", "slurm", "-image", "x"}, "-image: only with -emit k8s"},
		{[]string{"-parallelism", "2"}, "-parallelism: only with -emit k8s"},
		{[]string{"-emit", "k8s", "-parallelism", "0"}, `"0" is not an integer ≥ 1`},
		{[]string{"-emit", "slurm", "-max-running", "-1"}, `"-1" is not an integer ≥ 0`},
	} {
		code, stdout, stderr := Capture("demo", append(tc.args, "-out", t.TempDir()), run)
		if code != ExitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
}

func TestEmitSlurm(t *testing.T) {
	t.Setenv(EnvSlurmArray, "")
	root := t.TempDir()
	out := filepath.Join(root, "runs")
	code, stdout, stderr := Capture("demo", []string{"-verbose", "-D", "1,4,16", "-seeds", "0-1", "-threads", "3",
		"-out", out, "-emit", "slurm", "-max-running", "2", "-preset", "quick"}, demoRun(scoreTask(-1)))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	logs := filepath.Join(out, "demo", SlurmLogDir)
	for _, want := range []string{
		"#!/bin/bash\n",
		"#SBATCH --array=0-5%2\n", // 3 D × 2 seeds
		"#SBATCH --cpus-per-task=3\n",
		"#SBATCH --output=" + logs + "/task-%a.out\n",
		"#SBATCH --error=" + logs + "/task-%a.err\n",
		"#SBATCH --requeue\n",
		"export OPENBLAS_NUM_THREADS=1\n",
		// the same command, cluster flags dropped, -out absolute, bool flag kept alone
		"\nexec /opt/genlab/bin/demo -verbose -D 1,4,16 -seeds 0-1 -threads 3 -out=" + out + " -preset quick\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("script lacks %q:\n%s", want, stdout)
		}
	}
	if st, err := os.Stat(logs); err != nil || !st.IsDir() {
		t.Errorf("log directory %s not created: %v", logs, err)
	}
	if ents, _ := os.ReadDir(filepath.Join(out, "demo")); len(ents) != 1 {
		t.Errorf("-emit ran something: %d entries in the experiment directory", len(ents))
	}
	if _, err := os.Stat(filepath.Join(out, results.IndexFile)); err == nil {
		t.Error("-emit wrote index.html")
	}
	// bash accepts it
	f := filepath.Join(root, "s.sbatch")
	if err := os.WriteFile(f, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("bash", "-n", f).CombinedOutput(); err != nil {
		t.Errorf("bash -n: %v %s", err, b)
	}

	// without -threads, one CPU and -threads=1
	_, stdout, _ = Capture("demo", []string{"-out", out, "-emit", "slurm"}, demoRun(scoreTask(-1)))
	if !strings.Contains(stdout, "--cpus-per-task=1\n") || !strings.Contains(stdout, " -threads=1\n") || !strings.Contains(stdout, "--array=0-5\n") {
		t.Errorf("default threads / no throttle:\n%s", stdout)
	}
}

func TestEmitK8s(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := Capture("demo", []string{"-seeds", "0-2", "-out", out, "-emit", "k8s", "-parallelism", "3", "-image", "reg/genlab:v1", "-threads", "2"}, demoRun(scoreTask(-1)))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"kind: Job\n", "completionMode: Indexed\n", "completions: 6\n", "parallelism: 3\n",
		`image: "reg/genlab:v1"`,
		`command: ["demo", "-seeds", "0-2", "-out=/runs", "-threads", "2"]`,
		"cpu: \"2\"", "claimName: genlab-runs", "mountPath: /runs",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("manifest lacks %q:\n%s", want, stdout)
		}
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("-emit k8s wrote into -out: %v", ents)
	}
}

func TestRewriteArgs(t *testing.T) {
	fs := NewFlagSet("x")
	var c Common
	c.Register(fs)
	fs.Bool("verbose", false, "")
	fs.String("data", "", "")
	got := rewriteArgs([]string{"--verbose", "-data", "-emit", "-emit", "slurm", "-collect", "-max-running=3", "--out", "x", "-image", "i", "--", "-y"}, fs, "/abs")
	want := []string{"--verbose", "-data", "-emit", "-out=/abs", "--", "-y"} // -data's value is "-emit"
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rewriteArgs = %q, want %q", got, want)
	}
	if got := rewriteArgs([]string{"-seeds", "0"}, fs, "/r"); fmt.Sprint(got) != "[-seeds 0 -out=/r]" {
		t.Errorf("no -out: %q", got)
	}
	if q := shellLine("a b", "it's", "-D=1,2", ""); q != `'a b' 'it'\''s' -D=1,2 ''` {
		t.Errorf("shellLine = %s", q)
	}
}

func TestArrayList(t *testing.T) {
	for _, tc := range []struct {
		idx  []int
		want string
	}{{[]int{3}, "3"}, {[]int{0, 1, 2, 3}, "0-3"}, {[]int{0, 2, 3, 7, 9, 10}, "0,2-3,7,9-10"}, {nil, ""}} {
		if got := ArrayList(tc.idx); got != tc.want {
			t.Errorf("ArrayList(%v) = %q, want %q", tc.idx, got, tc.want)
		}
	}
}

func TestCollect(t *testing.T) {
	t.Setenv(EnvSlurmArray, "")
	t.Setenv(EnvK8sIndex, "")
	out := t.TempDir()
	args := []string{"-D", "1,4", "-seeds", "0-1", "-out", out}
	tasks, err := Expand(sweepCfg{Method: "toy", Steps: 3},
		Values("D", []float64{1, 4}, func(c *sweepCfg, v float64) { c.D = v }),
		Values("seed", []uint64{0, 1}, func(c *sweepCfg, v uint64) { c.Seed = v }))
	if err != nil {
		t.Fatal(err)
	}
	var failed []int
	for _, tk := range tasks {
		if tk.Config.D == 4 {
			failed = append(failed, tk.Index)
		}
	}
	// nothing has run: every task is missing, nothing is written
	code, stdout, stderr := Capture("demo", append(args, "-collect"), demoRun(scoreTask(-1)))
	if code != ExitFailure || stdout != "" || !strings.Contains(stderr, "4 of 4 tasks missing (0-3): resubmit them with sbatch --array=0-3") ||
		strings.Count(stderr, "missing: not started") != 4 {
		t.Fatalf("empty collect: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	// the D=4 tasks fail: the others finish
	if code, _, stderr := Capture("demo", args, demoRun(scoreTask(4))); code != ExitFailure {
		t.Fatalf("sweep with failures: exit %d: %s", code, stderr)
	}
	summary := filepath.Join(out, "demo", results.SummaryFile)
	os.Remove(summary)
	os.Remove(filepath.Join(out, results.IndexFile))
	code, stdout, stderr = Capture("demo", append(args, "-collect"), demoRun(func(context.Context, Task[sweepCfg], *results.Dir) (map[string]float64, error) {
		t.Error("-collect ran a task")
		return nil, nil
	}))
	list := ArrayList(failed)
	if code != ExitFailure || strings.Count(stdout, `"cached":true`) != 2 ||
		strings.Count(stderr, "failed: non-finite loss") != 2 || !strings.Contains(stderr, "--array="+list+" ") {
		t.Fatalf("collect: exit %d, stdout %s, stderr %s (want --array=%s)", code, stdout, stderr, list)
	}
	b, err := os.ReadFile(summary)
	if err != nil || strings.Count(string(b), "\n") != 3 {
		t.Fatalf("summary.csv after -collect: %v\n%s", err, b)
	}
	if _, err := os.Stat(filepath.Join(out, results.IndexFile)); err != nil {
		t.Fatal("-collect wrote no index.html")
	}
	// rerun the missing ones with -task, as the message says; then collect passes
	for _, i := range failed {
		if code, _, stderr := Capture("demo", append(args, "-task", fmt.Sprint(i)), demoRun(scoreTask(-1))); code != 0 {
			t.Fatalf("-task %d: exit %d: %s", i, code, stderr)
		}
	}
	code, stdout, stderr = Capture("demo", append(args, "-collect"), demoRun(scoreTask(-1)))
	if code != 0 || strings.Count(stdout, `"cached":true`) != 4 || !strings.Contains(stderr, "4 of 4 tasks finished") {
		t.Fatalf("final collect: exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
	if b, _ := os.ReadFile(summary); strings.Count(string(b), "\n") != 5 {
		t.Fatalf("final summary.csv:\n%s", b)
	}
}

// TestSameTaskTwoProcesses starts the same one-task sweep in two processes
// at once (this test binary re-run as a child): the task lock lets one
// train it while the other waits, then finds it finished and skips it.
// Both exit 0, the task is trained once (attempt 1, one training line).
func TestSameTaskTwoProcesses(t *testing.T) {
	if dir := os.Getenv("GENLAB_LOCK_CHILD"); dir != "" {
		results.LockPoll = 20 * time.Millisecond
		Main("demo", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return demoRun(func(ctx context.Context, tk Task[sweepCfg], d *results.Dir) (map[string]float64, error) {
				f, err := os.OpenFile(filepath.Join(dir, "trained"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
				if err != nil {
					return nil, err
				}
				fmt.Fprintf(f, "pid %d\n", os.Getpid())
				f.Close()
				time.Sleep(time.Second) // long enough for the other process to find the lock taken
				return map[string]float64{"score": 1}, nil
			})(ctx, []string{"-D", "4", "-seeds", "0", "-out", dir}, stdout, stderr)
		})
		return
	}
	t.Setenv(EnvSlurmArray, "")
	t.Setenv(EnvK8sIndex, "")
	dir := t.TempDir()
	type res struct {
		out, err string
		code     int
	}
	got := make([]res, 2)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestSameTaskTwoProcesses$")
			cmd.Env = append(os.Environ(), "GENLAB_LOCK_CHILD="+dir)
			var o, e bytes.Buffer
			cmd.Stdout, cmd.Stderr = &o, &e
			err := cmd.Run()
			got[i] = res{o.String(), e.String(), cmd.ProcessState.ExitCode()}
			if err != nil && got[i].code == 0 {
				got[i].code = -1
			}
		}()
	}
	wg.Wait()
	cached := 0
	for i, g := range got {
		if g.code != 0 {
			t.Fatalf("process %d: exit %d: %s", i, g.code, g.err)
		}
		cached += strings.Count(g.out, `"cached":true`)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "trained"))
	if n := strings.Count(string(b), "\n"); n != 1 || cached != 1 {
		t.Fatalf("trained %d times (%q), %d cached lines; want once and one cached", n, b, cached)
	}
	waited := regexp.MustCompile(`locked by host \S+ pid \d+ since \S+; waiting for it`)
	if !waited.MatchString(got[0].err + got[1].err) {
		t.Errorf("neither process said it waited:\n%s\n%s", got[0].err, got[1].err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "demo", "*", results.MetaFile))
	if len(files) != 1 {
		t.Fatalf("meta files %v", files)
	}
	if mb, _ := os.ReadFile(files[0]); !strings.Contains(string(mb), `"attempt": 1`) {
		t.Errorf("meta.json: %s", mb)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(files[0]), results.LockFile)); err == nil {
		t.Error("the lock file outlived both processes")
	}
}
