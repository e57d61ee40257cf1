package internal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"time"

	"genlab/nn"
	"genlab/results"
)

// Environment variables that carry a task index, in order of precedence
// after the -task flag.
const (
	EnvSlurmArray = "SLURM_ARRAY_TASK_ID"  // Slurm job arrays
	EnvK8sIndex   = "JOB_COMPLETION_INDEX" // Kubernetes Indexed Jobs
)

// SelectTask resolves which single task to run out of n: the -task flag
// value when ≥ 0, else SLURM_ARRAY_TASK_ID, else JOB_COMPLETION_INDEX. ok is
// false when none is set (run every task). A malformed or out-of-range
// index is a *UsageError naming its source.
func SelectTask(flagVal, n int) (idx int, ok bool, err error) {
	src, raw := "", ""
	switch {
	case flagVal >= 0:
		src, raw = "-task", strconv.Itoa(flagVal)
	case os.Getenv(EnvSlurmArray) != "":
		src, raw = EnvSlurmArray, os.Getenv(EnvSlurmArray)
	case os.Getenv(EnvK8sIndex) != "":
		src, raw = EnvK8sIndex, os.Getenv(EnvK8sIndex)
	default:
		return 0, false, nil
	}
	i, perr := strconv.Atoi(raw)
	if perr != nil {
		return 0, false, Usagef("%s=%q is not a task index", src, raw)
	}
	if i < 0 || i >= n {
		return 0, false, Usagef("%s=%d is out of range: %d tasks (0-%d)", src, i, n, n-1)
	}
	return i, true, nil
}

// Runner is how RunTasks runs a sweep; Common.Runner fills it from flags.
type Runner struct {
	Experiment string    // experiment name: the directory under Out
	Out        string    // run root
	Force      bool      // rerun finished tasks (their directory is cleared first)
	Task       int       // ≥ 0 runs only that task; −1 lets SelectTask consult the environment (note: 0 is task 0)
	Threads    int       // ≥ 1: runtime.GOMAXPROCS(Threads) before running
	Jobs       int       // tasks run at once (≤ 1: one after the other)
	Plan       bool      // print the task list and return
	Headline   []string  // candidate headline figures (PNG names or globs), first found opens the experiment in index.html
	BLAS       string    // BLAS description recorded in meta.json
	Args       []string  // command line recorded in meta.json
	Stdout     io.Writer // one JSON line per finished task
	Stderr     io.Writer // log lines
	Cluster    Cluster   // -emit, -collect (cluster.go)
}

// Runner returns the Runner for experiment with c's flags, recording the
// process's command line and the build's matrix kernels (nn.BLAS).
func (c *Common) Runner(experiment string, stdout, stderr io.Writer) Runner {
	return Runner{
		Experiment: experiment, Out: c.Out, Force: c.Force, Task: c.Task, Threads: c.Threads, Jobs: c.Jobs,
		Plan: c.Plan, BLAS: nn.BLAS(), Args: os.Args, Stdout: stdout, Stderr: stderr,
		Cluster: c.Cluster.forRun(),
	}
}

// TaskFunc trains and evaluates one task, writing checkpoints, metrics
// (d.Record) and pictures into d, and returns the flat metrics for
// result.json. It must resume from its own checkpoint when one exists and
// return ctx.Err() (wrapped) when cancelled.
type TaskFunc[C any] func(ctx context.Context, t Task[C], d *results.Dir) (map[string]float64, error)

// taskLine is the JSON line printed on stdout per finished task.
type taskLine[C any] struct {
	Experiment string             `json:"experiment"`
	Index      int                `json:"index"`
	Key        string             `json:"key"`
	Label      string             `json:"label"`
	Cached     bool               `json:"cached"`
	Config     C                  `json:"config"`
	Result     map[string]float64 `json:"result"`
}

