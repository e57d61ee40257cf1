package results

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Default figure size: a two-column-wide figure at 96 dpi.
const (
	FigWidth  = 6 * vg.Inch
	FigHeight = 4 * vg.Inch
)

// savePlot renders p in the format named by path's extension (png, svg,
// pdf; png when there is none) and writes it atomically.
func savePlot(p *plot.Plot, path string, w, h vg.Length) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format == "" {
		format = "png"
	}
	wt, err := p.WriterTo(w, h, format)
	if err != nil {
		return fmt.Errorf("results: plot %s: %w", path, err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return fmt.Errorf("results: plot %s: %w", path, err)
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// LossCurve plots one recorded value against the training step: the raw
// values as a light line and, with 50 or more points, their centred moving
// average over a window of n/25 points as a dark line. Steps without the
// value, non-finite values and (with logY) non-positive values are skipped.
// refs are drawn as dashed reference lines (k* for a learned k), named in a
// legend that covers no data.
func LossCurve(path string, steps []Step, key string, logY bool, refs ...RefLine) error {
	var xys plotter.XYs
	for _, s := range steps {
		v, ok := s.Values[key]
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) || (logY && v <= 0) {
			continue
		}
		xys = append(xys, plotter.XY{X: float64(s.Step), Y: v})
	}
	if len(xys) == 0 {
		return fmt.Errorf("results: loss curve %s: no finite values of %q", path, key)
	}
	sort.SliceStable(xys, func(i, j int) bool { return xys[i].X < xys[j].X })
	p := plot.New()
	p.Title.Text = key
	p.X.Label.Text = "step"
	p.Y.Label.Text = key
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = LogTicks{}
	}
	p.Add(plotter.NewGrid())
	raw, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("results: loss curve %s: %w", path, err)
	}
	raw.Color = color.NRGBA{R: 31, G: 119, B: 180, A: 90}
	p.Add(raw)
	if n := len(xys); n >= 50 {
		win := n / 25
		smooth := make(plotter.XYs, n)
		for i := range xys {
			lo, hi := max(0, i-win/2), min(n, i+win/2+1)
			var sum float64
			for _, q := range xys[lo:hi] {
				if logY {
					sum += math.Log(q.Y)
				} else {
					sum += q.Y
				}
			}
			m := sum / float64(hi-lo)
			if logY {
				m = math.Exp(m) // geometric mean on a log axis
			}
			smooth[i] = plotter.XY{X: xys[i].X, Y: m}
		}
		sl, err := plotter.NewLine(smooth)
		if err != nil {
			return fmt.Errorf("results: loss curve %s: %w", path, err)
		}
		sl.Color = color.NRGBA{R: 31, G: 119, B: 180, A: 255}
		sl.Width = vg.Points(1.5)
		p.Add(sl)
	}
	if len(refs) == 0 {
		return savePlot(p, path, FigWidth, FigHeight)
	}
	cover := densify(xys, false, logY)
	for _, r := range refs {
		ln, err := refLine(r, xys[0].X, xys[len(xys)-1].X)
		if err != nil {
			return fmt.Errorf("results: loss curve %s: %w", path, err)
		}
		p.Add(ln)
		p.Legend.Add(r.Label, ln)
		cover = append(cover, densify(ln.XYs, false, logY)...)
	}
	return saveWithLegend(p, len(refs), cover, path, FigWidth, FigHeight)
}

// Series is one line of a sweep plot: Y[i] holds the values measured at X[i],
// one per seed. X may contain math.Inf(1) (e.g. PFGM++ D = ∞).
type Series struct {
	Name string
	X    []float64
	Y    [][]float64
}

// SweepPlot describes a metric-versus-parameter figure.
type SweepPlot struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
	Series                []Series
	YBounds               Bounds    // the metric's natural limits: error bars are clipped to them
	Refs                  []RefLine // horizontal reference lines (a floor, k*), in the legend by label
}

// errPoints is an XYer+YErrorer for plotter.NewYErrorBars: the lower and
// upper half-widths of each point's interval.
type errPoints struct {
	plotter.XYs
	lo, hi []float64
}

func (e errPoints) YError(i int) (float64, float64) { return e.lo[i], e.hi[i] }

