// Package internal is what every genlab experiment binary shares: the common
// flags and typed comma-list flag values, exit codes (2 for bad input, 1 for
// a failure), sweep expansion into hash-keyed tasks, task selection for
// Slurm arrays and Kubernetes indexed jobs, the task runner that keeps the
// results run-directory contract, seeded generators and progress reporting.
//
// A typical main:
//
//	func main() { internal.Main("pfgm_toy", run) }
//
//	func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
//		var c internal.Common
//		D := internal.Floats{1, 4, 16, math.Inf(1)}
//		fs := internal.NewFlagSet("pfgm_toy")
//		c.Register(fs)
//		fs.Var(&D, "D", "augmented dimensions (comma list, inf allowed)")
//		if err := internal.Parse(fs, args, stderr); err != nil {
//			return err
//		}
//		tasks, err := internal.Expand(Config{Preset: c.Preset},
//			internal.Values("D", D, func(cfg *Config, v float64) { cfg.D = v }),
//			internal.Values("seed", c.Seeds, func(cfg *Config, s uint64) { cfg.Seed = s }))
//		if err != nil {
//			return err
//		}
//		r := c.Runner("pfgm_toy", stdout, stderr)
//		return internal.RunTasks(ctx, r, tasks, trainAndEvaluate)
//	}
package internal

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Preset selects the size of an experiment: Quick finishes well under a
// minute on 2 cores (what tests run), Default is the documented experiment
// (minutes), Full is the serious run (hours).
type Preset string

// The three presets.
const (
	Quick   Preset = "quick"
	Default Preset = "default"
	Full    Preset = "full"
)

// Set implements flag.Value, accepting quick, default or full.
func (p *Preset) Set(s string) error {
	switch Preset(s) {
	case Quick, Default, Full:
		*p = Preset(s)
		return nil
	}
	return fmt.Errorf("%q is not one of quick, default, full", s)
}

// String implements flag.Value.
func (p *Preset) String() string {
	if p == nil {
		return ""
	}
	return string(*p)
}

// MaxThreads bounds -threads: GOMAXPROCS far above the core count only
// costs OS threads, and 10⁵ of them exhaust the process's thread limit.
const MaxThreads = 1024

// Common holds the flags every experiment takes.
type Common struct {
	Preset  Preset // -preset quick|default|full
	Out     string // -out DIR: run root, default "runs"
	Seeds   Seeds  // -seeds 0,1,2 or 0-4: replicate seeds, default 0,1,2
	Threads int    // -threads N ≥ 1: GOMAXPROCS for the run; 0 leaves it alone
	Jobs    int    // -jobs N ≥ 1: tasks run at once, default 1
	Task    int    // -task i ≥ 0: run only task i; −1 means unset (Register sets it; a bare Common{} has 0)
	Force   bool   // -force: rerun finished tasks
	Plan    bool   // -plan: print the task list as JSON lines and exit
	Cluster        // -emit slurm|k8s, -collect and their options (cluster.go)
}

// Register adds the common flags to fs. Fields already set on c are the
// defaults; zero fields default to -preset default, -out runs, -seeds 0,1,2,
// -jobs 1 and -task unset (−1).
func (c *Common) Register(fs *flag.FlagSet) {
	if c.Preset == "" {
		c.Preset = Default
	}
	if c.Out == "" {
		c.Out = "runs"
	}
	if c.Seeds == nil {
		c.Seeds = Seeds{0, 1, 2}
	}
	if c.Task == 0 {
		c.Task = -1
	}
	if c.Jobs == 0 {
		c.Jobs = 1
	}
	fs.Var(&c.Preset, "preset", "experiment size: quick, default or full")
	fs.StringVar(&c.Out, "out", c.Out, "run root `directory`")
	fs.Var(&c.Seeds, "seeds", "replicate `seeds`: comma list with ranges, e.g. 0,1,2 or 0-4")
	fs.Func("threads", "`N` ≥ 1: GOMAXPROCS for this run (default: leave as is)", countFlag(&c.Threads))
	fs.Func("jobs", "`N` ≥ 1: tasks run at once; tasks that need the same cached model wait for it (default 1)", countFlag(&c.Jobs))
	fs.Func("task", "run only task `i` (0-based; default: SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX, else all)", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a task index ≥ 0", s)
		}
		c.Task = n
		return nil
	})
	fs.BoolVar(&c.Force, "force", c.Force, "rerun tasks whose result.json exists")
	fs.BoolVar(&c.Plan, "plan", c.Plan, "print the task list (one JSON line per task) and exit")
	c.Cluster.register(fs)
}

