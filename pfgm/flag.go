package pfgm

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseD parses one augmented-dimension value: a number ≥ 1, or "inf"
// (also "Inf", "+inf", "∞") for the Gaussian limit D = ∞.
func ParseD(s string) (float64, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "inf", "+inf", "infinity", "∞":
		return math.Inf(1), nil
	}
	d, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("pfgm: augmented dimension D = %q: not a number or inf", s)
	}
	if err := (Kernel{D: d}).Validate(); err != nil {
		return 0, err
	}
	return d, nil
}

// FormatD formats D as ParseD reads it: "inf" for +Inf, else the shortest
// decimal.
func FormatD(d float64) string {
	if math.IsInf(d, 1) {
		return "inf"
	}
	return strconv.FormatFloat(d, 'g', -1, 64)
}

// Ds is a comma-separated list of D values, a flag.Value: "1,4,32,inf".
type Ds []float64

// String formats the list as Set reads it.
func (ds *Ds) String() string {
	if ds == nil {
		return ""
	}
	parts := make([]string, len(*ds))
	for i, d := range *ds {
		parts[i] = FormatD(d)
	}
	return strings.Join(parts, ",")
}

// Sweepable marks Ds as a comma-list flag that -h lists as sweepable.
func (*Ds) Sweepable() {}

// Set replaces the list with the parsed comma-separated values; any bad
// element is an error naming it.
func (ds *Ds) Set(s string) error {
	var out Ds
	for _, p := range strings.Split(s, ",") {
		d, err := ParseD(p)
		if err != nil {
			return err
		}
		out = append(out, d)
	}
	*ds = out
	return nil
}
