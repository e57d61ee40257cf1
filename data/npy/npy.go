// Package npy reads and writes NumPy's .npy array files (format versions
// 1.0–3.0, C order, little-endian), so samples genlab writes load with
// numpy.load and samples other tools write can be scored here.
//
// A file is the magic "\x93NUMPY", a major and minor version byte, the
// header length (uint16 little-endian in version 1, uint32 in 2 and 3), and
// an ASCII header, a Python dict literal such as
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (100, 784), }
//
// padded with spaces and a newline so the data starts at a multiple of 64
// bytes; the data follows in C order.
package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Element types this package reads; it writes Float32 and Uint8.
const (
	Float32 = "<f4"
	Float64 = "<f8"
	Uint8   = "|u1"
)

// MaxHeader bounds the header length Read accepts (NumPy's own limit for
// safe reading is 10000 bytes).
const MaxHeader = 10000

// ErrFormat marks a file that is not a well-formed .npy array of a
// supported type.
var ErrFormat = errors.New("npy: malformed file")

// Array is an n-dimensional array from a .npy file: its shape, its element
// type (Descr: Float32, Float64 or Uint8) and its values in C order, in U8
// for Uint8 and in F64 (converted) for the float types.
type Array struct {
	Shape []int
	Descr string
	F64   []float64
	U8    []uint8
}

// Len returns the number of elements, the product of Shape.
func (a *Array) Len() int {
	n := 1
	for _, s := range a.Shape {
		n *= s
	}
	return n
}

// EncodeFloat32 returns the .npy file of values v (stored as float32) with
// the given shape. It fails when the shape's product is not len(v).
func EncodeFloat32(shape []int, v []float64) ([]byte, error) {
	b, err := header(Float32, shape, len(v), 4)
	if err != nil {
		return nil, err
	}
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(x)))
	}
	return b, nil
}

// EncodeUint8 returns the .npy file of bytes v with the given shape.
func EncodeUint8(shape []int, v []uint8) ([]byte, error) {
	b, err := header(Uint8, shape, len(v), 1)
	if err != nil {
		return nil, err
	}
	return append(b, v...), nil
}

