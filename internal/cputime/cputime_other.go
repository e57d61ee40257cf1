//go:build !unix

// Package cputime reads the CPU time of the running process, the figure the
// benchmarks report beside wall time: on a machine shared with other jobs
// it grows far less than wall time.
package cputime

import "time"

// Process returns 0: the process CPU time is read only on unix systems.
func Process() time.Duration { return 0 }