// RunTasks runs the selected tasks (one if SelectTask names one, else all),
// up to r.Jobs at once, taking them in index order. Per task it opens the
// task directory (writing config.json);
// skips it if result.json records its key, unless Force, which clears the
// directory first; writes meta.json; calls fn; records the end time in
// meta.json; writes result.json last (atomically); and prints one JSON line
// {"cached", "config", "experiment", "index", "key", "label", "result"} to Stdout —
// skipped tasks print their stored result with cached = true; with Jobs > 1
// the lines come in the order the tasks finish. It starts no task after a
// cancellation; a failed task is reported on Stderr and the others still
// run, and the failures come back together as a *TasksError. -force reruns
// every selected task from scratch (its directory cleared, finished or
// not). With Plan it only prints {"index", "key", "label", "config"} lines.
// Log lines name a task by its label and key. Tasks that run at once must
// not share mutable state except through something that waits (such as
// diffusion.ModelCache, which trains a model asked for twice only once).
func RunTasks[C any](ctx context.Context, r Runner, tasks []Task[C], fn TaskFunc[C]) error {
	r.Stdout, r.Stderr = lockedWriter(r.Stdout), lockedWriter(r.Stderr)
	if r.Out == "" && !r.Plan {
		return Usagef("-out \"\": want a run directory")
	}
	switch {
	case r.Cluster.Emit != "":
		return emit(r, len(tasks))
	case r.Cluster.Collect:
		return collect(r, tasks)
	}
	if r.Threads >= 1 {
		runtime.GOMAXPROCS(r.Threads)
	}
	sel := tasks
	if i, ok, err := SelectTask(r.Task, len(tasks)); err != nil {
		return err
	} else if ok {
		sel = tasks[i : i+1]
	}
	if r.Plan {
		return printPlan(r, sel)
	}
	n := len(tasks)
	failed, err := runPool(ctx, max(r.Jobs, 1), sel, func(t Task[C]) error {
		err := runOne(ctx, r, n, t, fn)
		if err != nil && ctx.Err() == nil && len(sel) > 1 {
			fmt.Fprintf(r.Stderr, "%s: %v\n", r.Experiment, oneLine(err.Error()))
		}
		return err
	})
	if err != nil {
		return errors.Join(append(failed, err)...)
	}
	if len(failed) > 0 {
		return &TasksError{Failed: failed, Total: len(sel)}
	}
	return nil
}

// printPlan prints one {"index", "key", "label", "config"} line per task.
func printPlan[C any](r Runner, sel []Task[C]) error {
	for _, t := range sel {
		b, err := results.Canonical(struct {
			Index  int    `json:"index"`
			Key    string `json:"key"`
			Label  string `json:"label"`
			Config C      `json:"config"`
		}{t.Index, t.Key, t.Label, t.Config})
		if err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		fmt.Fprintf(r.Stdout, "%s\n", b)
	}
	return nil
}

// TasksError reports the tasks of a sweep that failed; the others ran to
// the end. It unwraps to each task's error, so a *UsageError among them
// makes the exit code 2.
type TasksError struct {
	Failed []error
	Total  int
}

func (e *TasksError) Error() string {
	if len(e.Failed) == 1 {
		return e.Failed[0].Error()
	}
	return fmt.Sprintf("%d of %d tasks failed (each reported above); first: %v", len(e.Failed), e.Total, e.Failed[0])
}

// Unwrap returns the tasks' errors.
func (e *TasksError) Unwrap() []error { return e.Failed }

