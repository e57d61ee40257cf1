package main

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"genlab/experiments/internal"
	"genlab/pfgm"
	"genlab/results"
)

// summaryFigures draws the sample grids of every setting side by side,
// fid_lenet against NFE (mean ± 95% CI over seeds) for the settings sampled
// at several NFEs, with the floor as its own series, fid_lenet against D
// when several D were run, and against k when several k were run, and
// paired.csv: every arm against the EDM run of its context, seed by seed,
// and the learned k against s with k* of each estimate in dims.
func summaryFigures(dir string, t *results.Table, dims []dimRow) error {
	names, groups := settings(t)
	if err := samplesBySetting(dir, t, names, groups); err != nil {
		return err
	}
	if err := fidVsNFE(filepath.Join(dir, "fid_vs_nfe.png"), t, names, groups); err != nil {
		return err
	}
	if err := fidVsD(filepath.Join(dir, "fid_vs_D.png"), t); err != nil {
		return err
	}
	if err := writePaired(dir, t); err != nil {
		return err
	}
	if err := fidVsK(filepath.Join(dir, "fid_vs_k.png"), t); err != nil {
		return err
	}
	return kVsS(filepath.Join(dir, "k_vs_s.png"), t, dims)
}

// settings groups the rows that differ only in their seed, each group
// named by its network, resolution, D, training length, target and the
// sizes that vary across the table; the names come sorted.
func settings(t *results.Table) ([]string, map[string][]int) {
	groups := map[string][]int{}
	for i := range t.Rows {
		g := fmt.Sprintf("%s %d² D=%s %s steps", t.Get(i, "net"), atoi(t.Get(i, "res")), t.Get(i, "D"), t.Get(i, "steps"))
		g += targetLabel(t, i)
		for _, c := range []string{"hidden", "layers", "channels", "batch", "lr", "n_eval", "n_train"} {
			if len(distinct(t, c)) > 1 {
				g += " " + c + "=" + t.Get(i, c)
			}
		}
		groups[g] = append(groups[g], i)
	}
	names := make([]string, 0, len(groups))
	for k := range groups {
		names = append(names, k)
	}
	sort.Strings(names)
	return names, groups
}

// fidVsNFE draws one line per setting sampled at two NFEs or more, and
// the floor (train vs test digits, which does not depend on the setting)
// once; nothing when no setting has two NFEs.
func fidVsNFE(path string, t *results.Table, names []string, groups map[string][]int) error {
	nfeCols := internal.NFEColumns(t, "_fid_lenet")
	xs := make([]float64, 0, len(nfeCols))
	for x := range nfeCols {
		xs = append(xs, x)
	}
	sort.Float64s(xs)
	var series []results.Series
	var floorSeries *results.Series
	for _, g := range names {
		s := results.Series{Name: g}
		floor := results.Series{Name: "floor (train vs test digits)"}
		for _, x := range xs {
			var ys, fl []float64
			for _, i := range groups[g] {
				if v, err := t.Float(i, nfeCols[x]); err == nil {
					ys = append(ys, v)
				}
				if v, err := t.Float(i, "floor_fid_lenet"); err == nil {
					fl = append(fl, v)
				}
			}
			if len(ys) > 0 {
				s.X, s.Y = append(s.X, x), append(s.Y, ys)
				floor.X, floor.Y = append(floor.X, x), append(floor.Y, fl)
			}
		}
		if len(s.X) > 1 {
			series = append(series, s)
			if floorSeries == nil {
				floorSeries = &floor
			}
		}
	}
	if floorSeries == nil {
		return nil
	}
	return results.MetricVsParam(path, results.SweepPlot{
		Title: "MNIST: fid_lenet vs NFE (Heun)", XLabel: "NFE", YLabel: "fid_lenet",
		LogX: true, LogY: true, Series: append(series, *floorSeries), YBounds: results.NonNegative,
	})
}

// fidVsD draws fid_lenet against D (∞ = EDM), one line per network,
// resolution, training length and target that was run at two D or more.
func fidVsD(path string, t *results.Table) error {
	var byD results.Groups
	for i := range t.Rows {
		d, err := pfgm.ParseD(t.Get(i, "D"))
		if err != nil {
			continue
		}
		if v, err := t.Float(i, "fid_lenet"); err == nil {
			byD.Add(fmt.Sprintf("%s %d² %s steps%s", t.Get(i, "net"), atoi(t.Get(i, "res")), t.Get(i, "steps"), targetLabel(t, i)), d, v)
		}
	}
	var dSeries []results.Series
	for _, s := range byD.Series() {
		if len(s.X) > 1 {
			dSeries = append(dSeries, s)
		}
	}
	if len(dSeries) == 0 {
		return nil
	}
	return results.MetricVsParam(path, results.SweepPlot{
		Title: "MNIST: fid_lenet vs D (PFGM++)", XLabel: "D", YLabel: "fid_lenet", LogX: true, Series: dSeries,
		YBounds: results.NonNegative, Refs: floorRef(t),
	})
}

// targetLabel is the part of a setting's name that names its target: ""
// for EDM, " eps" etc. for the other EDM-core targets, " k=0.5 v-loss" for
// the k-Diff family.
func targetLabel(t *results.Table, i int) string {
	switch v := t.Get(i, "target"); v {
	case "edm":
		return ""
	case "k":
		return fmt.Sprintf(" k=%s %s-loss", t.Get(i, "k"), t.Get(i, "loss"))
	default:
		return " " + v
	}
}