// countFlag returns the Set function of a flag that takes a count in
// [1, MaxThreads] into dst.
func countFlag(dst *int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxThreads {
			return fmt.Errorf("%q is not an integer in [1, %d]", s, MaxThreads)
		}
		*dst = n
		return nil
	}
}

// NewFlagSet returns a flag set that reports errors instead of exiting and
// prints nothing by itself (Parse prints usage on -h; Run prints the one
// error line).
func NewFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// Parse parses args with fs. A parse error or a positional argument comes
// back as a *UsageError naming the flag and the bad value; a plain number
// flag given a comma list says that it takes one value. A float64 flag set
// to NaN or ±Inf is refused (no plain number flag takes them; -D takes inf
// through Floats), and so is a number outside its flagRanges entry. -h/-help prints the flag defaults to stderr, each
// sweepable (comma-list) flag marked "[sweepable list]", and returns
// flag.ErrHelp, which Run turns into exit code 0.
func Parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	guardNumbers(fs)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.VisitAll(func(f *flag.Flag) { // print the plain types (int, float)
			if g, ok := f.Value.(guarded); ok {
				f.Value = g.Getter
			}
		})
		markSweepable(fs)
		fs.SetOutput(stderr)
		fmt.Fprintf(stderr, "Usage of %s:\n", fs.Name())
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		return flag.ErrHelp
	}
	if err != nil {
		return &UsageError{Err: explainParseError(fs, err)}
	}
	if fs.NArg() > 0 {
		return Usagef("unexpected argument %q", fs.Arg(0))
	}
	return checkClusterFlags(fs)
}

// guarded wraps a plain number flag's value so that Set refuses NaN and
// ±Inf (float64 flags) or values above a size limit (int flags) before the
// flag is stored; the flag package then names the flag and the raw value.
type guarded struct {
	flag.Getter
	lo, hi float64 // the inclusive range of the value
}

// Set implements flag.Value.
func (g guarded) Set(s string) error {
	if _, ok := g.Get().(float64); ok {
		if x, err := strconv.ParseFloat(s, 64); err == nil && (math.IsNaN(x) || math.IsInf(x, 0)) {
			return errors.New("want a finite number")
		}
	}
	if err := g.Getter.Set(s); err != nil {
		return err
	}
	var x float64
	switch v := g.Get().(type) {
	case int:
		x = float64(v)
	case float64:
		x = v
	}
	if x < g.lo || x > g.hi {
		return fmt.Errorf("outside its range [%g, %g]", g.lo, g.hi)
	}
	return nil
}

// guardNumbers wraps every int and float64 flag of fs in a guarded value
// (once) with its range from flagRanges. A numeric flag without a range is
// a programming error and panics, so that no new flag escapes the check
// (every experiment's tests parse its flags).
func guardNumbers(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if _, done := f.Value.(guarded); !ok || done {
			return
		}
		switch g.Get().(type) {
		case float64, int:
			r, ok := flagRanges[f.Name]
			if !ok {
				panic(fmt.Sprintf("internal: numeric flag -%s has no range in flagRanges", f.Name))
			}
			f.Value = guarded{Getter: g, lo: r[0], hi: r[1]}
		}
	})
}

