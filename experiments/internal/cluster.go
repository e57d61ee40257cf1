package internal

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Cluster holds the flags that take a sweep to a cluster. With -emit the
// binary prints a submit script for the sweep as given and runs nothing;
// with -collect it runs nothing either, gathers the finished tasks into
// summary.csv, the summary figures and index.html, and names the missing
// ones. Common.Register defines the flags and Parse refuses bad
// combinations; Common.Runner passes them on to RunTasks and Finish.
type Cluster struct {
	Emit        string // -emit slurm|k8s
	Collect     bool   // -collect
	MaxRunning  int    // -max-running M: at most M array elements at once (Slurm's %M); 0: no limit
	Parallelism int    // -parallelism P: pods at once (Kubernetes)
	Image       string // -image: the container image of the Kubernetes job

	flags  *flag.FlagSet  // the parsed flag set: tells which flags are bool when the command line is rewritten
	report *collectReport // -collect: what RunTasks found, for Finish
}

// The -emit targets.
const (
	EmitSlurm = "slurm"
	EmitK8s   = "k8s"
)

// clusterFlags are the flags of Cluster, dropped from the emitted command.
var clusterFlags = []string{"emit", "collect", "max-running", "parallelism", "image"}

// register defines -emit, -collect, -max-running, -parallelism and -image.
func (c *Cluster) register(fs *flag.FlagSet) {
	c.flags = fs
	if c.Parallelism == 0 {
		c.Parallelism = 4
	}
	if c.Image == "" {
		c.Image = "genlab:latest"
	}
	fs.Var((*emitValue)(&c.Emit), "emit", "print a submit script for this sweep instead of running it: slurm (an sbatch job array) or k8s (an Indexed Job)")
	fs.BoolVar(&c.Collect, "collect", false, "run nothing: rebuild summary.csv, figures and index.html from the finished tasks and name the missing ones (exit 1 if any)")
	fs.Func("max-running", "with -emit slurm: at most `M` array elements at once (0: no limit)", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not an integer ≥ 0", s)
		}
		c.MaxRunning = n
		return nil
	})
	fs.Func("parallelism", "with -emit k8s: `P` pods at once (default 4)", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Errorf("%q is not an integer ≥ 1", s)
		}
		c.Parallelism = n
		return nil
	})
	fs.StringVar(&c.Image, "image", c.Image, "with -emit k8s: the container `image` holding the experiment binaries on its PATH")
}

// emitValue is the -emit flag: slurm or k8s.
type emitValue string

// Set implements flag.Value.
func (e *emitValue) Set(s string) error {
	if s != EmitSlurm && s != EmitK8s {
		return fmt.Errorf("%q is not slurm or k8s", s)
	}
	*e = emitValue(s)
	return nil
}

// String implements flag.Value.
func (e *emitValue) String() string {
	if e == nil {
		return ""
	}
	return string(*e)
}

// forRun returns the Cluster that Common.Runner hands to a Runner.
func (c Cluster) forRun() Cluster {
	if c.Collect {
		c.report = &collectReport{}
	}
	return c
}

// checkClusterFlags refuses the combinations of the cluster flags that
// cannot mean anything (a no-op for flag sets without -emit).
func checkClusterFlags(fs *flag.FlagSet) error {
	ef := fs.Lookup("emit")
	if ef == nil {
		return nil
	}
	set := func(name string) bool { return fs.Lookup(name) != nil && IsSet(fs, name) }
	emit := ef.Value.String()
	why := map[string]string{
		"task":  "each array element picks its task from its index; drop -task",
		"plan":  "-plan only prints the task list; drop one of them",
		"force": "a requeued element would clear its task again; clear tasks by deleting their directories",
	}
	if emit != "" {
		if set("collect") {
			return Usagef("-emit %s with -collect: submit first, collect when the job has ended", emit)
		}
		for _, n := range []string{"task", "plan", "force"} {
			if set(n) {
				return Usagef("-emit %s with -%s: %s", emit, n, why[n])
			}
		}
	}
	if set("collect") {
		for _, n := range []string{"task", "plan", "force"} {
			if set(n) {
				return Usagef("-collect with -%s: -collect gathers the whole sweep and runs nothing; drop -%s", n, n)
			}
		}
	}
	if set("max-running") && emit != EmitSlurm {
		return Usagef("-max-running: only with -emit slurm")
	}
	for _, n := range []string{"parallelism", "image"} {
		if set(n) && emit != EmitK8s {
			return Usagef("-%s: only with -emit k8s", n)
		}
	}
	return nil
}

