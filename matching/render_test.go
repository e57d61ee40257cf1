package matching

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
)

// The rasteriser covers a sphere's projected disc: it is fitted to 90% of
// the panel, so the covered fraction of a square panel is π·0.45².
func TestRenderCoverage(t *testing.T) {
	m := mesh.Icosphere(4)
	c := make([][3]float64, len(m.V))
	for i := range c {
		c[i] = [3]float64{1, 0, 0}
	}
	img := Render([]*mesh.Mesh{m}, [][][3]float64{c}, DefaultView, 300, 300)
	covered := 0
	for y := 0; y < 300; y++ {
		for x := 0; x < 300; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if !(r == 0xffff && g == 0xffff && b == 0xffff) {
				covered++
				if g != 0 || b != 0 {
					t.Fatalf("pixel (%d,%d) is not a shade of red", x, y)
				}
			}
		}
	}
	want := math.Pi * 0.45 * 0.45
	if got := float64(covered) / 90000; math.Abs(got-want) > 0.02 {
		t.Errorf("covered fraction %.4f, want %.4f", got, want)
	}
	// colour transfer through the identity map leaves both panels identical
	id := make([]int, len(m.V))
	for i := range id {
		id[i] = i
	}
	cc := CoordColors(m)
	two := Render([]*mesh.Mesh{m, m}, [][][3]float64{cc, TransferColors(cc, id)}, DefaultView, 400, 200)
	for y := 0; y < 200; y++ {
		for x := 0; x < 200; x++ {
			if two.At(x, y) != two.At(x+200, y) {
				t.Fatalf("panels differ at (%d,%d)", x, y)
			}
		}
	}
	h := MapImage(mat.NewDense(2, 3, []float64{1, 0, -0.5, 0, 0, 0}), 4)
	if b := h.Bounds(); b.Dx() != 12 || b.Dy() != 8 {
		t.Errorf("heatmap size %v", b)
	}
	if r, g, _, _ := h.At(0, 0).RGBA(); r <= g || h.At(4, 0) != h.At(11, 7) {
		t.Error("heatmap colours: |C| = 1 should be dark red, zeros white")
	}
}
