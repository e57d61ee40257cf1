package matching

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"

	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
)

// View is an orthographic camera: the mesh is rotated by Azimuth about the
// z (up) axis and then tilted by Elevation, both in degrees, and viewed
// along −y'.
type View struct {
	Azimuth, Elevation float64
}

// DefaultView looks at a shape from the front-left and slightly above.
var DefaultView = View{Azimuth: -35, Elevation: 20}

func (v View) project(p [3]float64) [3]float64 {
	a, e := v.Azimuth*math.Pi/180, v.Elevation*math.Pi/180
	x := math.Cos(a)*p[0] - math.Sin(a)*p[1]
	y := math.Sin(a)*p[0] + math.Cos(a)*p[1]
	z := p[2]
	// tilt about x: depth y', up z'
	y2 := math.Cos(e)*y - math.Sin(e)*z
	z2 := math.Sin(e)*y + math.Cos(e)*z
	return [3]float64{x, z2, y2} // screen x, screen up, depth (larger = farther)
}

// CoordColors returns per-vertex RGB colours in [0,1]³ from the vertex
// coordinates rescaled to the bounding box: the source colouring of a
// correspondence picture.
func CoordColors(m *mesh.Mesh) [][3]float64 {
	lo := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
	hi := [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for _, p := range m.V {
		for k := 0; k < 3; k++ {
			lo[k], hi[k] = math.Min(lo[k], p[k]), math.Max(hi[k], p[k])
		}
	}
	c := make([][3]float64, len(m.V))
	for i, p := range m.V {
		for k := 0; k < 3; k++ {
			if hi[k] > lo[k] {
				c[i][k] = 0.15 + 0.85*(p[k]-lo[k])/(hi[k]-lo[k])
			}
		}
	}
	return c
}

// TransferColors returns the target colouring c₂(y) = c₁(p2p₂₁(y)).
func TransferColors(c1 [][3]float64, p2p21 []int) [][3]float64 {
	out := make([][3]float64, len(p2p21))
	for y, x := range p2p21 {
		out[y] = c1[x]
	}
	return out
}

// Render draws the meshes side by side into a w×h image with a z-buffer,
// per-vertex colours interpolated barycentrically and flat (per-face)
// Lambert shading 0.25 + 0.75|n·ℓ| for a light along the view direction.
// It panics if len(colors) != len(meshes) or a colouring has the wrong length.
func Render(meshes []*mesh.Mesh, colors [][][3]float64, v View, w, h int) *image.RGBA {
	if len(colors) != len(meshes) {
		panic("matching: Render: one colouring per mesh")
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	zbuf := make([]float64, w*h)
	for i := range zbuf {
		zbuf[i] = math.Inf(1)
	}
	panel := w / max(1, len(meshes))
	for mi, m := range meshes {
		if len(colors[mi]) != len(m.V) {
			panic(fmt.Sprintf("matching: Render: mesh %d has %d vertices, %d colours", mi, len(m.V), len(colors[mi])))
		}
		P := make([][3]float64, len(m.V))
		lo := [2]float64{math.Inf(1), math.Inf(1)}
		hi := [2]float64{math.Inf(-1), math.Inf(-1)}
		for i, p := range m.V {
			P[i] = v.project(p)
			for k := 0; k < 2; k++ {
				lo[k], hi[k] = math.Min(lo[k], P[i][k]), math.Max(hi[k], P[i][k])
			}
		}
		s := 0.9 * math.Min(float64(panel)/(hi[0]-lo[0]), float64(h)/(hi[1]-lo[1]))
		ox := float64(mi*panel) + 0.5*float64(panel) - 0.5*s*(lo[0]+hi[0])
		oy := 0.5*float64(h) + 0.5*s*(lo[1]+hi[1])
		for i := range P {
			P[i][0] = ox + s*P[i][0]
			P[i][1] = oy - s*P[i][1]
		}
		for _, f := range m.F {
			a, b, c := P[f[0]], P[f[1]], P[f[2]]
			n := mesh.Normalize(mesh.Cross(mesh.Sub(b, a), mesh.Sub(c, a)))
			shade := 0.25 + 0.75*math.Abs(n[2])
			area := (b[0]-a[0])*(c[1]-a[1]) - (c[0]-a[0])*(b[1]-a[1])
			if area == 0 {
				continue
			}
			x0 := max(0, int(math.Floor(math.Min(a[0], math.Min(b[0], c[0])))))
			x1 := min(w-1, int(math.Ceil(math.Max(a[0], math.Max(b[0], c[0])))))
			y0 := max(0, int(math.Floor(math.Min(a[1], math.Min(b[1], c[1])))))
			y1 := min(h-1, int(math.Ceil(math.Max(a[1], math.Max(b[1], c[1])))))
			for py := y0; py <= y1; py++ {
				for px := x0; px <= x1; px++ {
					qx, qy := float64(px)+0.5, float64(py)+0.5
					l0 := ((b[0]-qx)*(c[1]-qy) - (c[0]-qx)*(b[1]-qy)) / area
					l1 := ((c[0]-qx)*(a[1]-qy) - (a[0]-qx)*(c[1]-qy)) / area
					l2 := 1 - l0 - l1
					if l0 < 0 || l1 < 0 || l2 < 0 {
						continue
					}
					z := l0*a[2] + l1*b[2] + l2*c[2]
					if z >= zbuf[py*w+px] {
						continue
					}
					zbuf[py*w+px] = z
					var rgb [3]float64
					for k := 0; k < 3; k++ {
						rgb[k] = shade * (l0*colors[mi][f[0]][k] + l1*colors[mi][f[1]][k] + l2*colors[mi][f[2]][k])
					}
					img.SetRGBA(px, py, color.RGBA{u8(rgb[0]), u8(rgb[1]), u8(rgb[2]), 255})
				}
			}
		}
	}
	return img
}

func u8(x float64) uint8 { return uint8(math.Round(255 * math.Max(0, math.Min(1, x)))) }

// MapImage draws |C| as a heatmap, cell×cell pixels per entry, white = 0 and
// dark red = max|C|.
func MapImage(c *mat.Dense, cell int) *image.RGBA {
	r, cc := c.Dims()
	mx := 0.0
	for i := 0; i < r; i++ {
		for j := 0; j < cc; j++ {
			mx = math.Max(mx, math.Abs(c.At(i, j)))
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, cc*cell, r*cell))
	for i := 0; i < r; i++ {
		for j := 0; j < cc; j++ {
			t := 0.0
			if mx > 0 {
				t = math.Abs(c.At(i, j)) / mx
			}
			col := color.RGBA{u8(1 - 0.45*t), u8(1 - t), u8(1 - t), 255}
			for y := i * cell; y < (i+1)*cell; y++ {
				for x := j * cell; x < (j+1)*cell; x++ {
					img.SetRGBA(x, y, col)
				}
			}
		}
	}
	return img
}

// SavePNG writes img to path.
func SavePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("matching: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("matching: encoding %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("matching: closing %s: %w", path, err)
	}
	return nil
}
