package internal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"genlab/results"
)

// TestRunTasksJobs runs six tasks two at a time: two are in flight at once,
// every task runs once and prints one line, a failed task is reported and
// the rest still run, and a rerun finds them all cached.
func TestRunTasksJobs(t *testing.T) {
	t.Setenv(EnvSlurmArray, "")
	t.Setenv(EnvK8sIndex, "")
	tasks, err := Expand(sweepCfg{Method: "toy", Steps: 1},
		Values("seed", []uint64{0, 1, 2, 3, 4, 5}, func(c *sweepCfg, v uint64) { c.Seed = v }))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu             sync.Mutex
		active, most   int
		calls          = map[string]int{}
		bothIn         = make(chan struct{})
		closeBothIn    sync.Once
		failKey        = tasks[4].Key
		errNonFinite   = errors.New("non-finite loss")
		deadline       = time.After(10 * time.Second)
		waitedTooLong  bool
		waitForPartner = true
	)
	fn := func(ctx context.Context, tk Task[sweepCfg], d *results.Dir) (map[string]float64, error) {
		mu.Lock()
		calls[tk.Key]++
		active++
		most = max(most, active)
		if active == 2 {
			closeBothIn.Do(func() { close(bothIn) })
		}
		wait := waitForPartner
		mu.Unlock()
		if wait { // the first task waits until a second one runs beside it
			select {
			case <-bothIn:
			case <-deadline:
				mu.Lock()
				waitedTooLong = true
				mu.Unlock()
			}
		}
		mu.Lock()
		active--
		mu.Unlock()
		if tk.Key == failKey {
			return nil, errNonFinite
		}
		return map[string]float64{"seed": float64(tk.Config.Seed)}, nil
	}
	root := t.TempDir()
	run := func() ([]map[string]any, string, error) {
		var out, errb bytes.Buffer
		c := Common{Out: root, Jobs: 2}
		c.Register(NewFlagSet("x"))
		err := RunTasks(context.Background(), c.Runner("toy", &out, &errb), tasks, fn)
		return stdoutLines(t, out.Bytes()), errb.String(), err
	}
	lines, log, err := run()
	var te *TasksError
	if !errors.As(err, &te) || len(te.Failed) != 1 || !errors.Is(err, errNonFinite) || !strings.Contains(err.Error(), failKey) {
		t.Fatalf("err %v, want the one failed task", err)
	}
	if waitedTooLong || most != 2 {
		t.Fatalf("at most %d tasks at once (timed out: %v), want 2", most, waitedTooLong)
	}
	if len(lines) != 5 || strings.Count(log, "done in") != 5 {
		t.Fatalf("%d lines, log %s", len(lines), log)
	}
	var keys []string
	for _, l := range lines {
		keys = append(keys, l["key"].(string))
		if l["cached"] != false || l["experiment"] != "toy" {
			t.Fatalf("line %v", l)
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		want := tasks[i].Key
		if i >= 4 {
			want = tasks[i+1].Key
		}
		if k != want || calls[k] != 1 {
			t.Fatalf("keys %v, calls %v", keys, calls)
		}
	}
	mb, err := os.ReadFile(filepath.Join(root, "toy", tasks[0].Key, results.MetaFile))
	if err != nil || !strings.Contains(string(mb), `"status": "done"`) || !strings.Contains(string(mb), `"attempt": 1`) {
		t.Fatalf("meta: %s %v", mb, err)
	}

	// Rerun: the five finished tasks are cached, the failed one runs again.
	failKey, waitForPartner = "", false
	lines, _, err = run()
	cached := 0
	for _, l := range lines {
		if l["cached"] == true {
			cached++
		}
	}
	if err != nil || len(lines) != 6 || cached != 5 || calls[tasks[4].Key] != 2 {
		t.Fatalf("rerun: err %v, %d lines, %d cached, calls %v", err, len(lines), cached, calls)
	}
}

// TestRunPoolCancel: a cancellation while tasks run stops the pool; the
// interrupted tasks' errors come back, and no further task starts.
func TestRunPoolCancel(t *testing.T) {
	tasks := make([]Task[int], 8)
	for i := range tasks {
		tasks[i] = Task[int]{Index: i, Key: fmt.Sprint("k", i)}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	started := 0
	failed, stop := runPool(ctx, 3, tasks, func(tk Task[int]) error {
		mu.Lock()
		started++
		if started == 3 {
			cancel()
		}
		mu.Unlock()
		<-ctx.Done()
		return fmt.Errorf("task %d: %w", tk.Index, ctx.Err())
	})
	if len(failed) != 0 || !errors.Is(stop, context.Canceled) || started != 3 {
		t.Fatalf("failed %v, stop %v, started %d", failed, stop, started)
	}
	if n := strings.Count(stop.Error(), "context canceled"); n != 3 {
		t.Fatalf("stop %q: want the three interrupted tasks", stop)
	}

	// Cancelled before the start: nothing runs, the error names task 0.
	failed, stop = runPool(ctx, 2, tasks, func(Task[int]) error { t.Fatal("ran"); return nil })
	if len(failed) != 0 || !errors.Is(stop, context.Canceled) || !strings.Contains(stop.Error(), "before task 0 (k0)") {
		t.Fatalf("failed %v, stop %v", failed, stop)
	}
}
