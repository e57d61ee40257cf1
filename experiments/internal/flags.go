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
	"steps": {0, 1 << 30}, "iters": {0, 1 << 30}, "net-steps": {0, 1 << 30}, "warmup": {0, 1 << 30},
	"eval-every": {0, 1 << 30}, "eval-n": {0, 1 << 22}, "sample-steps": {0, 1 << 20}, "heun": {0, 1 << 16},
	"n-eval": {0, 1 << 22}, "n": {0, 1 << 24}, "npairs": {0, 1 << 16}, "zoomout": {0, 1 << 12},
	"extra": {0, 1 << 16}, "k": {0, 1 << 12}, "res": {0, 1 << 12}, "width-N": {1, 1 << 16},
	"threads": {0, MaxThreads}, "jobs": {0, MaxThreads},
	// rates, fractions and scales
	"lr": {0, 1}, "k-lr": {0, 10}, "k-init": {0, 1}, "clamp": {0, 1}, "flip": {0, 1},
	"sigma-data": {0, 100}, "ema-halflife": {0, 1e12},
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

// splitList splits a comma list, rejecting empty items.
func splitList(s string) ([]string, error) {
	items := strings.Split(s, ",")
	for i, it := range items {
		items[i] = strings.TrimSpace(it)
		if items[i] == "" {
			return nil, fmt.Errorf("empty item in list %q", s)
		}
	}
	return items, nil
}

// maxRange bounds the length of an expanded integer range and of a whole
// list: 65,536 values, far beyond any sweep (each value is a task), and
// small enough that parsing and printing a list stays in milliseconds (at
// 2²⁰ a fuzzed "0-1048575" took long enough to stall the fuzzer).
const maxRange = 1 << 16

// parseItem parses "n" or an inclusive range "a-b" (a ≤ b; for signed T, a
// and b may be negative, as in "-3--1") with parse, which reads one number.
// A range never expands to more than maxRange values.
func parseItem[T int64 | uint64](it string, parse func(string) (T, error)) ([]T, error) {
	if i := strings.Index(it[1:], "-"); i >= 0 {
		lo, err1 := parse(it[:i+1])
		hi, err2 := parse(it[i+2:])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%q is not an integer or a range a-b", it)
		}
		if hi < lo {
			return nil, fmt.Errorf("range %q is decreasing", it)
		}
		if hi-lo >= maxRange {
			return nil, fmt.Errorf("range %q has more than %d values", it, maxRange)
		}
		out := make([]T, 0, hi-lo+1)
		for v := lo; ; v++ {
			out = append(out, v)
			if v == hi { // not v <= hi: hi may be the type's maximum
				break
			}
		}
		return out, nil
	}
	v, err := parse(it)
	if err != nil {
		return nil, err
	}
	return []T{v}, nil
}

// parseList parses a comma list of integers and ranges, rejecting
// duplicates (they would only repeat tasks). Errors name the bad element.
func parseList[T int64 | uint64](s string, parse func(string) (T, error)) ([]T, error) {
	items, err := splitList(s)
	if err != nil {
		return nil, err
	}
	var out []T
	seen := map[T]bool{}
	for _, it := range items {
		vs, err := parseItem(it, parse)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if seen[v] {
				return nil, fmt.Errorf("%d appears twice", v)
			}
			seen[v] = true
			out = append(out, v)
		}
		if len(out) > maxRange {
			return nil, fmt.Errorf("list %q has more than %d values", s, maxRange)
		}
	}
	return out, nil
}

// parseInt64 reads one integer of an Ints list.
func parseInt64(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	return v, nil
}

// parseSeed reads one seed of a Seeds list: an integer in [0, 2⁶⁴−1].
func parseSeed(s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err == nil {
		return v, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n < 0 {
		return 0, fmt.Errorf("seed %d is negative", n)
	}
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("seed %q is above 2⁶⁴−1", s)
	}
	return 0, fmt.Errorf("%q is not an integer", s)
}

// Ints is a comma-list flag of integers with inclusive ranges: "1,2,5",
// "0-4", "0-2,10". A value given on the command line replaces the default.
type Ints []int

// Set implements flag.Value.
func (v *Ints) Set(s string) error {
	xs, err := parseList(s, parseInt64)
	if err != nil {
		return err
	}
	out := make(Ints, len(xs))
	for i, x := range xs {
		if x < math.MinInt || x > math.MaxInt {
			return fmt.Errorf("%d is out of range", x)
		}
		out[i] = int(x)
	}
	*v = out
	return nil
}