// sweep is what an emitted script runs: the binary, its command line as
// typed minus the cluster flags, and the run's directories.
type sweep struct {
	experiment string
	n          int      // task count
	bin        string   // the binary (absolute when it was given as a path)
	binNote    string   // a comment on the binary, or ""
	raw        []string // the arguments as typed
	flags      *flag.FlagSet
	out        string // absolute run root
	cwd        string // absolute working directory
	threads    int    // CPUs per task: -threads, or 1 when it is not given
}

// newSweep resolves the sweep of r's command line (r.Args) with n tasks.
func newSweep(r Runner, n int) (sweep, error) {
	s := sweep{experiment: r.Experiment, n: n, threads: max(r.Threads, 1), flags: r.Cluster.flags}
	var err error
	if s.cwd, err = os.Getwd(); err != nil {
		return s, fmt.Errorf("-emit: %w", err)
	}
	if s.out, err = filepath.Abs(r.Out); err != nil {
		return s, fmt.Errorf("-emit: %w", err)
	}
	if len(r.Args) == 0 {
		return s, fmt.Errorf("-emit: no command line to emit")
	}
	s.bin, s.binNote = binaryPath(r.Args[0], r.Experiment)
	s.raw = r.Args[1:]
	return s, nil
}

// argv is the sweep's arguments with -out set to out and -threads added
// when it was not given (a task then uses the one CPU it asks for).
func (s sweep) argv(out string) []string {
	a := rewriteArgs(s.raw, s.flags, out)
	if !slices.ContainsFunc(a, func(w string) bool {
		return w == "-threads" || strings.HasPrefix(w, "-threads=") || w == "--threads" || strings.HasPrefix(w, "--threads=")
	}) {
		a = append(a, "-threads="+strconv.Itoa(s.threads))
	}
	return a
}

// binaryPath is the path under which a cluster node runs the binary
// started as arg0: the absolute path when arg0 is a path, the PATH entry
// when it is a bare name; a binary built by `go run` (in a temporary
// directory) becomes bin/<experiment>, with a note to build it.
func binaryPath(arg0, experiment string) (path, note string) {
	if strings.Contains(arg0, string(filepath.Separator)+"go-build") {
		abs, _ := filepath.Abs(filepath.Join("bin", experiment))
		return abs, fmt.Sprintf("go run built a temporary binary: build %s first (make build, or go build -o %s ./experiments/%s)", abs, abs, experiment)
	}
	if !strings.ContainsRune(arg0, filepath.Separator) {
		if p, err := exec.LookPath(arg0); err == nil {
			if abs, err := filepath.Abs(p); err == nil {
				return abs, ""
			}
		}
		return arg0, ""
	}
	abs, err := filepath.Abs(arg0)
	if err != nil {
		return arg0, ""
	}
	return abs, ""
}

// rewriteArgs returns args (a command line's flags, as typed) with the
// cluster flags dropped and -out set to out (appended when absent). fs
// tells which flags are bool (they take no separate value); without it,
// every "-name" not followed by "=" is taken to have a separate value.
func rewriteArgs(args []string, fs *flag.FlagSet, out string) []string {
	var kept []string
	sawOut := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			kept = append(kept, args[i:]...)
			break
		}
		name, _, hasVal := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		toks := []string{a}
		if !hasVal && !isBoolFlag(fs, name) && i+1 < len(args) {
			toks = append(toks, args[i+1])
			i++
		}
		switch {
		case name == "out":
			sawOut = true
			kept = append(kept, "-out="+out)
		case contains(clusterFlags, name):
		default:
			kept = append(kept, toks...)
		}
	}
	if !sawOut {
		kept = append(kept, "-out="+out)
	}
	return kept
}

// isBoolFlag reports whether the flag called name is a boolean flag of fs.
func isBoolFlag(fs *flag.FlagSet, name string) bool {
	if fs == nil {
		return false
	}
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// shellWord matches the words that need no quoting in a POSIX shell.
var shellWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if shellWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellLine joins words into one shell command line.
func shellLine(words ...string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = shellQuote(w)
	}
	return strings.Join(q, " ")
}
