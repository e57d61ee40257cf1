package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"genlab/results"
)

// maxPanels bounds the settings drawn side by side.
const maxPanels = 16

// samplesBySetting draws the samples.png of one task per setting (the
// first row of each group) side by side, titled with the setting, into
// samples_by_setting.png, four panels per row.
func samplesBySetting(dir string, t *results.Table, names []string, groups map[string][]int) error {
	var panels []*plot.Plot
	for _, g := range names {
		if len(panels) == maxPanels {
			break
		}
		key := t.Get(groups[g][0], "key")
		b, err := os.ReadFile(filepath.Join(dir, key, "samples.png"))
		if err != nil {
			continue // a task without pictures (e.g. failed): leave it out
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("samples of %s: %w", key, err)
		}
		p := plot.New()
		p.Title.Text = g
		p.HideAxes()
		r := img.Bounds()
		p.Add(plotter.NewImage(img, 0, 0, float64(r.Dx()), float64(r.Dy())))
		panels = append(panels, p)
	}
	if len(panels) == 0 {
		return nil
	}
	cols := min(4, len(panels))
	rows := (len(panels) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
		for j := range grid[i] {
			if k := i*cols + j; k < len(panels) {
				grid[i][j] = panels[k]
			}
		}
	}
	const side = 3 * vg.Inch
	c := vgimg.New(vg.Length(cols)*side, vg.Length(rows)*(side+0.3*vg.Inch))
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter}
	canvases := plot.Align(grid, tiles, dc)
	for i := range grid {
		for j, p := range grid[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return fmt.Errorf("samples by setting: %w", err)
	}
	return results.WriteFileAtomic(filepath.Join(dir, "samples_by_setting.png"), buf.Bytes())
}
