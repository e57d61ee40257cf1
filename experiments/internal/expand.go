package internal

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"genlab/results"
)

// Task is one point of a sweep grid.
type Task[C any] struct {
	Index  int    // position in the sorted task list (what -task selects)
	Key    string // results.Key(Config): the task directory name
	Label  string // human label of its swept values, e.g. "D=128-seed1"; display only, never hashed
	Seed   uint64 // TaskSeed(0, Key): base seed for the task's generators
	Config C
}

// Axis is one swept dimension of a grid: Len values, the i-th applied to a
// config by Set and shown in task labels as Label(i).
type Axis[C any] struct {
	Name  string
	Len   int
	Set   func(c *C, i int)
	Label func(i int) string // the i-th value's part of a task label; nil: LabelPart(Name, fmt.Sprint(value))
}

// Values returns the axis that sets each of vs in turn through set, e.g.
//
//	Values("D", dims, func(c *Config, d float64) { c.D = d })
//
// Its labels are LabelPart(name, value) with the value printed by fmt
// (floats in their shortest form).
func Values[C, V any](name string, vs []V, set func(c *C, v V)) Axis[C] {
	return Axis[C]{Name: name, Len: len(vs), Set: func(c *C, i int) { set(c, vs[i]) },
		Label: func(i int) string { return LabelPart(name, formatValue(vs[i])) }}
}

// Labelled returns a copy of a whose task-label parts are label(i).
func (a Axis[C]) Labelled(label func(i int) string) Axis[C] {
	a.Label = label
	return a
}

// LabelPart is one axis's part of a task label: "seed1" for the seed axis,
// the value alone when it is a word ("pig", "resolvent", "learn"), else
// "name=value" ("D=128", "k=0.5"). Characters that would not survive a file
// name or a shell (spaces, slashes, quotes, brackets) become "_".
func LabelPart(name, value string) string {
	var s string
	switch {
	case name == "seed":
		s = "seed" + value
	case isWord(value):
		s = value
	default:
		s = name + "=" + value
	}
	return strings.Map(func(r rune) rune {
		if r <= ' ' || strings.ContainsRune(`/\"'[]{}()*?<>|;&$`+"`", r) {
			return '_'
		}
		return r
	}, s)
}

// isWord reports whether v starts with a letter and is not a number
// ("inf", "nan" are numbers here: they need the axis name beside them).
func isWord(v string) bool {
	if v == "" {
		return false
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return false
	}
	r := v[0]
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// formatValue prints one axis value: floats in their shortest 'g' form
// (+Inf as "inf"), anything else through fmt.
func formatValue(v any) string {
	switch x := v.(type) {
	case float64:
		if math.IsInf(x, 1) {
			return "inf"
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// taskLabel joins the label parts of the axes that vary (Len > 1) and of the
// seed axis, at the odometer position idx, with "-"; with nothing varying
// it is "seed<n>" or, without a seed axis, "only".
func taskLabel[C any](axes []Axis[C], idx []int) string {
	var parts []string
	for j, a := range axes {
		if a.Len > 1 || a.Name == "seed" {
			if a.Label != nil {
				parts = append(parts, a.Label(idx[j]))
			} else {
				parts = append(parts, LabelPart(a.Name, strconv.Itoa(idx[j])))
			}
		}
	}
	if len(parts) == 0 {
		return "only"
	}
	return strings.Join(parts, "-")
}

// Expand returns the tasks of the grid base × axes[0] × axes[1] × …: every
// combination applied to a copy of base (a shallow copy: setters should
// assign fields, not mutate shared slices). Tasks are sorted by key, so the
// list (and each -task index) depends only on the set of configurations,
// not on the order of axes or values; configurations that coincide are kept
// once. An empty axis is a *UsageError.
func Expand[C any](base C, axes ...Axis[C]) ([]Task[C], error) {
	total := 1
	for _, a := range axes {
		if a.Len <= 0 {
			return nil, Usagef("sweep axis %s has no values", a.Name)
		}
		total *= a.Len
	}
	idx := make([]int, len(axes))
	seen := make(map[string]bool, total)
	tasks := make([]Task[C], 0, total)
	for n := 0; n < total; n++ {
		cfg := base
		for j, a := range axes {
			a.Set(&cfg, idx[j])
		}
		key, err := results.Key(cfg)
		if err != nil {
			return nil, fmt.Errorf("expand: %w", err)
		}
		if !seen[key] {
			seen[key] = true
			tasks = append(tasks, Task[C]{Key: key, Label: taskLabel(axes, idx), Seed: TaskSeed(0, key), Config: cfg})
		}
		for j := len(idx) - 1; j >= 0; j-- { // odometer, last axis fastest
			idx[j]++
			if idx[j] < axes[j].Len {
				break
			}
			idx[j] = 0
		}
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Key < tasks[j].Key })
	for i := range tasks {
		tasks[i].Index = i
	}
	return tasks, nil
}