// InfPosition returns where MetricVsParam draws x = +Inf: past the largest
// finite x by a fifth of the finite span (in log10 units when logX), and at
// least 0.3 decades (log) or 1 unit (linear). With no finite x it is 1.
func InfPosition(finite []float64, logX bool) float64 {
	if len(finite) == 0 {
		return 1
	}
	lo, hi := finite[0], finite[0]
	for _, x := range finite {
		lo, hi = min(lo, x), max(hi, x)
	}
	if logX {
		span := math.Log10(hi) - math.Log10(lo)
		return hi * math.Pow(10, max(0.3, span/5))
	}
	return hi + max(1, (hi-lo)/5)
}

// MetricVsParam draws one line per series of the mean over seeds against the
// swept parameter, with error bars of the 95% Student-t interval
// (mean ± t_{0.975,n−1}·s/√n; none for a single seed) clipped to
// spec.YBounds. Non-finite y values (a diverged run) are left out of the
// mean. An x of +Inf is drawn at InfPosition and labelled "∞"; with at most
// 12 distinct x values, each gets its own labelled tick. With LogX every
// finite x must be > 0. spec.Refs are drawn as dashed grey lines. When no
// group holds more than one value, a title or label announcing a 95% CI
// says "n = 1" instead (CIText). The legend goes where it covers no data,
// outside the plot if need be (see saveWithLegend).
func MetricVsParam(path string, spec SweepPlot) error {
	finiteSet := map[float64]bool{}
	hasInf := false
	for _, s := range spec.Series {
		if len(s.X) != len(s.Y) {
			panic(fmt.Sprintf("results: series %q: %d x values, %d y groups", s.Name, len(s.X), len(s.Y)))
		}
		for _, x := range s.X {
			switch {
			case math.IsInf(x, 1):
				hasInf = true
			case math.IsNaN(x) || math.IsInf(x, -1):
				return fmt.Errorf("results: metric plot %s: series %q: bad x %v", path, s.Name, x)
			case spec.LogX && x <= 0:
				return fmt.Errorf("results: metric plot %s: series %q: x = %v on a log axis", path, s.Name, x)
			default:
				finiteSet[x] = true
			}
		}
	}
	finite := make([]float64, 0, len(finiteSet))
	for x := range finiteSet {
		finite = append(finite, x)
	}
	sort.Float64s(finite)
	infX := InfPosition(finite, spec.LogX)

	p := plot.New()
	p.X.Label.Text = spec.XLabel
	if spec.LogX {
		p.X.Scale = plot.LogScale{}
	}
	p.Y.Tick.Marker = CleanTicks{}
	if spec.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = LogTicks{}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	// On a log axis an interval reaching 0 or below is cut at half the
	// smallest positive value plotted, not at a point that would stretch
	// the axis over decades without data.
	logFloor := math.Inf(1)
	for _, s := range spec.Series {
		for _, ys := range s.Y {
			for _, y := range ys {
				if y > 0 && !math.IsInf(y, 0) {
					logFloor = math.Min(logFloor, y/2)
				}
			}
		}
	}
	npts, maxN, nLegend := 0, 0, 0
	var cover []plotter.XY // what the legend must not hide
	for si, s := range spec.Series {
		type pt struct{ x, m, lo, hi float64 }
		var pts []pt
		for i, x := range s.X {
			var ys []float64
			for _, y := range s.Y[i] {
				if !math.IsNaN(y) && !math.IsInf(y, 0) {
					ys = append(ys, y)
				}
			}
			if len(ys) == 0 {
				continue
			}
			maxN = max(maxN, len(ys))
			m, h := meanCI95(ys)
			if spec.LogY && m <= 0 {
				continue
			}
			if math.IsInf(x, 1) {
				x = infX
			}
			lo, hi := spec.YBounds.clip(m, h)
			if spec.LogY && m-lo < logFloor {
				lo = math.Max(m-logFloor, 0) // the whisker runs to the axis' floor
			}
			pts = append(pts, pt{x, m, lo, hi})
			cover = append(cover, plotter.XY{X: x, Y: m - lo}, plotter.XY{X: x, Y: m + hi})
		}
		if len(pts) == 0 {
			continue
		}
		sort.Slice(pts, func(i, j int) bool { return pts[i].x < pts[j].x })
		ep := errPoints{XYs: make(plotter.XYs, len(pts)), lo: make([]float64, len(pts)), hi: make([]float64, len(pts))}
		for i, q := range pts {
			ep.XYs[i] = plotter.XY{X: q.x, Y: q.m}
			ep.lo[i], ep.hi[i] = q.lo, q.hi
		}
		cover = append(cover, densify(ep.XYs, spec.LogX, spec.LogY)...)
		col := plotutil.Color(si)
		// Solid through the finite x; dashed into the ∞ column, which is
		// not a continuation of the axis.
		nf := len(ep.XYs)
		if hasInf && ep.XYs[nf-1].X == infX {
			nf--
		}
		solid := ep.XYs[:max(nf, 1)]
		line, err := plotter.NewLine(solid)
		if err != nil {
			return fmt.Errorf("results: metric plot %s: %w", path, err)
		}
		line.Color = col
		line.Width = vg.Points(1.2)
		if nf >= 1 && nf < len(ep.XYs) {
			dash, err := plotter.NewLine(ep.XYs[nf-1:])
			if err != nil {
				return fmt.Errorf("results: metric plot %s: %w", path, err)
			}
			dash.Color = col
			dash.Width = vg.Points(1.2)
			dash.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(dash)
		}
		sc, err := plotter.NewScatter(ep.XYs)
		if err != nil {
			return fmt.Errorf("results: metric plot %s: %w", path, err)
		}
		sc.Color = col
		sc.Shape = plotutil.Shape(si)
		sc.Radius = vg.Points(2.5)
		p.Add(line, sc)
		if anyPositive(ep.lo, ep.hi) { // no zero-length whiskers for single values
			eb, err := plotter.NewYErrorBars(ep)
			if err != nil {
				return fmt.Errorf("results: metric plot %s: %w", path, err)
			}
			eb.Color = col
			p.Add(eb)
		}
		if s.Name != "" {
			p.Legend.Add(s.Name, line, sc)
			nLegend++
		}
		npts += len(pts)
	}
	if npts == 0 {
		return fmt.Errorf("results: metric plot %s: no finite points", path)
	}
	p.Title.Text = CIText(spec.Title, maxN)
	p.Y.Label.Text = CIText(spec.YLabel, maxN)
	p.X.Tick.Marker = sweepTicks(finite, hasInf, infX, spec.LogX)
	// Keep the first and last columns (∞ included) off the frame.
	if lo, hi := p.X.Min, p.X.Max; hi > lo {
		if spec.LogX {
			f := math.Pow(hi/lo, 0.04)
			p.X.Min, p.X.Max = lo/f, hi*f
		} else {
			d := 0.04 * (hi - lo)
			p.X.Min, p.X.Max = lo-d, hi+d
		}
	} else {
		// A single column (e.g. only D = ∞): give the axis a span around it,
		// multiplicative on a log axis so it stays positive.
		if spec.LogX {
			p.X.Min, p.X.Max = lo/2, hi*2
		} else {
			p.X.Min, p.X.Max = lo-1, hi+1
		}
	}
	for _, r := range spec.Refs {
		if spec.LogY && r.Y <= 0 || math.IsNaN(r.Y) || math.IsInf(r.Y, 0) {
			continue
		}
		l, err := refLine(r, p.X.Min, p.X.Max)
		if err != nil {
			return fmt.Errorf("results: metric plot %s: %w", path, err)
		}
		p.Add(l)
		p.Legend.Add(r.Label, l)
		nLegend++
		cover = append(cover, densify(l.XYs, spec.LogX, spec.LogY)...)
	}
	return saveWithLegend(p, nLegend, cover, path, FigWidth, FigHeight)
}

