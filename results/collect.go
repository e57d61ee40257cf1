package results

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// Table is a summary table: one row per finished task. Columns are "key",
// then the flattened config fields in sorted order (nested objects joined
// with ".", e.g. "train.lr"), then the result fields in sorted order. A
// result field whose name is also a config column is renamed
// "result.<name>". Missing cells are "".
type Table struct {
	Columns []string
	Rows    [][]string
	// Skipped names each task directory Collect left out because its
	// result.json or config.json is unreadable, with the reason and the fix
	// (the task reruns and rewrites it).
	Skipped []string
}

// Col returns the index of the named column, or -1.
func (t *Table) Col(name string) int {
	for i, c := range t.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

// Get returns the cell of row i in the named column ("" if the column does
// not exist).
func (t *Table) Get(i int, col string) string {
	j := t.Col(col)
	if j < 0 {
		return ""
	}
	return t.Rows[i][j]
}

// Float parses the cell of row i in the named column; "inf", "-inf" and
// "nan" parse to the non-finite values.
func (t *Table) Float(i int, col string) (float64, error) {
	if t.Col(col) < 0 {
		return 0, fmt.Errorf("results: table: no column %q", col)
	}
	s := t.Get(i, col)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("results: table row %d column %q: %w", i, col, err)
	}
	return f, nil
}

// CSV returns the table as CSV text (header line first).
func (t *Table) CSV() ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(t.Columns); err != nil {
		return nil, err
	}
	if err := w.WriteAll(t.Rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Series groups the table for MetricVsParam: one Series per distinct value
// of the by column (all rows in one Series named y when by is ""), with one
// point per distinct x value holding every y of that group (one per seed).
// X values are parsed as floats ("inf" included) and sorted; rows with an
// unparsable x or y are an error.
func (t *Table) Series(x, y, by string) ([]Series, error) {
	for _, c := range []string{x, y} {
		if t.Col(c) < 0 {
			return nil, fmt.Errorf("results: series: no column %q", c)
		}
	}
	if by != "" && t.Col(by) < 0 {
		return nil, fmt.Errorf("results: series: no column %q", by)
	}
	var g Groups
	for i := range t.Rows {
		xv, err := t.Float(i, x)
		if err != nil {
			return nil, fmt.Errorf("results: series: %w", err)
		}
		yv, err := t.Float(i, y)
		if err != nil {
			return nil, fmt.Errorf("results: series: %w", err)
		}
		name := y
		if by != "" {
			name = by + "=" + t.Get(i, by)
		}
		g.Add(name, xv, yv)
	}
	return g.Series(), nil
}

// Groups gathers y values by series name and x value: the shape
// MetricVsParam draws (one point per x holding the y of every seed).
type Groups struct {
	m map[string]map[float64][]float64
}

// Add appends y to the point x of the series name.
func (g *Groups) Add(name string, x, y float64) {
	if g.m == nil {
		g.m = map[string]map[float64][]float64{}
	}
	if g.m[name] == nil {
		g.m[name] = map[float64][]float64{}
	}
	g.m[name][x] = append(g.m[name][x], y)
}

// Series returns the series ordered by name (numerically where names are
// numbers), each with its x values sorted.
func (g *Groups) Series() []Series {
	order := make([]string, 0, len(g.m))
	for name := range g.m {
		order = append(order, name)
	}
	sort.Slice(order, func(i, j int) bool { return lessCell(order[i], order[j]) })
	out := make([]Series, 0, len(order))
	for _, name := range order {
		pts := g.m[name]
		s := Series{Name: name}
		for xv := range pts {
			s.X = append(s.X, xv)
		}
		sort.Float64s(s.X)
		for _, xv := range s.X {
			s.Y = append(s.Y, pts[xv])
		}
		out = append(out, s)
	}
	return out
}

// Collect gathers every finished task of root/<experiment> (a subdirectory
// whose result.json records its own key, see Dir.Done) into a Table, rows
// ordered by their config cells (numerically where both cells are numbers)
// and then by key, and writes it to root/<experiment>/summary.csv
// atomically. Unfinished tasks are left out; a task whose result.json or
// config.json is damaged is left out too and named in Table.Skipped, so one
// bad directory does not block the summary of the rest.
func Collect(root, experiment string) (*Table, error) {
	expDir := filepath.Join(root, experiment)
	ents, err := os.ReadDir(expDir)
	if err != nil {
		return nil, fmt.Errorf("results: collect: %w", err)
	}
	removeStaleTemps(expDir) // interrupted summary figures
	type rec struct {
		key    string
		config map[string]string
		result map[string]string
	}
	var recs []rec
	var skipped []string
	cfgCols := map[string]bool{}
	resCols := map[string]bool{}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(expDir, e.Name())
		res, err := readResult(filepath.Join(dir, ResultFile))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				skipped = append(skipped, fmt.Sprintf("%v (rerun the same command to recompute the task)", err))
			}
			continue
		}
		if k, _ := res[KeyField].(string); k != e.Name() {
			continue // stale or foreign result: not this directory's task
		}
		cfg, err := readConfig(filepath.Join(dir, ConfigFile))
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%v (rerun the same command: it rewrites config.json)", err))
			continue
		}
		r := rec{key: e.Name(), config: map[string]string{}, result: map[string]string{}}
		flatten("", cfg, r.config)
		delete(res, KeyField)
		for k, v := range res {
			r.result[k] = cell(v)
		}
		for k := range r.config {
			cfgCols[k] = true
		}
		for k := range r.result {
			resCols[k] = true
		}
		recs = append(recs, r)
	}
	cfgNames := sortedKeys(cfgCols)
	resNames := sortedKeys(resCols)
	t := &Table{Columns: append([]string{"key"}, cfgNames...), Skipped: skipped}
	for _, n := range resNames {
		if cfgCols[n] || n == "key" {
			t.Columns = append(t.Columns, "result."+n)
		} else {
			t.Columns = append(t.Columns, n)
		}
	}
	for _, r := range recs {
		row := make([]string, 0, len(t.Columns))
		row = append(row, r.key)
		for _, n := range cfgNames {
			row = append(row, r.config[n])
		}
		for _, n := range resNames {
			row = append(row, r.result[n])
		}
		t.Rows = append(t.Rows, row)
	}
	nc := len(cfgNames)
	sort.SliceStable(t.Rows, func(i, j int) bool {
		a, b := t.Rows[i], t.Rows[j]
		for c := 1; c <= nc; c++ {
			if a[c] != b[c] {
				return lessCell(a[c], b[c])
			}
		}
		return a[0] < b[0]
	})
	b, err := t.CSV()
	if err != nil {
		return nil, fmt.Errorf("results: collect: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(expDir, SummaryFile), b); err != nil {
		return nil, fmt.Errorf("results: collect: %w", err)
	}
	return t, nil
}

