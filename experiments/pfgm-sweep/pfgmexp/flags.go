package pfgmexp

import (
	"flag"
	"math"
	"strings"

	"genlab/experiments/internal"
	"genlab/pfgm"
)

// Flags are the flags both PFGM++ experiments take besides the common ones
// (internal.Common): the official-clip toggle, the sweep lists of D and data
// sets, the training length and the Heun step counts.
type Flags struct {
	Clip  bool
	Ds    pfgm.Ds
	Data  Names
	Steps int           // -steps: training steps (0: the preset's)
	Heun  internal.Ints // -heun-steps: Heun step counts n (NFE 2n−1)
}

// Register adds the flags to fs; heunUsage describes -heun-steps.
func (f *Flags) Register(fs *flag.FlagSet, heunUsage string) {
	fs.BoolVar(&f.Clip, "clip-like-official", false, "train with the official clipped-Beta perturbation instead of the Gamma route")
	fs.Var(&f.Ds, "D", "augmented dimensions, comma list (inf = EDM)")
	fs.Var(&f.Data, "data", "data sets, comma list")
	fs.IntVar(&f.Steps, "steps", 0, "training steps (0: the preset's)")
	fs.Var(&f.Heun, "heun-steps", heunUsage)
}

// Resolve runs after parsing: the sweep lists not given on the command line
// take the preset's values (D, seeds, data sets, Heun step counts), and a
// negative -steps or a Heun step count outside [1, 2¹⁶] is a usage error.
func (f *Flags) Resolve(fs *flag.FlagSet, c *internal.Common, ds []float64, seeds []uint64, data []string, heun []int) error {
	if !internal.IsSet(fs, "D") {
		f.Ds = ds
	}
	if !internal.IsSet(fs, "seeds") {
		c.Seeds = seeds
	}
	if !internal.IsSet(fs, "data") {
		f.Data = data
	}
	if !internal.IsSet(fs, "heun-steps") {
		f.Heun = heun
	}
	if f.Steps < 0 {
		return internal.Usagef("-steps %d: must be ≥ 0", f.Steps)
	}
	for _, n := range f.Heun {
		if n < 1 || n > 1<<16 {
			return internal.Usagef("invalid value %d in -heun-steps: must be in [1, %d]", n, 1<<16)
		}
	}
	return nil
}

// Train returns the training settings of preset for the data set name with
// D, seed and the -steps and -clip-like-official flags applied.
func (f *Flags) Train(preset internal.Preset, name string, d float64, seed uint64) TrainConfig {
	tc := DefaultTrain(DimOf(name), string(preset))
	tc.Data, tc.D, tc.Seed, tc.ClipLikeOfficial = name, d, seed, f.Clip
	if f.Steps > 0 {
		tc.Steps = f.Steps
	}
	return tc
}

// InfToNaN replaces the ±Inf values of res by NaN, keeping result.json
// numeric-parsable ("inf" would read as a value).
func InfToNaN(res map[string]float64) {
	for k, v := range res {
		if math.IsInf(v, 0) {
			res[k] = math.NaN()
		}
	}
}

// Names is a comma-separated list of data-set names, a flag.Value that
// checks each.
type Names []string

func (n *Names) String() string {
	if n == nil {
		return ""
	}
	return strings.Join(*n, ",")
}

// Sweepable marks Names as a comma-list flag that -h lists as sweepable.
func (*Names) Sweepable() {}

// Set parses "ring8,t2-2d" and rejects unknown names.
func (n *Names) Set(s string) error {
	var out Names
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if err := CheckData(p); err != nil {
			return err
		}
		out = append(out, p)
	}
	*n = out
	return nil
}