// sweepTicks labels each distinct finite x when there are at most 12 of
// them, else uses the default (or log) ticks up to the largest finite x, and
// adds "∞" at infX.
func sweepTicks(finite []float64, hasInf bool, infX float64, logX bool) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var ticks []plot.Tick
		if len(finite) > 0 && len(finite) <= 12 {
			for _, x := range finite {
				ticks = append(ticks, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', 4, 64)})
				if len(ticks) > 1 && overlapping(ticks[len(ticks)-2].Value, x, lo, hi, logX) {
					ticks[len(ticks)-1].Label = "" // too close to the previous label to be read
				}
			}
		} else if len(finite) > 0 {
			top := finite[len(finite)-1]
			var base []plot.Tick
			if logX {
				base = LogTicks{}.Ticks(lo, min(hi, top))
			} else {
				base = plot.DefaultTicks{}.Ticks(lo, min(hi, top))
			}
			for _, t := range base {
				if t.Value <= top*(1+1e-9) {
					ticks = append(ticks, t)
				}
			}
		}
		if hasInf {
			ticks = append(ticks, plot.Tick{Value: infX, Label: "∞"})
		}
		return ticks
	})
}

// BarsCI draws one bar per label at the mean of values[i] with an error bar
// of its 95% Student-t interval clipped to b, the metric's natural limits;
// the value axis leaves room above the highest whisker. With one value per
// bar at most, a title or label announcing a 95% CI says "n = 1" instead.
// len(labels) must equal len(values).
func BarsCI(path, title, yLabel string, b Bounds, labels []string, values [][]float64) error {
	if len(labels) != len(values) {
		panic(fmt.Sprintf("results: bars: %d labels, %d value groups", len(labels), len(values)))
	}
	if len(labels) == 0 {
		return fmt.Errorf("results: bars %s: no bars", path)
	}
	means := make(plotter.Values, len(values))
	ep := errPoints{XYs: make(plotter.XYs, len(values)), lo: make([]float64, len(values)), hi: make([]float64, len(values))}
	maxN := 0
	top, bottom := math.Inf(-1), math.Inf(1)
	for i, v := range values {
		var ys []float64
		for _, y := range v {
			if !math.IsNaN(y) && !math.IsInf(y, 0) {
				ys = append(ys, y)
			}
		}
		maxN = max(maxN, len(ys))
		m, h := meanCI95(ys)
		if math.IsNaN(m) {
			m, h = 0, 0
		}
		means[i] = m
		ep.XYs[i] = plotter.XY{X: float64(i), Y: m}
		ep.lo[i], ep.hi[i] = b.clip(m, h)
		top, bottom = max(top, m+ep.hi[i], 0), min(bottom, m-ep.lo[i], 0)
	}
	p := plot.New()
	p.Title.Text = CIText(title, maxN)
	p.Y.Label.Text = CIText(yLabel, maxN)
	p.Add(plotter.NewGrid())
	bars, err := plotter.NewBarChart(means, vg.Points(max(8, 240/float64(len(values)))))
	if err != nil {
		return fmt.Errorf("results: bars %s: %w", path, err)
	}
	bars.Color = plotutil.Color(0)
	bars.LineStyle.Width = 0
	p.Add(bars)
	if anyPositive(ep.lo, ep.hi) { // no zero-length whiskers for single values
		eb, err := plotter.NewYErrorBars(ep)
		if err != nil {
			return fmt.Errorf("results: bars %s: %w", path, err)
		}
		p.Add(eb)
	}
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.6, float64(len(values))-0.4
	span := top - bottom
	if !(span > 0) { // every bar at 0: an axis from 0 to 1 rather than gonum's ±1
		top, span = 1, 1
	}
	p.Y.Max = top + 0.06*span // whiskers end inside the frame
	if bottom < 0 {
		p.Y.Min = bottom - 0.06*span
	} else {
		p.Y.Min = 0
	}
	p.Y.Tick.Marker = CleanTicks{}
	h := FigHeight
	if len(labels) > 10 { // many bars: labels stand vertical below them
		longest := 0
		for _, l := range labels {
			longest = max(longest, len([]rune(l)))
		}
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
		h += vg.Length(longest) * p.X.Tick.Label.Font.Size * 0.55
	}
	return savePlot(p, path, FigWidth, h)
}

