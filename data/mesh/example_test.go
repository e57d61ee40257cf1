package mesh_test

import (
	"fmt"
	"math"

	"genlab/data/mesh"
)

// A level-3 icosphere has 10·4³+2 vertices and an area approaching 4π.
func ExampleIcosphere() {
	m := mesh.Icosphere(3)
	fmt.Println(len(m.V), len(m.F), m.Check().OK())
	fmt.Printf("area/4π = %.3f\n", m.Area()/(4*math.Pi))
	// Output:
	// 642 1280 true
	// area/4π = 0.995
}
