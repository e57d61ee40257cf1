package results_test

import (
	"fmt"
	"math"

	"genlab/results"
)

func ExampleKey() {
	type Config struct {
		Method string  `json:"method"`
		D      float64 `json:"D"`
		Seed   uint64  `json:"seed"`
	}
	cfg := Config{Method: "pfgm", D: math.Inf(1), Seed: 0}
	text, _ := results.Canonical(cfg)
	key, _ := results.Key(cfg)
	fmt.Println(string(text))
	fmt.Println(key) // first 12 hex digits of SHA-256(text)
	// Output:
	// {"D":"inf","method":"pfgm","seed":0}
	// e7ab091635ad
}
