package internal

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// splitList splits a comma list, rejecting empty items.
func splitList(s string) ([]string, error) {
	items := strings.Split(s, ",")
	for i, it := range items {
		items[i] = strings.TrimSpace(it)
		if items[i] == "" {
			return nil, fmt.Errorf("empty item in list %q", s)
		}
	}
	return items, nil
}

// maxRange bounds the length of an expanded integer range and of a whole
// list: 65,536 values, far beyond any sweep (each value is a task), and
// small enough that parsing and printing a list stays in milliseconds (at
// 2²⁰ a fuzzed "0-1048575" took long enough to stall the fuzzer).
const maxRange = 1 << 16

// parseItem parses "n" or an inclusive range "a-b" (a ≤ b; for signed T, a
// and b may be negative, as in "-3--1") with parse, which reads one number.
// A range never expands to more than maxRange values.
func parseItem[T int64 | uint64](it string, parse func(string) (T, error)) ([]T, error) {
	if i := strings.Index(it[1:], "-"); i >= 0 {
		lo, err1 := parse(it[:i+1])
		hi, err2 := parse(it[i+2:])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%q is not an integer or a range a-b", it)
		}
		if hi < lo {
			return nil, fmt.Errorf("range %q is decreasing", it)
		}
		if hi-lo >= maxRange {
			return nil, fmt.Errorf("range %q has more than %d values", it, maxRange)
		}
		out := make([]T, 0, hi-lo+1)
		for v := lo; ; v++ {
			out = append(out, v)
			if v == hi { // not v <= hi: hi may be the type's maximum
				break
			}
		}
		return out, nil
	}
	v, err := parse(it)
	if err != nil {
		return nil, err
	}
	return []T{v}, nil
}

// parseList parses a comma list of integers and ranges, rejecting
// duplicates (they would only repeat tasks). Errors name the bad element.
func parseList[T int64 | uint64](s string, parse func(string) (T, error)) ([]T, error) {
	items, err := splitList(s)
	if err != nil {
		return nil, err
	}
	var out []T
	seen := map[T]bool{}
	for _, it := range items {
		vs, err := parseItem(it, parse)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if seen[v] {
				return nil, fmt.Errorf("%d appears twice", v)
			}
			seen[v] = true
			out = append(out, v)
		}
		if len(out) > maxRange {
			return nil, fmt.Errorf("list %q has more than %d values", s, maxRange)
		}
	}
	return out, nil
}

// parseInt64 reads one integer of an Ints list.
func parseInt64(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	return v, nil
}

// parseSeed reads one seed of a Seeds list: an integer in [0, 2⁶⁴−1].
func parseSeed(s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err == nil {
		return v, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n < 0 {
		return 0, fmt.Errorf("seed %d is negative", n)
	}
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("seed %q is above 2⁶⁴−1", s)
	}
	return 0, fmt.Errorf("%q is not an integer", s)
}

// Ints is a comma-list flag of integers with inclusive ranges: "1,2,5",
// "0-4", "0-2,10". A value given on the command line replaces the default.
type Ints []int

// Set implements flag.Value.
func (v *Ints) Set(s string) error {
	xs, err := parseList(s, parseInt64)
	if err != nil {
		return err
	}
	out := make(Ints, len(xs))
	for i, x := range xs {
		if x < math.MinInt || x > math.MaxInt {
			return fmt.Errorf("%d is out of range", x)
		}
		out[i] = int(x)
	}
	*v = out
	return nil
}

// String implements flag.Value.
func (v *Ints) String() string {
	if v == nil {
		return ""
	}
	parts := make([]string, len(*v))
	for i, x := range *v {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

// Seeds is a comma list of non-negative integers and ranges, as uint64
// seeds: every value 0 … 2⁶⁴−1 is accepted.
type Seeds []uint64

// Set implements flag.Value.
func (v *Seeds) Set(s string) error {
	xs, err := parseList(s, parseSeed)
	if err != nil {
		return err
	}
	*v = xs
	return nil
}

// String implements flag.Value.
func (v *Seeds) String() string {
	if v == nil {
		return ""
	}
	parts := make([]string, len(*v))
	for i, x := range *v {
		parts[i] = strconv.FormatUint(x, 10)
	}
	return strings.Join(parts, ",")
}

// Floats is a comma-list flag of numbers; "inf", "+inf", "infinity" (any
// case) and "∞" mean math.Inf(1), e.g. -D 1,4,16,inf. NaN, "-inf" and
// repeated values are rejected. A value given on the command line replaces
// the default.
type Floats []float64

// Set implements flag.Value.
func (v *Floats) Set(s string) error {
	items, err := splitList(s)
	if err != nil {
		return err
	}
	out := make(Floats, 0, len(items))
	seen := map[float64]bool{}
	for _, it := range items {
		f, err := ParseFloat(it)
		if err != nil {
			return err
		}
		if seen[f] {
			return fmt.Errorf("%q appears twice", it)
		}
		seen[f] = true
		out = append(out, f)
	}
	*v = out
	return nil
}

// String implements flag.Value; +Inf prints as "inf".
func (v *Floats) String() string {
	if v == nil {
		return ""
	}
	parts := make([]string, len(*v))
	for i, x := range *v {
		parts[i] = FormatFloat(x)
	}
	return strings.Join(parts, ",")
}

// ParseFloat parses one number of a Floats list: a finite decimal, or
// "inf"/"+inf"/"infinity"/"∞" for +Inf.
func ParseFloat(s string) (float64, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "inf", "+inf", "infinity", "+infinity", "∞", "+∞":
		return math.Inf(1), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a finite number or inf", s)
	}
	return f, nil
}

// FormatFloat writes x as ParseFloat reads it ("inf" for +Inf).
func FormatFloat(x float64) string {
	if math.IsInf(x, 1) {
		return "inf"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// Strings is a comma-list flag whose items must belong to Allowed (any
// item when Allowed is empty), e.g. -toy ring8,moons. When Canon is set,
// each item is first mapped to its canonical name (an error names the
// item), so aliases never reach a task key: -target v_prediction is
// stored as "v". Repeated items (after mapping) are rejected. A value
// given on the command line replaces Values.
type Strings struct {
	Values  []string
	Allowed []string
	Canon   func(string) (string, error)
}

// Set implements flag.Value.
func (v *Strings) Set(s string) error {
	items, err := splitList(s)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, it := range items {
		if v.Canon != nil {
			c, err := v.Canon(it)
			if err != nil {
				return err
			}
			it, items[i] = c, c
		}
		if len(v.Allowed) > 0 && !contains(v.Allowed, it) {
			return fmt.Errorf("%q is not one of %s", it, strings.Join(v.Allowed, ", "))
		}
		if seen[it] {
			return fmt.Errorf("%q appears twice", it)
		}
		seen[it] = true
	}
	v.Values = items
	return nil
}

// String implements flag.Value.
func (v *Strings) String() string {
	if v == nil {
		return ""
	}
	return strings.Join(v.Values, ",")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var (
	_ flag.Value = (*Preset)(nil)
	_ flag.Value = (*Ints)(nil)
	_ flag.Value = (*Seeds)(nil)
	_ flag.Value = (*Floats)(nil)
	_ flag.Value = (*Strings)(nil)
)
