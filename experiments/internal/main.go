package internal

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
)

// Exit codes of experiment binaries.
const (
	ExitOK      = 0
	ExitFailure = 1 // runtime failure: NaN loss, I/O error, interruption
	ExitUsage   = 2 // bad flags or input
)

// UsageError marks bad input (flags, files, values): the binary exits with
// ExitUsage. Its message should name the flag or file and the value.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a *UsageError with a formatted message (%w allowed).
func Usagef(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// RunFunc is the body of an experiment binary. Only it touches stdout (one
// JSON line per finished task) and stderr (logs, progress).
type RunFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// Main runs an experiment binary: run gets a context cancelled on SIGINT or
// SIGTERM (Slurm and Kubernetes send SIGTERM before killing), then the
// process exits with Run's code.
//
// With the environment variable GENLAB_CPUPROFILE set to a file name, the
// whole run is CPU-profiled into that file (go tool pprof reads it); a
// file that cannot be created is exit 2.
func Main(name string, run RunFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var code int
	if path := os.Getenv(CPUProfileEnv); path != "" {
		code = profiled(name, path, func() int { return Run(ctx, name, os.Args[1:], os.Stdout, os.Stderr, run) })
	} else {
		code = Run(ctx, name, os.Args[1:], os.Stdout, os.Stderr, run)
	}
	stop()
	os.Exit(code)
}

// CPUProfileEnv names the environment variable that makes Main write a CPU
// profile of the run.
const CPUProfileEnv = "GENLAB_CPUPROFILE"

// profiled runs f with the CPU profiler writing to path.
func profiled(name, path string, f func() int) int {
	out, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(out)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %s=%s: %v\n", name, CPUProfileEnv, path, err)
		return ExitUsage
	}
	code := f()
	pprof.StopCPUProfile()
	if err := out.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %s=%s: %v\n", name, CPUProfileEnv, path, err)
	}
	return code
}

// Run calls run and maps its error to an exit code: nil or flag.ErrHelp → 0;
// a *UsageError anywhere in the chain → 2; anything else → 1. On error it
// writes exactly one line, "name: message", to stderr. A panic in run is a
// bug: it is reported as one line plus the stack, with code 1 (not the Go
// runtime's 2, which would read as bad input).
func Run(ctx context.Context, name string, args []string, stdout, stderr io.Writer, run RunFunc) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "%s: internal error: panic: %v\n%s", name, oneLine(fmt.Sprint(p)), debug.Stack())
			code = ExitFailure
		}
	}()
	err := run(ctx, args, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	}
	msg := err.Error()
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		msg = "interrupted: " + msg
	}
	fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(msg))
	var ue *UsageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitFailure
}

// oneLine folds a multi-line message onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " | ")), " ")
}

// Capture runs run through Run with a background context and returns the
// exit code and everything written to stdout and stderr: what a test of an
// experiment binary checks.
func Capture(name string, args []string, run RunFunc) (code int, stdout, stderr string) {
	var o, e strings.Builder
	code = Run(context.Background(), name, args, &o, &e, run)
	return code, o.String(), e.String()
}
