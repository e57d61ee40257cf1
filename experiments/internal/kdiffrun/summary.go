package kdiffrun

import (
	"math"
	"sort"
	"strconv"

	"genlab/kdiff"
	"genlab/metrics"
	"genlab/results"
)

// Filter returns the rows of t whose cells equal want (column → value).
func Filter(t *results.Table, want map[string]string) []int {
	all := make([]int, len(t.Rows))
	for i := range all {
		all[i] = i
	}
	return Filter2(t, all, want)
}

// BaseFilter is the filter of the task settings that are held fixed within
// a figure (everything but the swept axes and the seed).
func BaseFilter(c Config) map[string]string {
	return map[string]string{
		"preset": c.Preset, "sweep": c.Sweep, "data": c.Data, "embed": c.Embed, "loss": c.Loss, "tdist": c.TDist,
		"layers": strconv.Itoa(c.Layers), "steps": strconv.Itoa(c.Steps), "sampler": c.Sampler,
	}
}

// Finite returns the finite values of column col over rows.
func Finite(t *results.Table, rows []int, col string) []float64 {
	var v []float64
	for _, i := range rows {
		if x, err := t.Float(i, col); err == nil && !math.IsNaN(x) && !math.IsInf(x, 0) {
			v = append(v, x)
		}
	}
	return v
}

// Mean returns the mean of v (NaN if empty).
func Mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	m, _ := metrics.MeanCI95(v)
	return m
}

// Distinct returns the distinct numeric values of col over rows, sorted.
func Distinct(t *results.Table, rows []int, col string) []float64 {
	seen := map[float64]bool{}
	var out []float64
	for _, i := range rows {
		if x, err := t.Float(i, col); err == nil && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Float64s(out)
	return out
}

// KLabel is the plot label of a -k value.
func KLabel(s string) string {
	k, err := kdiff.ParseK(s)
	if err != nil {
		return s
	}
	return k.Label()
}

// SeriesBy builds one series per value of by (in the given order): x from
// column xcol, every seed's y from ycol.
func SeriesBy(t *results.Table, rows []int, by string, order []string, label func(string) string, xcol, ycol string) []results.Series {
	var out []results.Series
	for _, v := range order {
		sub := []int{}
		for _, i := range rows {
			if t.Get(i, by) == v {
				sub = append(sub, i)
			}
		}
		s := results.Series{Name: label(v)}
		for _, x := range Distinct(t, sub, xcol) {
			var at []int
			for _, i := range sub {
				if xv, err := t.Float(i, xcol); err == nil && xv == x {
					at = append(at, i)
				}
			}
			if ys := Finite(t, at, ycol); len(ys) > 0 {
				s.X = append(s.X, x)
				s.Y = append(s.Y, ys)
			}
		}
		if len(s.X) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// Filter2 narrows rows to those whose cells equal want.
func Filter2(t *results.Table, rows []int, want map[string]string) []int {
	var out []int
	for _, i := range rows {
		ok := true
		for c, v := range want {
			if t.Get(i, c) != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, i)
		}
	}
	return out
}

// Plottable reports whether series span at least two distinct x values (a
// sweep plot of one point has a degenerate axis).
func Plottable(series []results.Series) bool {
	xs := map[float64]bool{}
	for _, s := range series {
		for _, x := range s.X {
			xs[x] = true
		}
	}
	return len(xs) >= 2
}
