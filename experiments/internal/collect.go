package internal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"genlab/results"
)

// collectReport is what -collect found: RunTasks fills it, Finish reports it.
type collectReport struct {
	total   int
	done    int
	missing []int // indices of the tasks without a result, ascending
}

// err is nil when every task finished, else the error that makes the
// binary exit 1, with the --array list to resubmit the missing tasks.
func (c *collectReport) err() error {
	if c == nil || len(c.missing) == 0 {
		return nil
	}
	list := ArrayList(c.missing)
	return fmt.Errorf("collect: %d of %d tasks missing (%s): resubmit them with sbatch --array=%s SCRIPT, or rerun the command with -task i",
		len(c.missing), c.total, list, list)
}

// collect is RunTasks under -collect: it runs nothing, prints the stored
// result of every finished task as a cached task line, names each
// unfinished task on r.Stderr with what its directory shows, and records
// the missing indices for Finish.
func collect[C any](r Runner, tasks []Task[C]) error {
	rep := r.Cluster.report
	if rep == nil {
		rep = &collectReport{}
	}
	rep.total, rep.done, rep.missing = len(tasks), 0, nil
	for _, t := range tasks {
		d := results.View(r.Out, r.Experiment, t.Key)
		if d.Done() {
			res, err := d.Result()
			if err == nil {
				rep.done++
				if err := printLine(r, t, res, true); err != nil {
					return err
				}
				continue
			}
		}
		rep.missing = append(rep.missing, t.Index)
		fmt.Fprintf(r.Stderr, "%s: task %d/%d %s (%s): %s\n", r.Experiment, t.Index, len(tasks), t.Label, t.Key, taskState(r, d, t.Index))
	}
	fmt.Fprintf(r.Stderr, "%s: collect: %d of %d tasks finished\n", r.Experiment, rep.done, rep.total)
	return nil
}

// taskState says why the unfinished task in d has no result: not started,
// running (its lock is held), failed (meta.json's status) or stopped.
func taskState(r Runner, d *results.Dir, index int) string {
	if _, err := os.Stat(d.Dir()); errors.Is(err, fs.ErrNotExist) {
		return "missing: not started"
	}
	log := ""
	if p := filepath.Join(r.Out, r.Experiment, SlurmLogDir, fmt.Sprintf("task-%d.err", index)); fileExists(p) {
		log = "; log " + p
	}
	if h, ok := results.LockHolder(d.Dir()); ok {
		return "missing: running (" + h.String() + ")" + log
	}
	m, err := d.Meta()
	switch {
	case err != nil:
		return "missing: started, no meta.json" + log
	case strings.HasPrefix(m.Status, "failed"):
		return fmt.Sprintf("missing: attempt %d on %s %s%s", m.Attempt, m.Hostname, m.Status, log)
	case m.Status == "done":
		return "missing: result.json damaged or absent though meta.json says done (rerun the task)" + log
	}
	return fmt.Sprintf("missing: attempt %d on %s started %s and stopped without a status (killed); a rerun resumes it%s",
		m.Attempt, m.Hostname, m.Start.UTC().Format(time.RFC3339), log)
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