func runOne[C any](ctx context.Context, r Runner, n int, t Task[C], fn TaskFunc[C]) error {
	tag := fmt.Sprintf("%s: task %d/%d %s (%s)", r.Experiment, t.Index, n, t.Label, t.Key)
	lk, err := lockTask(ctx, r, t.Key, tag)
	if err != nil {
		return fmt.Errorf("task %d (%s): %w", t.Index, t.Key, err)
	}
	defer lk.Release()
	d, err := results.Open(r.Out, r.Experiment, t.Config)
	if err != nil {
		return fmt.Errorf("task %d (%s): %w", t.Index, t.Key, err)
	}
	defer d.Close()
	if r.Force && !d.Done() {
		// an unfinished task reruns from scratch too: -force gets past a
		// corrupt checkpoint or metrics file
		if err := d.Clear(); err != nil {
			return fmt.Errorf("task %d (%s): %w", t.Index, t.Key, err)
		}
	}
	if err := d.WriteLabel(t.Label); err != nil {
		return fmt.Errorf("task %d (%s): %w", t.Index, t.Key, err)
	}
	if d.Done() {
		if !r.Force {
			res, err := d.Result()
			if err != nil {
				return fmt.Errorf("task %d (%s): %w", t.Index, t.Key, err)
			}
			fmt.Fprintf(r.Stderr, "%s: finished earlier, skipped\n", tag)
			return printLine(r, t, res, true)
		}
		if err := d.Clear(); err != nil {
			return fmt.Errorf("task %d (%s): %w", t.Index, t.Key, err)
		}
		fmt.Fprintf(r.Stderr, "%s: -force, cleared\n", tag)
	}
	meta := results.Meta{BLAS: r.BLAS, Args: r.Args, Seeds: []uint64{t.Seed}, Start: time.Now(), Status: "running", Attempt: 1}
	if prev, err := d.Meta(); err == nil {
		meta.Attempt = prev.Attempt + 1 // an earlier run stopped or failed: this one resumes it
	}
	if err := d.WriteMeta(meta); err != nil {
		return fmt.Errorf("task %d (%s): %w", t.Index, t.Key, err)
	}
	fmt.Fprintf(r.Stderr, "%s: started in %s\n", tag, d.Dir())
	res, ferr := fn(ctx, t, d)
	meta.End = time.Now()
	if errors.Is(ferr, nn.ErrCorrupt) {
		ferr = fmt.Errorf("%w; the checkpoint in %s cannot be resumed: delete it or rerun with -force", ferr, d.Dir())
	}
	if ferr != nil {
		meta.Status = "failed: " + oneLine(ferr.Error())
		if err := d.WriteMeta(meta); err != nil {
			fmt.Fprintf(r.Stderr, "%s: %v\n", tag, err)
		}
		return fmt.Errorf("task %d (%s): %w", t.Index, t.Key, ferr)
	}
	if res == nil {
		res = map[string]float64{}
	}
	meta.Status = "done"
	if err := d.WriteMeta(meta); err != nil {
		return fmt.Errorf("task %d (%s): %w", t.Index, t.Key, err)
	}
	if err := d.WriteResult(res); err != nil {
		return fmt.Errorf("task %d (%s): %w", t.Index, t.Key, err)
	}
	fmt.Fprintf(r.Stderr, "%s: done in %.1fs\n", tag, meta.End.Sub(meta.Start).Seconds())
	return printLine(r, t, res, false)
}

func printLine[C any](r Runner, t Task[C], res map[string]float64, cached bool) error {
	b, err := results.Canonical(taskLine[C]{
		Experiment: r.Experiment, Index: t.Index, Key: t.Key, Label: t.Label, Cached: cached, Config: t.Config, Result: res,
	})
	if err != nil {
		return fmt.Errorf("task %d (%s): %w", t.Index, t.Key, err)
	}
	if _, err := fmt.Fprintf(r.Stdout, "%s\n", b); err != nil {
		return fmt.Errorf("task %d (%s): stdout: %w", t.Index, t.Key, err)
	}
	return nil
}

// Finish gathers the experiment's finished tasks into summary.csv
// (results.Collect), calls plots with the table to draw the summary figures
// (plots may be nil), records the first of r.Headline that was drawn as the
// experiment's headline figure (SetHeadline), and rewrites Out/index.html.
func Finish(r Runner, plots func(t *results.Table) error) error {
	if r.Cluster.Emit != "" {
		return nil
	}
	if rep := r.Cluster.report; rep != nil && rep.done == 0 {
		return rep.err() // nothing to gather
	}
	lk, err := lockRoot(r)
	if err != nil {
		return err
	}
	defer lk.Release()
	t, err := results.Collect(r.Out, r.Experiment)
	if err != nil {
		return err
	}
	for _, sk := range t.Skipped {
		fmt.Fprintf(r.Stderr, "%s: summary: skipped %s\n", r.Experiment, sk)
	}
	if plots != nil && len(t.Rows) > 0 {
		if err := plots(t); err != nil {
			return fmt.Errorf("%s: summary figures: %w", r.Experiment, err)
		}
	}
	if err := SetHeadline(r.Out, r.Experiment, r.Headline...); err != nil {
		return err
	}
	if err := results.WriteIndex(r.Out); err != nil {
		return err
	}
	return r.Cluster.report.err()
}

// SetHeadline records as root/experiment's headline figure the first of
// candidates (file names or filepath.Match globs, the first match in name
// order) that exists in the experiment directory; none existing is no error.
func SetHeadline(root, experiment string, candidates ...string) error {
	for _, c := range candidates {
		m, err := filepath.Glob(filepath.Join(root, experiment, c))
		if err != nil {
			return fmt.Errorf("%s: headline %q: %w", experiment, c, err)
		}
		if len(m) > 0 {
			sort.Strings(m)
			return results.WriteHeadline(root, experiment, filepath.Base(m[0]))
		}
	}
	return nil
}
