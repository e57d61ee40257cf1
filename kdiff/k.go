package kdiff

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// K is one value of the -k flag: a fixed target parameter k ∈ [0,1],
// Learned (k = sigmoid(w) trained jointly with the network), or Schedule
// (a learned per-noise-level k(s), LearnedKSchedule).
type K struct {
	Value    float64 // used when neither Learned nor Schedule
	Learned  bool
	Schedule bool // learned k(s); Learned is then true as well
}

// ParseK parses a number in [0,1], "learn" (or "learned"), "learn-s" (a
// learned per-σ schedule k(s)), or a diffusers
// prediction_type alias: "epsilon"/"eps" (k = 0), "v_prediction"/"v"
// (k = ½), "sample"/"x" (k = 1).
func ParseK(s string) (K, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "learn", "learned":
		return K{Learned: true}, nil
	case "learn-s", "learned-s":
		return K{Learned: true, Schedule: true}, nil
	case "eps", "epsilon":
		return K{Value: 0}, nil
	case "v", "v_prediction":
		return K{Value: 0.5}, nil
	case "x", "sample":
		return K{Value: 1}, nil
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return K{}, fmt.Errorf("kdiff: k %q is neither a number in [0,1] nor \"learn\" or \"learn-s\"", s)
	}
	if math.IsNaN(v) || v < 0 || v > 1 {
		return K{}, fmt.Errorf("kdiff: k = %s is outside [0,1]", t)
	}
	return K{Value: v}, nil
}

// String returns "learn", "learn-s" or the number in shortest form.
func (k K) String() string {
	if k.Schedule {
		return "learn-s"
	}
	if k.Learned {
		return "learn"
	}
	return strconv.FormatFloat(k.Value, 'g', -1, 64)
}

// Label is a human-readable name for plots: "k=0 (ε)", "k=0.5 (v)",
// "k=1 (x)", "k=0.75", "learned k" or "learned k(σ)".
func (k K) Label() string {
	if k.Schedule {
		return "learned k(σ)"
	}
	if k.Learned {
		return "learned k"
	}
	switch k.Value {
	case 0:
		return "k=0 (ε)"
	case 0.5:
		return "k=0.5 (v)"
	case 1:
		return "k=1 (x)"
	}
	return "k=" + k.String()
}

// Ks is a comma-separated list of K values; it implements flag.Value
// (-k 0,0.5,1,learn).
type Ks []K

// String joins the values with commas.
func (ks *Ks) String() string {
	if ks == nil {
		return ""
	}
	parts := make([]string, len(*ks))
	for i, k := range *ks {
		parts[i] = k.String()
	}
	return strings.Join(parts, ",")
}

// Sweepable marks Ks as a comma-list flag that -h lists as sweepable.
func (*Ks) Sweepable() {}

// Set replaces the list by the comma-separated values of s.
func (ks *Ks) Set(s string) error {
	var out Ks
	for _, p := range strings.Split(s, ",") {
		k, err := ParseK(p)
		if err != nil {
			return err
		}
		out = append(out, k)
	}
	*ks = out
	return nil
}
