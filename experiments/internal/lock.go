package internal

import (
	"context"
	"fmt"
	"path/filepath"

	"genlab/results"
)

// lockTask takes the lock of the task directory of key (results.AcquireLock),
// so that two processes given the same task (a requeued array element
// whose first run still goes on, a sweep started twice) never run it both:
// the second waits, saying so on r.Stderr, and then finds it finished.
func lockTask(ctx context.Context, r Runner, key, tag string) (*results.Lock, error) {
	return results.AcquireLock(ctx, filepath.Join(r.Out, r.Experiment, key), func(h results.LockInfo) {
		fmt.Fprintf(r.Stderr, "%s: locked by %s; waiting for it\n", tag, h)
	})
}

// lockRoot takes the lock of the run root for Finish, so that the array
// elements of a sweep that end together write summary.csv, the figures and
// index.html one after the other: the last one writes them from every
// finished task.
func lockRoot(r Runner) (*results.Lock, error) {
	return results.AcquireLock(context.Background(), r.Out, func(h results.LockInfo) {
		fmt.Fprintf(r.Stderr, "%s: summary: %s is writing it; waiting\n", r.Experiment, h)
	})
}
