package internal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// runPool calls run on each of sel, jobs at a time, handing the tasks out
// in order. It starts no task once ctx is cancelled. It returns the errors
// of the tasks that failed, in task order, and, when the run was cancelled,
// a non-nil stop error: the errors of the tasks the cancellation
// interrupted or, when it struck between tasks, "before task i".
func runPool[C any](ctx context.Context, jobs int, sel []Task[C], run func(Task[C]) error) (failed []error, stop error) {
	errs := make([]error, len(sel))
	var (
		mu      sync.Mutex
		stopped []error
		skipped = len(sel) // the first task not started because of the cancellation
	)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, len(sel)) {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					mu.Lock()
					skipped = min(skipped, i)
					mu.Unlock()
					continue
				}
				err := run(sel[i])
				if err != nil && ctx.Err() != nil {
					mu.Lock()
					stopped = append(stopped, err)
					mu.Unlock()
					continue
				}
				errs[i] = err
			}
		})
	}
	for i := range sel {
		if ctx.Err() != nil {
			mu.Lock()
			skipped = min(skipped, i)
			mu.Unlock()
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(stopped) == 0 && skipped < len(sel) {
		t := sel[skipped]
		stopped = append(stopped, fmt.Errorf("before task %d (%s): %w", t.Index, t.Key, ctx.Err()))
	}
	return failed, errors.Join(stopped...)
}

// lockedWriter returns w safe for concurrent writers: an *os.File as it is
// (each Write is one system call), nil as io.Discard, anything else behind
// a mutex. Tasks running at once share the run's stdout and stderr.
func lockedWriter(w io.Writer) io.Writer {
	switch w.(type) {
	case nil:
		return io.Discard
	case *os.File, *syncWriter:
		return w
	}
	return &syncWriter{w: w}
}

// syncWriter serialises the writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// Write implements io.Writer.
func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
