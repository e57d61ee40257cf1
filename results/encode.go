package results

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Canonical returns the canonical JSON encoding of v: the value is first
// reduced to a tree of JSON objects, arrays, strings, numbers, booleans and
// nulls, then written compactly with every object's keys in sorted order.
//
// The reduction follows encoding/json's conventions (exported fields, `json`
// tag names, "-", omitempty and omitzero, embedded structs flattened, json.Marshaler and
// encoding.TextMarshaler honoured), with two differences that matter for
// experiment configs:
//
//   - objects are always key-sorted, so the order of struct fields (or of map
//     insertion) never changes the encoding;
//   - non-finite floats, which encoding/json rejects, are written as the
//     strings "inf", "-inf" and "nan" (PFGM++ uses D = +Inf for the EDM limit).
//
// Finite floats are written exactly as encoding/json writes them (shortest
// representation that round-trips), so equal values always encode equally.
func Canonical(v any) ([]byte, error) {
	t, err := toTree(reflect.ValueOf(v))
	if err != nil {
		return nil, fmt.Errorf("results: canonical json: %w", err)
	}
	return marshalTree(t, false)
}

// CanonicalIndent is Canonical with two-space indentation, for files meant to
// be read by people (config.json, result.json). It encodes the same tree.
func CanonicalIndent(v any) ([]byte, error) {
	t, err := toTree(reflect.ValueOf(v))
	if err != nil {
		return nil, fmt.Errorf("results: canonical json: %w", err)
	}
	b, err := marshalTree(t, true)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func marshalTree(t any, indent bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(t); err != nil {
		return nil, fmt.Errorf("results: canonical json: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// formatFloat writes f the way encoding/json does, or as "inf", "-inf",
// "nan" (returned with isString true) when f is not finite.
func formatFloat(f float64, bits int) (s string, isString bool) {
	switch {
	case math.IsNaN(f):
		return "nan", true
	case math.IsInf(f, 1):
		return "inf", true
	case math.IsInf(f, -1):
		return "-inf", true
	}
	var b []byte
	var err error
	if bits == 32 {
		b, err = json.Marshal(float32(f))
	} else {
		b, err = json.Marshal(f)
	}
	if err != nil { // unreachable for finite values
		return strconv.FormatFloat(f, 'g', -1, bits), false
	}
	return string(b), false
}

// floatTree returns the tree node of a float.
func floatTree(f float64, bits int) any {
	s, isString := formatFloat(f, bits)
	if isString {
		return s
	}
	return json.Number(s)
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// toTree reduces v to nil, bool, string, json.Number, []any or
// map[string]any.
func toTree(v reflect.Value) (any, error) {
	if !v.IsValid() {
		return nil, nil
	}
	// Marshalers first, as encoding/json does.
	if v.Type().Implements(jsonMarshalerType) || (v.CanAddr() && v.Addr().Type().Implements(jsonMarshalerType)) {
		if isNilRef(v) {
			return nil, nil
		}
		m, ok := v.Interface().(json.Marshaler)
		if !ok {
			m = v.Addr().Interface().(json.Marshaler)
		}
		b, err := m.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("%s: MarshalJSON: %w", v.Type(), err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var t any
		if err := dec.Decode(&t); err != nil {
			return nil, fmt.Errorf("%s: MarshalJSON output: %w", v.Type(), err)
		}
		return t, nil
	}
	if v.Type().Implements(textMarshalerType) || (v.CanAddr() && v.Addr().Type().Implements(textMarshalerType)) {
		if isNilRef(v) {
			return nil, nil
		}
		m, ok := v.Interface().(encoding.TextMarshaler)
		if !ok {
			m = v.Addr().Interface().(encoding.TextMarshaler)
		}
		b, err := m.MarshalText()
		if err != nil {
			return nil, fmt.Errorf("%s: MarshalText: %w", v.Type(), err)
		}
		return string(b), nil
	}
	if v.Type() == reflect.TypeFor[json.Number]() {
		// a number decoded with UseNumber stays a number (it is a string kind)
		n := json.Number(v.String())
		if _, err := n.Float64(); err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, fmt.Errorf("json.Number %q: %w", v.String(), err)
		}
		return n, nil
	}
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return json.Number(strconv.FormatUint(v.Uint(), 10)), nil
	case reflect.Float32:
		return floatTree(v.Float(), 32), nil
	case reflect.Float64:
		return floatTree(v.Float(), 64), nil
	case reflect.String:
		return v.String(), nil
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		return toTree(v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return nil, nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b, err := json.Marshal(v.Bytes())
			if err != nil {
				return nil, err
			}
			var s string
			_ = json.Unmarshal(b, &s)
			return s, nil
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			t, err := toTree(v.Index(i))
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = t
		}
		return out, nil
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		out := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			k, err := mapKey(iter.Key())
			if err != nil {
				return nil, err
			}
			t, err := toTree(iter.Value())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = t
		}
		return out, nil
	case reflect.Struct:
		out := make(map[string]any)
		if err := structFields(v, out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported type %s", v.Type())
}

// isNilRef reports whether v is a nil pointer or nil interface.
func isNilRef(v reflect.Value) bool {
	return (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil()
}

func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		b, err := tm.MarshalText()
		return string(b), err
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", fmt.Errorf("unsupported map key type %s", k.Type())
}

// structFields adds the JSON fields of struct v to out. Fields of the outer
// struct win over fields promoted from embedded structs.
func structFields(v reflect.Value, out map[string]any) error {
	t := v.Type()
	var embedded []reflect.Value
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := v.Field(i)
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if fv.Kind() == reflect.Pointer {
					if fv.IsNil() {
						continue
					}
					fv = fv.Elem()
				}
				embedded = append(embedded, fv)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(","+opts+",", ",omitempty,") && isEmpty(fv) {
			continue
		}
		if strings.Contains(","+opts+",", ",omitzero,") && isZero(fv) {
			continue
		}
		tv, err := toTree(fv)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if strings.Contains(","+opts+",", ",string,") {
			if n, ok := tv.(json.Number); ok {
				tv = string(n)
			}
		}
		out[name] = tv
	}
	for _, ev := range embedded {
		inner := make(map[string]any)
		if err := structFields(ev, inner); err != nil {
			return err
		}
		for k, x := range inner {
			if _, taken := out[k]; !taken {
				out[k] = x
			}
		}
	}
	return nil
}

// isZero follows encoding/json's omitzero: an IsZero() bool method if the
// value has one, else reflect's zero test.
func isZero(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	return v.IsZero()
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// parseNumber converts a decoded JSON value (json.Number, float64, or the
// strings written for non-finite floats) to a float64.
func parseNumber(x any) (float64, bool) { return ParseNumber(x) }

// ParseNumber converts a value decoded from a result (json.Number, float64,
// or the strings "inf", "-inf", "nan" the encoder writes for non-finite
// numbers) to a float64; ok is false for anything else.
func ParseNumber(x any) (f float64, ok bool) {
	switch x := x.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	case float64:
		return x, true
	case string:
		switch strings.ToLower(x) {
		case "inf", "+inf", "infinity", "+infinity":
			return math.Inf(1), true
		case "-inf", "-infinity":
			return math.Inf(-1), true
		case "nan":
			return math.NaN(), true
		}
	}
	return 0, false
}