// readConfig reads a task's config.json: one JSON object, numbers kept
// as json.Number.
func readConfig(path string) (any, error) {
	b, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	cfg, err := decodeConfig(b)
	if err != nil {
		return nil, fmt.Errorf("results: %s: %w", path, err)
	}
	return cfg, nil
}

// decodeConfig parses the bytes of a config.json: one JSON object, numbers
// kept as json.Number.
func decodeConfig(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var cfg map[string]any
	if err := dec.Decode(&cfg); err != nil {
		return nil, err
	}
	if cfg == nil || dec.More() {
		return nil, errors.New("not one JSON object")
	}
	return cfg, nil
}

// lessCell orders two cells numerically when both parse as numbers
// (non-finite included, NaN last), else as strings; numbers sort before
// strings.
func lessCell(a, b string) bool {
	fa, ea := strconv.ParseFloat(a, 64)
	fb, eb := strconv.ParseFloat(b, 64)
	switch {
	case ea == nil && eb == nil:
		if math.IsNaN(fa) || math.IsNaN(fb) {
			return !math.IsNaN(fa) && math.IsNaN(fb)
		}
		if fa != fb {
			return fa < fb
		}
		return a < b
	case ea == nil:
		return true
	case eb == nil:
		return false
	}
	return a < b
}

// flatten writes the leaves of a decoded JSON tree into out, joining object
// keys with "."; arrays are kept whole as compact JSON in one cell.
func flatten(prefix string, v any, out map[string]string) {
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			flatten(name, x, out)
		}
		return
	}
	if prefix == "" {
		prefix = "config"
	}
	out[prefix] = cell(v)
}

// cell renders one decoded JSON value as a CSV cell.
func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
