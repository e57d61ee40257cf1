package pfgmexp

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"

	"genlab/experiments/internal"
	"genlab/pfgm"
	"genlab/results"
)

// Names is a comma-separated list of data-set names, a flag.Value that
// checks each.
type Names []string

func (n *Names) String() string {
	if n == nil {
		return ""
	}
	return strings.Join(*n, ",")
}

// Sweepable marks Names as a comma-list flag that -h lists as sweepable.
func (*Names) Sweepable() {}

// Set parses "ring8,t2-2d" and rejects unknown names.
func (n *Names) Set(s string) error {
	var out Names
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if err := CheckData(p); err != nil {
			return err
		}
		out = append(out, p)
	}
	*n = out
	return nil
}

// RunParallel runs task(i) for i in idx with at most jobs at once and
// returns the first error (all tasks are still attempted).
func RunParallel(idx []int, jobs int, task func(i int) error) error {
	if jobs < 1 {
		jobs = 1
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	ch := make(chan int)
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				if err := task(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, i := range idx {
		ch <- i
	}
	close(ch)
	wg.Wait()
	return first
}

// Label is the human label of the task (data, D, seed) in a sweep over
// datas × ds: the data set and D only when more than one is swept, the seed
// always ("t2-2d-D=4-seed0", "D=inf-seed1").
func Label(datas []string, ds []float64, data string, d float64, seed uint64) string {
	var parts []string
	if len(datas) > 1 {
		parts = append(parts, internal.LabelPart("data", data))
	}
	if len(ds) > 1 {
		parts = append(parts, internal.LabelPart("D", pfgm.FormatD(d)))
	}
	parts = append(parts, internal.LabelPart("seed", strconv.FormatUint(seed, 10)))
	return strings.Join(parts, "-")
}

// PrintLine writes one JSON line for a finished task to w (stdout).
func PrintLine(w io.Writer, mu *sync.Mutex, key, label string, cfg any, res map[string]float64) {
	out := map[string]any{"key": key, "label": label, "config": cfg}
	m := map[string]any{}
	for k, v := range res {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			m[k] = fmt.Sprint(v)
		} else {
			m[k] = v
		}
	}
	out["result"] = m
	b, err := results.Canonical(out)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"key": key, "error": err.Error()})
	}
	mu.Lock()
	defer mu.Unlock()
	fmt.Fprintln(w, string(b))
}

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
