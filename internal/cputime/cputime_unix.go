//go:build unix

// Package cputime reads the CPU time of the running process, the figure the
// benchmarks report beside wall time: on a machine shared with other jobs
// it grows far less than wall time.
package cputime

import (
	"syscall"
	"time"
)

// Process returns the user + system CPU time of the process so far, summed
// over all its threads (getrusage(RUSAGE_SELF)); 0 if it cannot be read.
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
