package pfgmexp

import (
	"flag"
	"runtime"

	"genlab/experiments/internal"
	"genlab/pfgm"
)

// Flags are the flags both PFGM++ experiments take: the preset, where to
// write, parallelism, task selection, the official-clip toggle and the three
// sweep lists (D, seeds, data sets).
type Flags struct {
	Preset  string
	Out     string
	Threads int
	Jobs    int
	Task    int
	Clip    bool
	Ds      pfgm.Ds
	Seeds   internal.Seeds
	Data    Names
}

// Register adds the flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Preset, "preset", "quick", "quick|default|full")
	fs.StringVar(&f.Out, "out", "runs", "run root directory")
	fs.IntVar(&f.Threads, "threads", 0, "GOMAXPROCS (0: all cores)")
	fs.IntVar(&f.Jobs, "jobs", 0, "tasks run at once (0: GOMAXPROCS)")
	fs.IntVar(&f.Task, "task", -1, "run only task i (also SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX)")
	fs.BoolVar(&f.Clip, "clip-like-official", false, "train with the official clipped-Beta perturbation instead of the Gamma route")
	fs.Var(&f.Ds, "D", "augmented dimensions, comma list (inf = EDM)")
	fs.Var(&f.Seeds, "seeds", "seeds, comma list")
	fs.Var(&f.Data, "data", "data sets, comma list")
}

// Resolve runs after parsing: the sweep lists not given on the command line
// take the preset's values; -threads sets GOMAXPROCS and -jobs 0 becomes
// GOMAXPROCS. Negative -threads or -jobs (or above internal.MaxThreads,
// checked by internal.Parse) and an empty -out are usage errors.
func (f *Flags) Resolve(fs *flag.FlagSet, ds []float64, seeds []uint64, data []string) error {
	if !internal.IsSet(fs, "D") {
		f.Ds = ds
	}
	if !internal.IsSet(fs, "seeds") {
		f.Seeds = seeds
	}
	if !internal.IsSet(fs, "data") {
		f.Data = data
	}
	if f.Threads < 0 || f.Jobs < 0 {
		return internal.Usagef("-threads %d / -jobs %d: must be ≥ 0", f.Threads, f.Jobs)
	}
	if f.Out == "" {
		return internal.Usagef("-out \"\": want a run directory")
	}
	if f.Threads > 0 {
		runtime.GOMAXPROCS(f.Threads)
	}
	if f.Jobs == 0 {
		f.Jobs = runtime.GOMAXPROCS(0)
	}
	return nil
}
