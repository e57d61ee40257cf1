package internal

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestDenoiserFlags(t *testing.T) {
	type cfg struct {
		Steps, Batch, Hidden, Layers, Extra int
		LR                                  float64
		Heun                                []int
	}
	parse := func(args ...string) (cfg, error) {
		c := cfg{Steps: 10, Batch: 20, Hidden: 30, Layers: 2, Extra: 5, LR: 1e-3, Heun: []int{18}}
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var f DenoiserFlags
		f.Register(fs)
		extra := fs.Int("extra", 0, "")
		if err := fs.Parse(args); err != nil {
			return c, err
		}
		err := f.Apply(DenoiserFields{Steps: &c.Steps, Batch: &c.Batch, Hidden: &c.Hidden, Layers: &c.Layers,
			LR: &c.LR, HeunSteps: &c.Heun}, IntOverride{Flag: "extra", Value: *extra, Dst: &c.Extra})
		return c, err
	}
	c, err := parse()
	if err != nil || c.Steps != 10 || c.LR != 1e-3 || len(c.Heun) != 1 || c.Extra != 5 {
		t.Errorf("no flags: %+v, %v; want the preset kept", c, err)
	}
	c, err = parse("-steps", "7", "-batch", "8", "-hidden", "9", "-layers", "3", "-lr", "0.5", "-heun-steps", "6,3", "-extra", "4")
	if err != nil || c.Steps != 7 || c.Batch != 8 || c.Hidden != 9 || c.Layers != 3 || c.LR != 0.5 ||
		len(c.Heun) != 2 || c.Heun[1] != 3 || c.Extra != 4 {
		t.Errorf("all flags: %+v, %v", c, err)
	}
	for _, bad := range [][]string{{"-lr", "-1"}, {"-heun-steps", "0"}, {"-steps", "-2"}, {"-extra", "-1"}} {
		_, err := parse(bad...)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), bad[0]) || !strings.Contains(err.Error(), bad[1]) {
			t.Errorf("%v: %v; want a usage error naming the flag and value", bad, err)
		}
	}
}