// grid is a plotter.GridXYZ over a regular lattice of cell centres.
type grid struct {
	z      [][]float64 // z[row][col]
	x0, dx float64
	y0, dy float64
}

func (g grid) Dims() (c, r int)   { return len(g.z[0]), len(g.z) }
func (g grid) Z(c, r int) float64 { return g.z[r][c] }
func (g grid) X(c int) float64    { return g.x0 + float64(c)*g.dx }
func (g grid) Y(r int) float64    { return g.y0 + float64(r)*g.dy }

// rampPalette is a linear ramp between two colours.
type rampPalette []color.Color

func (p rampPalette) Colors() []color.Color { return p }

func newRamp(from, to color.NRGBA, n int) rampPalette {
	out := make(rampPalette, n)
	for i := range out {
		t := float64(i) / float64(n-1)
		lerp := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + t*(float64(b)-float64(a)))) }
		out[i] = color.NRGBA{R: lerp(from.R, to.R), G: lerp(from.G, to.G), B: lerp(from.B, to.B), A: 255}
	}
	return out
}

// Scatter2D draws the first two columns of samples as dots over the density
// of reference, shown as a 2-D histogram (80×80 bins, shade ∝ log(1+count))
// on the reference's bounding box widened by 10% per side. Samples outside
// that box are not drawn; their number is added to the title. samples may be
// nil. Both matrices must have 2 columns.
func Scatter2D(path, title string, samples, reference *mat.Dense) error {
	if reference == nil {
		panic("results: scatter2d: nil reference")
	}
	rr, rc := reference.Dims()
	if rc != 2 {
		panic(fmt.Sprintf("results: scatter2d: reference has %d columns, want 2", rc))
	}
	if rr == 0 {
		return fmt.Errorf("results: scatter2d %s: empty reference", path)
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for i := range rr {
		x, y := reference.At(i, 0), reference.At(i, 1)
		xmin, xmax = min(xmin, x), max(xmax, x)
		ymin, ymax = min(ymin, y), max(ymax, y)
	}
	if math.IsNaN(xmin+xmax+ymin+ymax) || math.IsInf(xmin+xmax+ymin+ymax, 0) {
		return fmt.Errorf("results: scatter2d %s: non-finite reference", path)
	}
	pad := func(lo, hi float64) (float64, float64) {
		w := hi - lo
		if w == 0 {
			w = max(1, math.Abs(lo))
		}
		return lo - 0.1*w, hi + 0.1*w
	}
	xmin, xmax = pad(xmin, xmax)
	ymin, ymax = pad(ymin, ymax)
	const nb = 80
	dx, dy := (xmax-xmin)/nb, (ymax-ymin)/nb
	z := make([][]float64, nb)
	for r := range z {
		z[r] = make([]float64, nb)
	}
	for i := range rr {
		c := min(nb-1, int((reference.At(i, 0)-xmin)/dx))
		r := min(nb-1, int((reference.At(i, 1)-ymin)/dy))
		z[r][c]++
	}
	zmax := 0.0
	for r := range z {
		for c := range z[r] {
			z[r][c] = math.Log1p(z[r][c])
			zmax = max(zmax, z[r][c])
		}
	}
	p := plot.New()
	p.X.Label.Text = "x₁"
	p.Y.Label.Text = "x₂"
	hm := plotter.NewHeatMap(grid{z: z, x0: xmin + dx/2, dx: dx, y0: ymin + dy/2, dy: dy},
		newRamp(color.NRGBA{255, 255, 255, 255}, color.NRGBA{70, 110, 170, 255}, 64))
	hm.Min, hm.Max = 0, zmax
	hm.Rasterized = true
	p.Add(hm)
	outside := 0
	n := 0
	if samples != nil {
		sr, sc := samples.Dims()
		if sc != 2 {
			panic(fmt.Sprintf("results: scatter2d: samples have %d columns, want 2", sc))
		}
		n = sr
		var xys plotter.XYs
		for i := range sr {
			x, y := samples.At(i, 0), samples.At(i, 1)
			if !(x >= xmin && x <= xmax && y >= ymin && y <= ymax) { // NaN counts as outside
				outside++
				continue
			}
			xys = append(xys, plotter.XY{X: x, Y: y})
		}
		if len(xys) > 0 {
			s, err := plotter.NewScatter(xys)
			if err != nil {
				return fmt.Errorf("results: scatter2d %s: %w", path, err)
			}
			s.GlyphStyle.Color = color.NRGBA{R: 200, G: 40, B: 30, A: 170}
			s.GlyphStyle.Radius = vg.Points(1.1)
			s.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(s)
		}
	}
	p.Title.Text = title
	if outside > 0 {
		p.Title.Text = fmt.Sprintf("%s (%d of %d samples outside)", title, outside, n)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = xmin, xmax, ymin, ymax
	return savePlot(p, path, 5*vg.Inch, 5*vg.Inch)
}

// Heatmap draws z[i][j] (row i ↔ ys[i], column j ↔ xs[j]) as coloured cells
// with the value printed in each cell and a colour bar on the right. The
// colour scale spans the finite values of z (Moreland's smooth blue–red
// diverging map, blue low); NaN cells are grey. len(z) must equal len(ys) and every row len(xs).
func Heatmap(path string, xs, ys []string, z [][]float64, title string) error {
	return HeatmapRange(path, xs, ys, z, title, math.NaN(), math.NaN())
}

// HeatmapRange is Heatmap with the colour scale fixed to [lo, hi], so that
// several figures share one scale; values outside take the end colours. A
// NaN bound is taken from the finite values of z.
func HeatmapRange(path string, xs, ys []string, z [][]float64, title string, lo, hi float64) error {
	if len(z) != len(ys) {
		panic(fmt.Sprintf("results: heatmap: %d rows, %d y labels", len(z), len(ys)))
	}
	for i := range z {
		if len(z[i]) != len(xs) {
			panic(fmt.Sprintf("results: heatmap: row %d has %d values, %d x labels", i, len(z[i]), len(xs)))
		}
	}
	if len(xs) == 0 || len(ys) == 0 {
		return fmt.Errorf("results: heatmap %s: empty grid", path)
	}
	zlo, zhi := math.Inf(1), math.Inf(-1)
	for i := range z {
		for _, v := range z[i] {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				zlo, zhi = min(zlo, v), max(zhi, v)
			}
		}
	}
	if math.IsInf(zlo, 1) {
		zlo, zhi = 0, 1
	}
	if math.IsNaN(lo) {
		lo = zlo
	}
	if math.IsNaN(hi) {
		hi = zhi
	}
	if hi < lo {
		return fmt.Errorf("results: heatmap %s: colour range [%v, %v] is empty", path, lo, hi)
	}
	if lo == hi {
		d := max(0.5, math.Abs(lo)*0.05)
		lo, hi = lo-d, hi+d
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(lo)
	cm.SetMax(hi)
	pal := cm.Palette(255)

	p := plot.New()
	p.Title.Text = title
	hm := plotter.NewHeatMap(grid{z: z, x0: 0, dx: 1, y0: 0, dy: 1}, pal)
	hm.Min, hm.Max = lo, hi
	hm.NaN = color.Gray{Y: 160}
	hm.Underflow = pal.Colors()[0]
	hm.Overflow = pal.Colors()[len(pal.Colors())-1]
	p.Add(hm)
	var lab plotter.XYLabels
	for r := range z {
		for c, v := range z[r] {
			lab.XYs = append(lab.XYs, plotter.XY{X: float64(c), Y: float64(r)})
			lab.Labels = append(lab.Labels, strconv.FormatFloat(v, 'g', 3, 64))
		}
	}
	labels, err := plotter.NewLabels(lab)
	if err != nil {
		return fmt.Errorf("results: heatmap %s: %w", path, err)
	}
	i := 0
	for r := range z {
		for _, v := range z[r] {
			ts := &labels.TextStyle[i]
			ts.XAlign = draw.XCenter
			ts.YAlign = draw.YCenter
			ts.Color = color.Black
			if !math.IsNaN(v) {
				if col, err := cm.At(math.Min(hi, math.Max(lo, v))); err == nil && luminance(col) < 0.45 {
					ts.Color = color.White
				}
			}
			i++
		}
	}
	if len(xs)*len(ys) <= 200 {
		p.Add(labels)
	}
	xt := make(plot.ConstantTicks, len(xs))
	for j, s := range xs {
		xt[j] = plot.Tick{Value: float64(j), Label: s}
	}
	yt := make(plot.ConstantTicks, len(ys))
	for j, s := range ys {
		yt[j] = plot.Tick{Value: float64(j), Label: s}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = xt, yt
	p.X.Min, p.X.Max = -0.5, float64(len(xs))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(ys))-0.5

	cb := plot.New()
	cb.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	cb.HideX()
	cb.Y.Padding = 0
	cb.Title.Text = " " // keep the bar's top level with the heat map's

	const w, h = FigWidth, FigHeight
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(vgimg.DefaultDPI))
	dc := draw.New(c)
	p.Draw(draw.Crop(dc, 0, -w/5, 0, 0))
	cb.Draw(draw.Crop(dc, w*5/6, -vg.Points(6), vg.Points(28), 0))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return fmt.Errorf("results: heatmap %s: %w", path, err)
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// luminance is the relative luminance of c in [0, 1] (Rec. 709 weights on
// the gamma-encoded channels, enough to pick a readable text colour).
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}

// ImageGrid writes a rows×cols mosaic of grey images as a PNG. Each imgs[k]
// is one w×h image in row-major order with values in [0, 1] (0 black,
// 1 white; values outside are clipped, NaN is black). Cells are separated
// by 2 grey pixels and images smaller than 48 pixels are enlarged by an
// integer factor. Only the first rows·cols images are drawn; missing cells
// stay grey. Every image must have w·h values.
func ImageGrid(path string, imgs [][]float64, w, h, rows, cols int) error {
	return ImageGridRange(path, imgs, w, h, rows, cols, 0, 1)
}

// ImageGridRange is ImageGrid for values in [lo, hi] (e.g. [−1, 1]), mapped
// linearly to black…white.
func ImageGridRange(path string, imgs [][]float64, w, h, rows, cols int, lo, hi float64) error {
	if w <= 0 || h <= 0 || rows <= 0 || cols <= 0 {
		panic(fmt.Sprintf("results: image grid: bad shape w=%d h=%d rows=%d cols=%d", w, h, rows, cols))
	}
	if !(hi > lo) {
		panic(fmt.Sprintf("results: image grid: empty range [%v, %v]", lo, hi))
	}
	for k, im := range imgs {
		if len(im) != w*h {
			panic(fmt.Sprintf("results: image grid: image %d has %d values, want %d", k, len(im), w*h))
		}
	}
	scale := max(1, (48+max(w, h)-1)/max(w, h))
	const pad = 2
	cw, ch := w*scale, h*scale
	W, H := cols*cw+(cols+1)*pad, rows*ch+(rows+1)*pad
	g := image.NewGray(image.Rect(0, 0, W, H))
	for i := range g.Pix {
		g.Pix[i] = 128
	}
	for k := 0; k < len(imgs) && k < rows*cols; k++ {
		r, c := k/cols, k%cols
		ox, oy := pad+c*(cw+pad), pad+r*(ch+pad)
		for y := range h {
			for x := range w {
				v := (imgs[k][y*w+x] - lo) / (hi - lo)
				if math.IsNaN(v) {
					v = 0
				}
				v = math.Min(1, math.Max(0, v))
				px := uint8(math.Round(v * 255))
				for sy := range scale {
					row := (oy+y*scale+sy)*g.Stride + ox + x*scale
					for sx := range scale {
						g.Pix[row+sx] = px
					}
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		return fmt.Errorf("results: image grid %s: %w", path, err)
	}
	return WriteFileAtomic(path, buf.Bytes())
}

var _ palette.Palette = rampPalette(nil)

// maxLogLabels is the most decades LogTicks labels on one axis.
const maxLogLabels = 8

// LogTicks is a log-axis ticker that always labels at least two values:
// gonum's plot.LogTicks labels only powers of ten, so an axis spanning less
// than a decade (fid_lenet from 90 to 400, say) had no numbers on it. Then
// the ticks are m·10ᵏ for m = 1…9, labelled at m ∈ {1, 2, 5} or, when that
// still gives fewer than two labels, at every m; a range narrower still
// (1.2 to 1.9) gets gonum's linear ticks. Over more than maxLogLabels
// decades only every second (third, …) power of ten keeps its label.
type LogTicks struct{}

// Ticks implements plot.Ticker.
func (LogTicks) Ticks(lo, hi float64) []plot.Tick {
	base := plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	labelled := 0
	for i, t := range base {
		if t.Label != "" {
			base[i].Label = TickLabel(t.Value) // gonum's 10^k reads 1.0000000000000007
			if t.Value >= lo && t.Value <= hi {
				labelled++ // gonum also returns ticks outside [lo, hi]
			}
		}
	}
	if labelled > maxLogLabels { // many decades: powers of ten only, every step-th labelled
		step := (labelled + maxLogLabels - 1) / maxLogLabels
		kept := base[:0]
		for _, t := range base {
			if t.Label == "" {
				continue // the minor ticks would fill the axis with black
			}
			if int(math.Round(math.Log10(t.Value)))%step != 0 {
				t.Label = ""
			}
			kept = append(kept, t)
		}
		base = kept
	}
	if labelled >= 2 || !(lo > 0) || !(hi > lo) {
		return base
	}
	var out []plot.Tick
	for _, every := range []bool{false, true} {
		out, labelled = out[:0], 0
		for k := math.Floor(math.Log10(lo)); k <= math.Ceil(math.Log10(hi)); k++ {
			for m := 1.0; m <= 9; m++ {
				v := m * math.Pow(10, k)
				if v < lo || v > hi {
					continue
				}
				t := plot.Tick{Value: v}
				if every || m == 1 || m == 2 || m == 5 {
					t.Label = TickLabel(v)
					labelled++
				}
				out = append(out, t)
			}
		}
		if labelled >= 2 {
			return out
		}
	}
	return plot.DefaultTicks{}.Ticks(lo, hi) // narrower than one step of m
}