// String implements flag.Value.
func (v *Ints) String() string {
	if v == nil {
		return ""
	}
	parts := make([]string, len(*v))
	for i, x := range *v {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

// Seeds is a comma list of non-negative integers and ranges, as uint64
// seeds: every value 0 … 2⁶⁴−1 is accepted.
type Seeds []uint64

// Set implements flag.Value.
func (v *Seeds) Set(s string) error {
	xs, err := parseList(s, parseSeed)
	if err != nil {
		return err
	}
	*v = xs
	return nil
}

// String implements flag.Value.
func (v *Seeds) String() string {
	if v == nil {
		return ""
	}
	parts := make([]string, len(*v))
	for i, x := range *v {
		parts[i] = strconv.FormatUint(x, 10)
	}
	return strings.Join(parts, ",")
}

// Floats is a comma-list flag of numbers; "inf", "+inf", "infinity" (any
// case) and "∞" mean math.Inf(1), e.g. -D 1,4,16,inf. NaN, "-inf" and
// repeated values are rejected. A value given on the command line replaces
// the default.
type Floats []float64

// Set implements flag.Value.
func (v *Floats) Set(s string) error {
	items, err := splitList(s)
	if err != nil {
		return err
	}
	out := make(Floats, 0, len(items))
	seen := map[float64]bool{}
	for _, it := range items {
		f, err := ParseFloat(it)
		if err != nil {
			return err
		}
		if seen[f] {
			return fmt.Errorf("%q appears twice", it)
		}
		seen[f] = true
		out = append(out, f)
	}
	*v = out
	return nil
}

// String implements flag.Value; +Inf prints as "inf".
func (v *Floats) String() string {
	if v == nil {
		return ""
	}
	parts := make([]string, len(*v))
	for i, x := range *v {
		parts[i] = FormatFloat(x)
	}
	return strings.Join(parts, ",")
}

// ParseFloat parses one number of a Floats list: a finite decimal, or
// "inf"/"+inf"/"infinity"/"∞" for +Inf.
func ParseFloat(s string) (float64, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "inf", "+inf", "infinity", "+infinity", "∞", "+∞":
		return math.Inf(1), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a finite number or inf", s)
	}
	return f, nil
}

// FormatFloat writes x as ParseFloat reads it ("inf" for +Inf).
func FormatFloat(x float64) string {
	if math.IsInf(x, 1) {
		return "inf"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// Strings is a comma-list flag whose items must belong to Allowed (any
// item when Allowed is empty), e.g. -toy ring8,moons. When Canon is set,
// each item is first mapped to its canonical name (an error names the
// item), so aliases never reach a task key: -target v_prediction is
// stored as "v". Repeated items (after mapping) are rejected. A value
// given on the command line replaces Values.
type Strings struct {
	Values  []string
	Allowed []string
	Canon   func(string) (string, error)
}

// Set implements flag.Value.
func (v *Strings) Set(s string) error {
	items, err := splitList(s)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, it := range items {
		if v.Canon != nil {
			c, err := v.Canon(it)
			if err != nil {
				return err
			}
			it, items[i] = c, c
		}
		if len(v.Allowed) > 0 && !contains(v.Allowed, it) {
			return fmt.Errorf("%q is not one of %s", it, strings.Join(v.Allowed, ", "))
		}
		if seen[it] {
			return fmt.Errorf("%q appears twice", it)
		}
		seen[it] = true
	}
	v.Values = items
	return nil
}

// String implements flag.Value.
func (v *Strings) String() string {
	if v == nil {
		return ""
	}
	return strings.Join(v.Values, ",")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var (
	_ flag.Value = (*Preset)(nil)
	_ flag.Value = (*Ints)(nil)
	_ flag.Value = (*Seeds)(nil)
	_ flag.Value = (*Floats)(nil)
	_ flag.Value = (*Strings)(nil)
)

// IntOverride is a preset value that an integer flag may replace: a flag
// value of 0 keeps the preset's value, a positive one replaces it, and a
// negative one is bad input.
type IntOverride struct {
	Flag  string // flag name without the dash
	Value int    // the flag's value
	Dst   *int   // the preset field it overrides
}

// ApplyOverrides applies each override in order and returns a *UsageError
// naming the first negative flag value.
func ApplyOverrides(os ...IntOverride) error {
	for _, o := range os {
		if o.Value < 0 {
			return Usagef("-%s %d: must be ≥ 0", o.Flag, o.Value)
		}
		if o.Value > 0 {
			*o.Dst = o.Value
		}
	}
	return nil
}

// DenoiserFlags are the flags shared by the experiments that train an MLP
// denoiser and sample it with Heun (toy2d, mnist): -steps, -batch, -hidden,
// -layers, -lr and -heun-steps. Each overrides the preset's value when
// given; 0 (or no -heun-steps) keeps it.
type DenoiserFlags struct {
	steps, batch, hidden, layers *int
	lr                           *float64
	heun                         Ints
}

// Register defines the flags on fs.
func (f *DenoiserFlags) Register(fs *flag.FlagSet) {
	f.steps = fs.Int("steps", 0, "training steps (0: the preset's)")
	f.batch = fs.Int("batch", 0, "batch size (0: the preset's)")
	f.hidden = fs.Int("hidden", 0, "MLP hidden width (0: the preset's)")
	f.layers = fs.Int("layers", 0, "MLP hidden layers (0: the preset's)")
	f.lr = fs.Float64("lr", 0, "Adam learning rate (0: the preset's)")
	fs.Var(&f.heun, "heun-steps", "comma list of Heun step counts n (NFE 2n−1); the first is the headline")
}

// DenoiserFields points at the preset fields DenoiserFlags override.
type DenoiserFields struct {
	Steps, Batch, Hidden, Layers *int
	LR                           *float64
	HeunSteps                    *[]int
}

// Apply writes the given flags into dst, then applies extra (an
// experiment's own integer overrides). A negative value, or a Heun step
// count below 1, is a *UsageError naming the flag.
func (f *DenoiserFlags) Apply(dst DenoiserFields, extra ...IntOverride) error {
	if err := ApplyOverrides(append([]IntOverride{
		{Flag: "steps", Value: *f.steps, Dst: dst.Steps},
		{Flag: "batch", Value: *f.batch, Dst: dst.Batch},
		{Flag: "hidden", Value: *f.hidden, Dst: dst.Hidden},
		{Flag: "layers", Value: *f.layers, Dst: dst.Layers},
	}, extra...)...); err != nil {
		return err
	}
	if *f.lr < 0 || math.IsNaN(*f.lr) {
		return Usagef("-lr %g: must be ≥ 0", *f.lr)
	}
	if *f.lr > 0 {
		*dst.LR = *f.lr
	}
	for _, n := range f.heun {
		if n < 1 {
			return Usagef("-heun-steps %d: must be ≥ 1", n)
		}
	}
	if len(f.heun) > 0 {
		*dst.HeunSteps = f.heun
	}
	return nil
}