// fidVsK draws fid_lenet against the k-Diff target parameter k (mean and
// 95% CI over seeds), one line per network, resolution, D and loss space
// with fixed k, and the learned-k runs as their own series placed at the
// mean of their final k. Nothing is drawn unless some line has two k.
func fidVsK(path string, t *results.Table) error {
	var lines results.Groups
	learned := map[string][2][]float64{} // name → (final k, fid_lenet) per seed
	for i := range t.Rows {
		if t.Get(i, "target") != "k" {
			continue
		}
		fid, err := t.Float(i, "fid_lenet")
		if err != nil {
			continue
		}
		name := fmt.Sprintf("%s %d² D=%s %s-loss", t.Get(i, "net"), atoi(t.Get(i, "res")), t.Get(i, "D"), t.Get(i, "loss"))
		if kv := t.Get(i, "k"); kv == "learn" || kv == "learn-s" {
			kf, err := t.Float(i, "k_final")
			if err != nil {
				continue
			}
			lname := name + ", learned k"
			if kv == "learn-s" {
				lname = name + ", learned k(σ) (at its mean k)"
			}
			l := learned[lname]
			l[0], l[1] = append(l[0], kf), append(l[1], fid)
			learned[lname] = l
			continue
		}
		k, err := strconv.ParseFloat(t.Get(i, "k"), 64)
		if err != nil {
			continue
		}
		lines.Add(name, k, fid)
	}
	series, multi := lines.Series(), false
	for _, s := range series {
		multi = multi || len(s.X) > 1
	}
	for name, l := range learned {
		mean := 0.0
		for _, k := range l[0] {
			mean += k
		}
		series = append(series, results.Series{Name: name, X: []float64{mean / float64(len(l[0]))}, Y: [][]float64{l[1]}})
	}
	if !multi {
		return nil
	}
	sort.Slice(series, func(a, b int) bool { return series[a].Name < series[b].Name })
	return results.MetricVsParam(path, results.SweepPlot{
		Title: "MNIST: fid_lenet vs k-Diff target k (0 = ε, ½ = v, 1 = x)", XLabel: "k", YLabel: "fid_lenet", LogY: true, Series: series,
		YBounds: results.NonNegative, Refs: kRefs(t),
	})
}

// kRefs are fid_vs_k's reference lines: the mean fid_lenet of the EDM runs
// (target edm, D = ∞) sharing a k-Diff run's network, side, training length
// and sample count, one line per such setting, and the floor of the rows of
// those settings only.
func kRefs(t *results.Table) []results.RefLine {
	setting := func(i int) string {
		return fmt.Sprintf("%s %d² %s steps N = %s", t.Get(i, "net"), atoi(t.Get(i, "res")), t.Get(i, "steps"), t.Get(i, "n_eval"))
	}
	ks := map[string]bool{}
	for i := range t.Rows {
		if t.Get(i, "target") == "k" {
			ks[setting(i)] = true
		}
	}
	sub := &results.Table{Columns: t.Columns}
	var edm results.Groups
	for i, row := range t.Rows {
		if !ks[setting(i)] {
			continue
		}
		sub.Rows = append(sub.Rows, row)
		if fid, err := t.Float(i, "fid_lenet"); err == nil && t.Get(i, "target") == "edm" && t.Get(i, "D") == "inf" {
			edm.Add(setting(i), 0, fid)
		}
	}
	var refs []results.RefLine
	for _, s := range edm.Series() {
		mean := 0.0
		for _, v := range s.Y[0] {
			mean += v / float64(len(s.Y[0]))
		}
		refs = append(refs, results.RefLine{Y: mean, Label: fmt.Sprintf("EDM preconditioning, %s (mean of %d)", s.Name, len(s.Y[0]))})
	}
	return append(refs, floorRef(sub)...)
}

// floorRef is the train-vs-test fid_lenet floor as reference lines: its
// mean over the rows of each sample count n_eval (the floor depends on N,
// and below 10,000 on which test digits: mnistrun.RefIndices), none when no
// row has it.
func floorRef(t *results.Table) []results.RefLine {
	type acc struct {
		sum float64
		n   int
	}
	byN := map[string]*acc{} // n_eval → the floors measured at that sample count
	for i := range t.Rows {
		if v, err := t.Float(i, "floor_fid_lenet"); err == nil && !math.IsNaN(v) {
			k := t.Get(i, "n_eval")
			if byN[k] == nil {
				byN[k] = &acc{}
			}
			byN[k].sum += v
			byN[k].n++
		}
	}
	ns := make([]string, 0, len(byN))
	for k := range byN {
		ns = append(ns, k)
	}
	sort.Slice(ns, func(a, b int) bool { return atoi(ns[a]) < atoi(ns[b]) })
	var refs []results.RefLine
	for _, k := range ns {
		label := "floor (train vs test digits)"
		if len(ns) > 1 {
			label = fmt.Sprintf("floor, N = %s (train vs N test digits)", k)
		}
		refs = append(refs, results.RefLine{Y: byN[k].sum / float64(byN[k].n), Label: label})
	}
	return refs
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// distinct returns the distinct values of column c.
func distinct(t *results.Table, c string) map[string]bool {
	out := map[string]bool{}
	for i := range t.Rows {
		out[t.Get(i, c)] = true
	}
	return out
}

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
