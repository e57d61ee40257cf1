package fidlenet_test

import (
	"fmt"

	"genlab/fidlenet"
)

// The shipped feature network is checked against its recorded SHA-256 when
// loaded; its reference statistics are tied to that hash.
func ExampleLoad() {
	net, sha, err := fidlenet.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	ref, err := fidlenet.Reference(sha)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("features:", net.Features())
	fmt.Println("reference:", ref.Split, "split,", ref.Stats.N, "images")
	// Output:
	// features: 128
	// reference: test split, 10000 images
}
