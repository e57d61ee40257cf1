package internal_test

import (
	"fmt"
	"math"

	"genlab/experiments/internal"
)

func ExampleExpand() {
	type Config struct {
		Method string  `json:"method"`
		D      float64 `json:"D"`
		Seed   uint64  `json:"seed"`
	}
	var D internal.Floats
	if err := D.Set("64,inf"); err != nil {
		panic(err)
	}
	tasks, err := internal.Expand(Config{Method: "pfgm"},
		internal.Values("D", D, func(c *Config, v float64) { c.D = v }),
		internal.Values("seed", []uint64{0}, func(c *Config, v uint64) { c.Seed = v }))
	if err != nil {
		panic(err)
	}
	for _, t := range tasks {
		fmt.Println(t.Index, t.Key, t.Config.D, math.IsInf(t.Config.D, 1))
	}
	// Output:
	// 0 04a3fce5b1b2 64 false
	// 1 e7ab091635ad +Inf true
}
