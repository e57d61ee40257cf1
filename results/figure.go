package results

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Bounds are the natural limits of a metric (an error is ≥ 0, a share lies
// in [0, 1]); confidence intervals drawn for it are clipped to them. The
// zero value, and any Lo ≥ Hi, means unbounded.
type Bounds struct{ Lo, Hi float64 }

// Common bounds.
var (
	Unbounded   = Bounds{math.Inf(-1), math.Inf(1)}
	NonNegative = Bounds{0, math.Inf(1)}
	UnitRange   = Bounds{0, 1}
)

// clip returns the lower and upper half-widths of the interval m ± h after
// clipping it to b: never below Lo nor above Hi (a mean outside b keeps its
// full bar on that side rather than a negative one).
func (b Bounds) clip(m, h float64) (lo, hi float64) {
	lo, hi = h, h
	if !(b.Lo < b.Hi) {
		return lo, hi
	}
	if m-lo < b.Lo {
		lo = max(m-b.Lo, 0)
	}
	if m+hi > b.Hi {
		hi = max(b.Hi-m, 0)
	}
	return lo, hi
}

// RefLine is a horizontal reference line a theory or a baseline gives (the
// held-out floor, k* = N/(N+n)), drawn dashed in grey and named in the
// legend.
type RefLine struct {
	Y     float64
	Label string
}

// ciPhrase matches the ways figure titles announce a 95% interval.
var ciPhrase = regexp.MustCompile(`(mean\s*(±|,|and)\s*)?95% CIs?( over [a-z]+)?`)

// CIText rewrites a title or axis label that announces "mean ± 95% CI over
// seeds" (or a variant) when the largest group has n ≤ 1 value: an interval
// over one value does not exist, so the phrase becomes "n = 1".
func CIText(s string, n int) string {
	if n > 1 {
		return s
	}
	return ciPhrase.ReplaceAllString(s, "n = 1")
}

// TickLabel formats a tick value with at most three significant digits, so
// a log tick computed as 10^k never reads 1.0000000000000007.
func TickLabel(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// saveWithLegend renders p with its legend (named entries, n of them)
// where it covers none of pts (data coordinates): inside the data area at
// the top right, top left, bottom right or bottom left, in that order;
// when every corner would cover data, outside to the right of the plot,
// widening the figure by the legend's width. It writes the figure
// atomically in the format of path's extension.
func saveWithLegend(p *plot.Plot, n int, pts []plotter.XY, path string, w, h vg.Length) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format == "" {
		format = "png"
	}
	if n == 0 {
		return savePlot(p, path, w, h)
	}
	probe, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return fmt.Errorf("results: plot %s: %w", path, err)
	}
	dc := draw.New(probe)
	size := p.Legend.Rectangle(dc).Size()
	pad := vg.Points(4)
	for _, corner := range [][2]bool{{true, false}, {true, true}, {false, false}, {false, true}} { // {top, left}
		p.Legend.Top, p.Legend.Left = corner[0], corner[1]
		p.Legend.XOffs, p.Legend.YOffs = pad, -pad // off the axes and the frame
		if !corner[1] {
			p.Legend.XOffs = -pad
		}
		if !corner[0] {
			p.Legend.YOffs = pad
		}
		if !legendCovers(p, dc, size, 2*pad, pts) {
			return savePlot(p, path, w, h)
		}
	}
	legW := size.X + 4*pad
	c, err := draw.NewFormattedCanvas(w+legW, h, format)
	if err != nil {
		return fmt.Errorf("results: plot %s: %w", path, err)
	}
	full := draw.New(c)
	leg := p.Legend
	leg.XOffs, leg.YOffs = 0, 0
	p.Legend = plot.NewLegend()
	p.Draw(draw.Crop(full, 0, -legW, 0, 0))
	leg.Top, leg.Left = true, true
	top := vg.Length(0)
	if p.Title.Text != "" {
		top = p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
	}
	leg.Draw(draw.Crop(full, full.Max.X-legW+2*pad, 0, 0, -top-pad))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return fmt.Errorf("results: plot %s: %w", path, err)
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// legendCovers reports whether the legend box of the given size, placed in
// the corner p.Legend.Top/Left of p's data area on dc, holds any of pts.
func legendCovers(p *plot.Plot, dc draw.Canvas, size vg.Point, pad vg.Length, pts []plotter.XY) bool {
	da := p.DataCanvas(dc)
	var box vg.Rectangle
	if p.Legend.Left {
		box.Min.X, box.Max.X = da.Min.X, da.Min.X+size.X+pad
	} else {
		box.Min.X, box.Max.X = da.Max.X-size.X-pad, da.Max.X
	}
	if p.Legend.Top {
		box.Min.Y, box.Max.Y = da.Max.Y-size.Y-pad, da.Max.Y
	} else {
		box.Min.Y, box.Max.Y = da.Min.Y, da.Min.Y+size.Y+pad
	}
	trX, trY := p.Transforms(&da)
	for _, q := range pts {
		if math.IsNaN(q.X) || math.IsNaN(q.Y) || math.IsInf(q.Y, 0) {
			continue
		}
		x, y := trX(q.X), trY(q.Y)
		if x >= box.Min.X && x <= box.Max.X && y >= box.Min.Y && y <= box.Max.Y {
			return true
		}
	}
	return false
}

// densify returns the points of the polyline xys plus 16 points on every
// segment (in the axes' scales), the set legend placement checks.
func densify(xys plotter.XYs, logX, logY bool) []plotter.XY {
	out := append([]plotter.XY(nil), xys...)
	conv := func(v float64, lg bool) float64 {
		if lg {
			return math.Log(v)
		}
		return v
	}
	back := func(v float64, lg bool) float64 {
		if lg {
			return math.Exp(v)
		}
		return v
	}
	for i := 1; i < len(xys); i++ {
		a, b := xys[i-1], xys[i]
		for k := 1; k < 16; k++ {
			f := float64(k) / 16
			out = append(out, plotter.XY{
				X: back(conv(a.X, logX)*(1-f)+conv(b.X, logX)*f, logX),
				Y: back(conv(a.Y, logY)*(1-f)+conv(b.Y, logY)*f, logY),
			})
		}
	}
	return out
}

// refLine returns r drawn from x0 to x1: dashed, grey.
func refLine(r RefLine, x0, x1 float64) (*plotter.Line, error) {
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: r.Y}, {X: x1, Y: r.Y}})
	if err != nil {
		return nil, err
	}
	l.Color = color.NRGBA{R: 90, G: 90, B: 90, A: 255}
	l.Width = vg.Points(1)
	l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
	return l, nil
}

