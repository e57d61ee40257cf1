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

// A square split into two triangles plus a zero-area face on a vertex in
// the middle of its bottom edge: CleanDefects drops the face and the
// vertex it leaves alone, RefuseDefects names them.
func ExamplePrepare() {
	m := &mesh.Mesh{
		V: [][3]float64{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {0.5, 0, 0}},
		F: [][3]int{{0, 1, 2}, {0, 2, 3}, {0, 4, 1}},
	}
	c, rep, _ := mesh.Prepare(m, "square.off", mesh.CleanDefects)
	fmt.Println(len(c.V), len(c.F), rep.Warnings())
	_, _, err := mesh.Prepare(m, "square.off", mesh.RefuseDefects)
	fmt.Println(err)
	// Output:
	// 4 2 [dropped 1 degenerate (zero-area or sliver) faces [2] dropped 1 vertices left without faces [4]]
	// mesh: square.off: refused: 1 degenerate (zero-area or sliver) faces [2]
}
