package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
)

// Step is the set of scalar values recorded at one training step. It is
// written as one flat JSON object, {"step": 100, "loss": 0.31, …}.
type Step struct {
	Step   int
	Values map[string]float64
}

// MarshalJSON writes the flat object: "step" first, then Values with keys
// in sorted order; non-finite values become "inf", "-inf" or "nan".
// A value named "step" is an error.
func (s Step) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"step":`)
	b.WriteString(strconv.Itoa(s.Step))
	for _, k := range sortedKeys(s.Values) {
		if k == "step" {
			return nil, fmt.Errorf("results: step %d: value name %q is reserved", s.Step, k)
		}
		kb, _ := json.Marshal(k)
		b.WriteByte(',')
		b.Write(kb)
		b.WriteByte(':')
		v, isString := formatFloat(s.Values[k], 64)
		if isString {
			b.WriteByte('"')
			b.WriteString(v)
			b.WriteByte('"')
		} else {
			b.WriteString(v)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the flat object written by MarshalJSON. Fields that
// are neither numbers nor the non-finite strings are ignored.
func (s *Step) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	raw, ok := m["step"]
	if !ok {
		return errors.New(`missing "step"`)
	}
	n, ok := raw.(json.Number)
	if !ok {
		return fmt.Errorf(`"step" is %v, not an integer`, raw)
	}
	st, err := strconv.Atoi(string(n))
	if err != nil {
		return fmt.Errorf(`"step": %w`, err)
	}
	s.Step = st
	s.Values = make(map[string]float64, len(m)-1)
	for k, v := range m {
		if k == "step" {
			continue
		}
		if f, ok := parseNumber(v); ok {
			s.Values[k] = f
		}
	}
	return nil
}

// ReadMetrics reads a metrics.jsonl file and returns one Step per distinct
// step number, in increasing order. A resumed run re-records the steps after
// its checkpoint, so when a step appears more than once the last value of
// each name wins (names recorded only earlier are kept). A final line
// without its newline is a write cut short by a crash and is ignored; any
// other malformed line is an error naming the line.
func ReadMetrics(path string) ([]Step, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("results: read metrics: %w", err)
	}
	defer f.Close()
	return readMetrics(f, path)
}

func readMetrics(r io.Reader, name string) ([]Step, error) {
	br := bufio.NewReader(r)
	byStep := make(map[int]map[string]float64)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		complete := err == nil
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("results: read metrics %s: %w", name, err)
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			var s Step
			if uerr := json.Unmarshal(t, &s); uerr != nil {
				if !complete {
					break // torn last line
				}
				return nil, fmt.Errorf("results: read metrics %s line %d: %w", name, lineNo, uerr)
			}
			vals := byStep[s.Step]
			if vals == nil {
				vals = make(map[string]float64, len(s.Values))
				byStep[s.Step] = vals
			}
			for k, v := range s.Values {
				vals[k] = v
			}
		}
		if !complete {
			break
		}
	}
	steps := make([]Step, 0, len(byStep))
	for n, v := range byStep {
		steps = append(steps, Step{Step: n, Values: v})
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].Step < steps[j].Step })
	return steps, nil
}