// overlapping reports whether ticks at a and b sit so close on an axis from
// lo to hi (in its scale) that their labels would run into each other:
// closer than 7% of the span, about the width of a five-character label on
// a FigWidth-wide figure.
func overlapping(a, b, lo, hi float64, logX bool) bool {
	if logX {
		if a <= 0 || b <= 0 || lo <= 0 || hi <= 0 {
			return false
		}
		a, b, lo, hi = math.Log(a), math.Log(b), math.Log(lo), math.Log(hi)
	}
	if !(hi > lo) {
		return false
	}
	return math.Abs(b-a) < 0.07*(hi-lo)
}

// anyPositive reports whether any half-width in lo or hi is > 0.
func anyPositive(lo, hi []float64) bool {
	for i := range lo {
		if lo[i] > 0 || hi[i] > 0 {
			return true
		}
	}
	return false
}

// CleanTicks is gonum's default linear ticker with labels in their
// shortest form: 25 rather than 25.00, 0.5 rather than 0.50.
type CleanTicks struct{}

// Ticks implements plot.Ticker.
func (CleanTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ts {
		if t.Label != "" {
			ts[i].Label = strconv.FormatFloat(t.Value, 'g', 6, 64)
			if math.Abs(t.Value) < 1e-12*math.Max(math.Abs(lo), math.Abs(hi)) {
				ts[i].Label = "0"
			}
		}
	}
	return ts
}