// header returns magic, version 1.0 and the padded header dict.
func header(descr string, shape []int, n, size int) ([]byte, error) {
	prod := 1
	dims := make([]string, len(shape))
	for i, s := range shape {
		if s < 0 {
			return nil, fmt.Errorf("npy: negative dimension in shape %v", shape)
		}
		prod *= s
		dims[i] = strconv.Itoa(s)
	}
	if prod != n {
		return nil, fmt.Errorf("npy: shape %v holds %d values, got %d", shape, prod, n)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, tuple)
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	h := dict + strings.Repeat(" ", pad) + "\n"
	b := make([]byte, 0, 10+len(h)+n*size)
	b = append(b, "\x93NUMPY\x01\x00"...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	return append(b, h...), nil
}

// ReadFile reads the .npy file at path (see Read); errors name the path.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	a, err := Read(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Read parses a .npy stream of at most size bytes (the file's size: the
// data must fill the rest of it exactly). It accepts versions 1–3, C order,
// and the element types Float32, Float64 and Uint8 ("<u1" too); anything
// else, a header over MaxHeader bytes, a shape that overflows or disagrees
// with size, or a short read is an error wrapping ErrFormat.
func Read(r io.Reader, size int64) (*Array, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("%w: short magic: %v", ErrFormat, err)
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("%w: no \\x93NUMPY magic", ErrFormat)
	}
	var hlen int64
	switch pre[6] {
	case 1:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, fmt.Errorf("%w: short header length", ErrFormat)
		}
		hlen = int64(binary.LittleEndian.Uint16(l[:])) + 10
	case 2, 3:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, fmt.Errorf("%w: short header length", ErrFormat)
		}
		hlen = int64(binary.LittleEndian.Uint32(l[:])) + 12
	default:
		return nil, fmt.Errorf("%w: version %d.%d", ErrFormat, pre[6], pre[7])
	}
	hdrLen := hlen - 10
	if pre[6] != 1 {
		hdrLen = hlen - 12
	}
	if hdrLen > MaxHeader || hdrLen < 2 {
		return nil, fmt.Errorf("%w: header of %d bytes", ErrFormat, hdrLen)
	}
	h := make([]byte, hdrLen)
	if _, err := io.ReadFull(r, h); err != nil {
		return nil, fmt.Errorf("%w: short header", ErrFormat)
	}
	descr, fortran, shape, err := parseHeader(string(h))
	if err != nil {
		return nil, err
	}
	if fortran {
		return nil, fmt.Errorf("%w: fortran_order True is not supported", ErrFormat)
	}
	var elem int64
	switch descr {
	case Float32:
		elem = 4
	case Float64:
		elem = 8
	case Uint8, "<u1":
		descr, elem = Uint8, 1
	default:
		return nil, fmt.Errorf("%w: element type %q (want %s, %s or %s)", ErrFormat, descr, Uint8, Float32, Float64)
	}
	n := int64(1)
	for _, s := range shape {
		if s < 0 || (s > 0 && n > (math.MaxInt32/elem)/int64(s)) {
			return nil, fmt.Errorf("%w: shape %v too large", ErrFormat, shape)
		}
		n *= int64(s)
	}
	if size >= 0 && hlen+n*elem != size {
		return nil, fmt.Errorf("%w: shape %v of %s needs %d data bytes, file has %d", ErrFormat, shape, descr, n*elem, size-hlen)
	}
	raw := make([]byte, n*elem)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("%w: short data: %v", ErrFormat, err)
	}
	a := &Array{Shape: shape, Descr: descr}
	switch descr {
	case Uint8:
		a.U8 = raw
	case Float32:
		a.F64 = make([]float64, n)
		for i := range a.F64 {
			a.F64[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	case Float64:
		a.F64 = make([]float64, n)
		for i := range a.F64 {
			a.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	}
	return a, nil
}

// parseHeader reads the three keys of the header dict. It is strict about
// what NumPy writes: quoted keys, a quoted descr, True/False and a tuple of
// non-negative integers.
func parseHeader(h string) (descr string, fortran bool, shape []int, err error) {
	bad := func(what string) error { return fmt.Errorf("%w: header %q: %s", ErrFormat, strings.TrimSpace(h), what) }
	s := strings.TrimSpace(h)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return "", false, nil, bad("not a dict")
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	seen := map[string]bool{}
	for s != "" {
		key, rest, ok := cutQuoted(s)
		if !ok {
			return "", false, nil, bad("bad key")
		}
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, ":") {
			return "", false, nil, bad("no ':' after " + key)
		}
		rest = strings.TrimSpace(rest[1:])
		switch key {
		case "descr":
			var v string
			if v, rest, ok = cutQuoted(rest); !ok {
				return "", false, nil, bad("bad descr")
			}
			descr = v
		case "fortran_order":
			switch {
			case strings.HasPrefix(rest, "False"):
				fortran, rest = false, rest[5:]
			case strings.HasPrefix(rest, "True"):
				fortran, rest = true, rest[4:]
			default:
				return "", false, nil, bad("bad fortran_order")
			}
		case "shape":
			end := strings.IndexByte(rest, ')')
			if !strings.HasPrefix(rest, "(") || end < 0 {
				return "", false, nil, bad("bad shape")
			}
			shape = []int{}
			for _, f := range strings.Split(rest[1:end], ",") {
				f = strings.TrimSpace(f)
				if f == "" {
					continue
				}
				d, err := strconv.Atoi(strings.TrimSuffix(f, "L"))
				if err != nil || d < 0 {
					return "", false, nil, bad("bad dimension " + f)
				}
				shape = append(shape, d)
			}
			rest = rest[end+1:]
		default:
			return "", false, nil, bad("unknown key " + key)
		}
		seen[key] = true
		rest = strings.TrimSpace(rest)
		rest = strings.TrimPrefix(rest, ",")
		s = strings.TrimSpace(rest)
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return "", false, nil, bad("missing key")
	}
	return descr, fortran, shape, nil
}

// cutQuoted splits a leading '…' or "…" string off s.
func cutQuoted(s string) (v, rest string, ok bool) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", s, false
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", s, false
	}
	return s[1 : 1+end], s[2+end:], true
}