// flagRanges are the inclusive ranges Parse enforces on every int and
// float64 flag, by name, so that a typo (-hidden 100000000, -lr 1e18) is a
// one-line error instead of an out-of-memory kill or a diverged run. The
// upper bounds of sizes are far above any preset's value; 0 is allowed
// where it means "the preset's value". Finer checks (a learned k strictly
// inside (0, 1), MNIST's three resolutions) stay with the experiment.
var flagRanges = map[string][2]float64{
	// sizes of allocations and loops
	"batch": {0, 1 << 16}, "hidden": {0, 1 << 14}, "layers": {0, 256}, "channels": {0, 1 << 11},
	"steps": {0, 1 << 30}, "iters": {0, 1 << 30}, "net-steps": {0, 1 << 30}, "net-hidden": {0, 4096}, "net-clip": {0, 1e6}, "warmup": {0, 1 << 30},
	"eval-every": {0, 1 << 30}, "eval-n": {0, 1 << 22}, "sample-steps": {0, 1 << 20}, "heun": {0, 1 << 16},
	"n-eval": {0, 1 << 22}, "n": {0, 1 << 24}, "npairs": {0, 1 << 16}, "zoomout": {0, 1 << 12},
	"extra": {0, 1 << 16}, "k": {0, 1 << 12}, "res": {0, 1 << 12}, "width-N": {1, 1 << 16},
	"threads": {0, MaxThreads}, "jobs": {0, MaxThreads},
	// rates, fractions and scales
	"lr": {0, 1}, "k-lr": {0, 10}, "k-init": {0, 1}, "clamp": {0, 1}, "flip": {0, 1},
	"sigma-data": {0, 100}, "ema-halflife": {0, 1e12}, "mix-prob": {0, 1}, "pl-weight": {0, 1e3},
}

// SweepTag marks a sweepable flag in -h.
const SweepTag = "[sweepable list] "

// Sweepable is implemented by the flag values that take a comma list and
// expand into a sweep axis (Ints, Seeds, Floats, Strings, kdiff.Ks, pfgm.Ds
// and an experiment's own list types); -h marks them.
type Sweepable interface{ Sweepable() }

// Sweepable implements Sweepable.
func (*Ints) Sweepable() {}

// Sweepable implements Sweepable.
func (*Seeds) Sweepable() {}

// Sweepable implements Sweepable.
func (*Floats) Sweepable() {}

// Sweepable implements Sweepable.
func (*Strings) Sweepable() {}

// markSweepable prefixes the usage of each flag whose value implements
// Sweepable with SweepTag, once.
func markSweepable(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := f.Value.(Sweepable); ok && !strings.HasPrefix(f.Usage, SweepTag) {
			f.Usage = SweepTag + f.Usage
		}
	})
}

// flagValueError matches the flag package's "invalid value" errors.
var flagValueError = regexp.MustCompile(`^invalid value "(.*)" for flag -([^:]+): (.*)$`)

// explainParseError rewrites the flag package's terse errors for plain
// number flags ("parse error", "value out of range") into one line naming
// the flag, the value and what was wanted.
func explainParseError(fs *flag.FlagSet, err error) error {
	m := flagValueError.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	val, name, why := m[1], m[2], m[3]
	f := fs.Lookup(name)
	if f == nil || (why != "parse error" && why != "value out of range") {
		return err
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return err
	}
	want := "a number"
	switch g.Get().(type) {
	case int, int64, uint, uint64:
		want = "an integer"
	case bool:
		want = "true or false"
	}
	msg := fmt.Sprintf("-%s %q: want %s", name, val, want)
	if why == "value out of range" {
		msg = fmt.Sprintf("-%s %q: out of range", name, val)
	}
	if strings.Contains(val, ",") {
		msg += fmt.Sprintf(" (-%s takes one value, not a comma list)", name)
	}
	return errors.New(msg)
}

// IsSet reports whether the flag called name was given on the command line
// (so a preset may supply its own default otherwise).
func IsSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}
