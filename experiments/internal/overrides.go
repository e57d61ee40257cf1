package internal

import (
	"flag"
	"math"
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
