package internal

import (
	"encoding/json"
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

// SlurmLogDir is the directory, under an experiment's run directory, that
// holds the output and error files of each array element of an emitted
// Slurm job (task-<index>.out, task-<index>.err).
const SlurmLogDir = "slurm"

// ArrayList writes task indices (ascending) as a Slurm --array list with
// ranges: 0-3,7,9-10.
func ArrayList(idx []int) string {
	var b strings.Builder
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(idx[i]))
		if j > i {
			fmt.Fprintf(&b, "-%d", idx[j])
		}
		i = j + 1
	}
	return b.String()
}

// slurmScript is the sbatch script of s: one array element per task, each
// rerunning the same command, which picks its task from
// SLURM_ARRAY_TASK_ID; a requeued or resubmitted element skips a finished
// task and resumes an unfinished one from its checkpoint.
func slurmScript(s sweep, maxRunning int) string {
	logs := filepath.Join(s.out, s.experiment, SlurmLogDir)
	array := fmt.Sprintf("0-%d", s.n-1)
	if maxRunning > 0 {
		array += "%" + strconv.Itoa(maxRunning)
	}
	argv := s.argv(s.out)
	cmd := shellLine(append([]string{s.bin}, argv...)...)
	collect := shellLine(append([]string{s.bin}, append(argv, "-collect")...)...)
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n")
	fmt.Fprintf(&b, "# genlab %s: %d tasks, one per array element (the task index is SLURM_ARRAY_TASK_ID).\n", s.experiment, s.n)
	fmt.Fprintf(&b, "# Submit: sbatch THIS_FILE; resubmit some tasks: sbatch --array=3,5 THIS_FILE.\n")
	fmt.Fprintf(&b, "# A requeued or resubmitted element reruns the same command: a finished task is\n")
	fmt.Fprintf(&b, "# skipped, an unfinished one resumes from its checkpoint, and a task another job\n")
	fmt.Fprintf(&b, "# still runs is waited for (its directory's lock file).\n")
	fmt.Fprintf(&b, "# When the job has ended: %s\n", collect)
	if s.binNote != "" {
		fmt.Fprintf(&b, "# Note: %s\n", s.binNote)
	}
	fmt.Fprintf(&b, "#SBATCH --job-name=genlab-%s\n", s.experiment)
	fmt.Fprintf(&b, "#SBATCH --array=%s\n", array)
	fmt.Fprintf(&b, "#SBATCH --ntasks=1\n")
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", s.threads)
	fmt.Fprintf(&b, "#SBATCH --chdir=%s\n", s.cwd)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(logs, "task-%a.out"))
	fmt.Fprintf(&b, "#SBATCH --error=%s\n", filepath.Join(logs, "task-%a.err"))
	fmt.Fprintf(&b, "#SBATCH --open-mode=append\n")
	fmt.Fprintf(&b, "#SBATCH --requeue\n")
	fmt.Fprintf(&b, "set -eu\n")
	fmt.Fprintf(&b, "export OPENBLAS_NUM_THREADS=1\n")
	fmt.Fprintf(&b, "echo \"genlab: %s task ${SLURM_ARRAY_TASK_ID} job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} (id ${SLURM_JOB_ID}) node ${SLURMD_NODENAME:-$(hostname)} restart ${SLURM_RESTART_COUNT:-0} at $(date -u +%%FT%%TZ)\" >&2\n", s.experiment)
	fmt.Fprintf(&b, "exec %s\n", cmd)
	return b.String()
}

// k8sManifest is the Indexed Job of s: completions = task count, each pod
// running the same command, which picks its task from JOB_COMPLETION_INDEX,
// with the run root on the PersistentVolumeClaim genlab-runs mounted at
// /runs.
func k8sManifest(s sweep, parallelism int, image string) string {
	const mount = "/runs"
	args := s.argv(mount)
	q := func(v string) string { b, _ := json.Marshal(v); return string(b) }
	cmd := make([]string, 0, len(args)+1)
	cmd = append(cmd, q(s.experiment))
	for _, a := range args {
		cmd = append(cmd, q(a))
	}
	name := "genlab-" + strings.ToLower(s.experiment)
	var b strings.Builder
	fmt.Fprintf(&b, "# genlab %s: %d tasks, one per completion index (JOB_COMPLETION_INDEX).\n", s.experiment, s.n)
	fmt.Fprintf(&b, "# Apply: kubectl apply -f THIS_FILE. The image must hold the binary %s on its PATH\n", s.experiment)
	fmt.Fprintf(&b, "# (make build; copy bin/* to /usr/local/bin). The run root is the ReadWriteMany\n")
	fmt.Fprintf(&b, "# PersistentVolumeClaim genlab-runs, mounted at %s. A restarted pod reruns the same\n", mount)
	fmt.Fprintf(&b, "# command: a finished task is skipped, an unfinished one resumes from its checkpoint.\n")
	fmt.Fprintf(&b, "# When the job has ended, with the volume mounted at DIR: %s -out DIR -collect\n", s.experiment)
	fmt.Fprintf(&b, "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: %s\n", name)
	fmt.Fprintf(&b, "spec:\n  completionMode: Indexed\n  completions: %d\n  parallelism: %d\n  backoffLimit: %d\n", s.n, parallelism, 3*s.n)
	fmt.Fprintf(&b, "  template:\n    spec:\n      restartPolicy: OnFailure\n      containers:\n")
	fmt.Fprintf(&b, "        - name: %s\n          image: %s\n", strings.ToLower(s.experiment), q(image))
	fmt.Fprintf(&b, "          command: [%s]\n", strings.Join(cmd, ", "))
	fmt.Fprintf(&b, "          env:\n            - name: OPENBLAS_NUM_THREADS\n              value: \"1\"\n")
	fmt.Fprintf(&b, "          resources:\n            requests:\n              cpu: \"%d\"\n            limits:\n              cpu: \"%d\"\n", s.threads, s.threads)
	fmt.Fprintf(&b, "          volumeMounts:\n            - name: runs\n              mountPath: %s\n", mount)
	fmt.Fprintf(&b, "      volumes:\n        - name: runs\n          persistentVolumeClaim:\n            claimName: genlab-runs\n")
	return b.String()
}

// emit prints r's sweep of n tasks as a Slurm script or a Kubernetes
// manifest on r.Stdout. For Slurm it creates the log directory, which
// sbatch needs before the job starts.
func emit(r Runner, n int) error {
	s, err := newSweep(r, n)
	if err != nil {
		return err
	}
	switch r.Cluster.Emit {
	case EmitSlurm:
		logs := filepath.Join(s.out, s.experiment, SlurmLogDir)
		if err := os.MkdirAll(logs, 0o755); err != nil {
			return fmt.Errorf("-emit slurm: %w", err)
		}
		if _, err := fmt.Fprint(r.Stdout, slurmScript(s, r.Cluster.MaxRunning)); err != nil {
			return fmt.Errorf("-emit slurm: %w", err)
		}
		fmt.Fprintf(r.Stderr, "%s: %d tasks; submit with sbatch, logs in %s\n", r.Experiment, n, logs)
	case EmitK8s:
		if _, err := fmt.Fprint(r.Stdout, k8sManifest(s, r.Cluster.Parallelism, r.Cluster.Image)); err != nil {
			return fmt.Errorf("-emit k8s: %w", err)
		}
		fmt.Fprintf(r.Stderr, "%s: %d tasks; submit with kubectl apply -f\n", r.Experiment, n)
	default:
		return Usagef("-emit %q: want slurm or k8s", r.Cluster.Emit)
	}
	return nil
}
