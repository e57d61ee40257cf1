package pfgmexp

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"genlab/results"
)

// SeriesFor builds MetricVsParam series from a summary table: rows with
// column filter == value, grouped by column by (one series per value, named
// label+value), x from column x, y from column y.
func SeriesFor(t *results.Table, filter, value, by, label, x, y string) ([]results.Series, error) {
	if t.Col(y) < 0 {
		return nil, fmt.Errorf("no column %q", y)
	}
	var g results.Groups
	for i := range t.Rows {
		if filter != "" && t.Get(i, filter) != value {
			continue
		}
		xv, err := t.Float(i, x)
		if err != nil {
			return nil, err
		}
		if t.Get(i, y) == "" {
			continue
		}
		yv, err := t.Float(i, y)
		if err != nil {
			return nil, err
		}
		g.Add(label+t.Get(i, by), xv, yv)
	}
	return g.Series(), nil
}

// Project2D returns the 2-D view of x used in sample plots: the data itself
// in 2-D, the first two coordinates of the 10-D sets, and the first two
// latent coordinates of the two-cluster toy.
func (ds *DataSet) Project2D(x *mat.Dense) *mat.Dense {
	n, _ := x.Dims()
	if n == 0 {
		return mat.NewDense(1, 2, []float64{math.NaN(), math.NaN()})
	}
	if ds.Cluster != nil {
		if z, err := ds.Cluster.Latent(x); err == nil {
			return mat.DenseCopyOf(z.Slice(0, n, 0, 2))
		}
	}
	return mat.DenseCopyOf(x.Slice(0, n, 0, 2))
}

// PlotSamples draws the 2-D view of x over the reference density; for the
// heavy-tailed sets the reference is cut at its 99th norm percentile so the
// bulk stays visible (samples beyond the box are counted in the title).
func PlotSamples(path, title string, ds *DataSet, ev *Evaluator, x *mat.Dense) error {
	if ds.Side > 0 {
		n, _ := x.Dims()
		var imgs [][]float64
		for i := 0; i < min(n, 64); i++ {
			img := make([]float64, ds.Dim)
			for j, v := range x.RawRowView(i) {
				img[j] = (v + 1) / 2
			}
			imgs = append(imgs, img)
		}
		return results.ImageGrid(path, imgs, ds.Side, ds.Side, 8, 8)
	}
	ref := ds.Ref
	if ds.Heavy {
		n, c := ref.Dims()
		var keep []float64
		for i := 0; i < n; i++ {
			if mat.Norm(ref.RowView(i), 2) <= ev.q99 {
				keep = append(keep, ref.RawRowView(i)...)
			}
		}
		ref = mat.NewDense(len(keep)/c, c, keep)
	}
	xs, _ := finiteRows(x)
	return results.Scatter2D(path, title, ds.Project2D(xs), ds.Project2D(ref))
}

// Plottable reports whether series hold at least two distinct x values
// (a sweep over a single D has nothing to draw against).
func Plottable(ser []results.Series) bool {
	xs := map[float64]bool{}
	for _, s := range ser {
		for _, x := range s.X {
			xs[x] = true
		}
	}
	return len(xs) >= 2
}
