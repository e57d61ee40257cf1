package mesh

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrFormat is wrapped by every ParseError.
var ErrFormat = errors.New("malformed mesh file")

// ParseError reports malformed input with the file name and 1-based line.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("mesh: %s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("mesh: %s:%d: %s", e.File, e.Line, e.Msg)
}

// Unwrap returns ErrFormat, so errors.Is(err, ErrFormat) holds.
func (e *ParseError) Unwrap() error { return ErrFormat }

// lineReader yields non-empty lines with '#' comments removed, tracking the
// line number.
type lineReader struct {
	sc   *bufio.Scanner
	name string
	line int
}

func newLineReader(r io.Reader, name string) *lineReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	return &lineReader{sc: sc, name: name}
}

// next returns the fields of the next non-empty line, or io.EOF.
func (lr *lineReader) next() ([]string, error) {
	for lr.sc.Scan() {
		lr.line++
		s := lr.sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		f := strings.Fields(s)
		if len(f) > 0 {
			return f, nil
		}
	}
	if err := lr.sc.Err(); err != nil {
		return nil, fmt.Errorf("mesh: reading %s: %w", lr.name, err)
	}
	return nil, io.EOF
}

func (lr *lineReader) errf(format string, a ...any) error {
	return &ParseError{File: lr.name, Line: lr.line, Msg: fmt.Sprintf(format, a...)}
}

func (lr *lineReader) eof(what string) error {
	return &ParseError{File: lr.name, Line: lr.line, Msg: "unexpected end of file while reading " + what}
}

// MaxCoord bounds the magnitude of a vertex coordinate the readers accept:
// beyond it, the products of coordinates in areas and moments overflow.
const MaxCoord = 1e30

// preallocCap bounds the capacity the readers reserve from a count in a
// file's header; more elements are appended as lines actually arrive, so
// a header cannot make a reader allocate more than the file holds.
const preallocCap = 1 << 12

// parseCoord parses one vertex coordinate: a finite number with |x| ≤ MaxCoord.
func parseCoord(lr *lineReader, tok, what string) (float64, error) {
	x, err := strconv.ParseFloat(tok, 64)
	if err != nil || math.IsNaN(x) || math.Abs(x) > MaxCoord {
		return 0, lr.errf("%s: bad coordinate %q (want a finite number of magnitude ≤ %g)", what, tok, MaxCoord)
	}
	return x, nil
}

func parseFloats(lr *lineReader, f []string, what string) ([3]float64, error) {
	var p [3]float64
	if len(f) < 3 {
		return p, lr.errf("%s: want 3 coordinates, got %d fields", what, len(f))
	}
	for k := 0; k < 3; k++ {
		x, err := parseCoord(lr, f[k], what)
		if err != nil {
			return p, err
		}
		p[k] = x
	}
	return p, nil
}

// parsePoly parses the vertex count k ≥ 3 in f[0] and the k indices after
// it, each in [0, nv).
func parsePoly(lr *lineReader, f []string, i, nv int) ([]int, error) {
	k, err := strconv.Atoi(f[0])
	if err != nil || k < 3 {
		return nil, lr.errf("face %d: bad vertex count %q", i, f[0])
	}
	if len(f)-1 < k {
		return nil, lr.errf("face %d: want %d indices, got %d", i, k, len(f)-1)
	}
	poly := make([]int, k)
	for j := range poly {
		v, err := strconv.Atoi(f[1+j])
		if err != nil {
			return nil, lr.errf("face %d: bad index %q", i, f[1+j])
		}
		if v < 0 || v >= nv {
			return nil, lr.errf("face %d: index %d out of range [0, %d)", i, v, nv)
		}
		poly[j] = v
	}
	return poly, nil
}

// fan splits a polygon (v0, v1, …, v_{n−1}) into triangles (v0, v_i, v_{i+1}).
func fan(poly []int) [][3]int {
	out := make([][3]int, 0, len(poly)-2)
	for i := 1; i+1 < len(poly); i++ {
		out = append(out, [3]int{poly[0], poly[i], poly[i+1]})
	}
	return out
}

// ReadOFF reads an OFF file (headers OFF, COFF, NOFF, CNOFF; '#' comments;
// counts on the header line or the next; per-vertex colours and normals and
// per-face colours ignored; polygons split into triangle fans). name labels
// errors.
func ReadOFF(r io.Reader, name string) (*Mesh, error) {
	lr := newLineReader(r, name)
	f, err := lr.next()
	if err == io.EOF {
		return nil, lr.eof("OFF header")
	} else if err != nil {
		return nil, err
	}
	hdr := strings.ToUpper(f[0])
	if !strings.HasSuffix(hdr, "OFF") || strings.ContainsAny(strings.TrimSuffix(hdr, "OFF"), "0123456789") {
		return nil, lr.errf("want an OFF header (OFF, COFF, NOFF), got %q", f[0])
	}
	if strings.Contains(hdr, "4") || strings.HasPrefix(hdr, "ST") {
		return nil, lr.errf("unsupported OFF variant %q", f[0])
	}
	counts := f[1:]
	if len(counts) == 0 {
		if counts, err = lr.next(); err != nil {
			return nil, lr.eof("OFF counts")
		}
	}
	if len(counts) < 2 {
		return nil, lr.errf("want vertex and face counts, got %q", strings.Join(counts, " "))
	}
	nv, err1 := strconv.Atoi(counts[0])
	nf, err2 := strconv.Atoi(counts[1])
	if err1 != nil || err2 != nil || nv < 0 || nf < 0 {
		return nil, lr.errf("bad counts %q", strings.Join(counts, " "))
	}
	m := &Mesh{V: make([][3]float64, 0, min(nv, preallocCap)), F: make([][3]int, 0, min(nf, preallocCap))}
	for i := 0; i < nv; i++ {
		f, err := lr.next()
		if err == io.EOF {
			return nil, lr.eof(fmt.Sprintf("vertex %d of %d", i, nv))
		} else if err != nil {
			return nil, err
		}
		p, err := parseFloats(lr, f, fmt.Sprintf("vertex %d", i))
		if err != nil {
			return nil, err
		}
		m.V = append(m.V, p)
	}
	for i := 0; i < nf; i++ {
		f, err := lr.next()
		if err == io.EOF {
			return nil, lr.eof(fmt.Sprintf("face %d of %d", i, nf))
		} else if err != nil {
			return nil, err
		}
		poly, err := parsePoly(lr, f, i, nv)
		if err != nil {
			return nil, err
		}
		m.F = append(m.F, fan(poly)...)
	}
	if f, err := lr.next(); err == nil {
		return nil, lr.errf("more data after the %d declared faces: %q", nf, strings.Join(f, " "))
	} else if err != io.EOF {
		return nil, err
	}
	return m, nil
}

// objKeywords are the OBJ record types ReadOBJ knows and skips.
var objKeywords = map[string]bool{
	"vt": true, "vn": true, "vp": true, "o": true, "g": true, "s": true, "l": true, "p": true,
	"mtllib": true, "usemtl": true, "cstype": true, "deg": true, "curv": true, "curv2": true, "surf": true,
	"parm": true, "trim": true, "hole": true, "end": true, "bmat": true, "step": true, "mg": true,
	"lod": true, "shadow_obj": true, "trace_obj": true, "ctech": true, "stech": true, "bevel": true,
	"c_interp": true, "d_interp": true, "usemap": true, "maplib": true,
}

// ReadOBJ reads the v and f records of a Wavefront OBJ file (1-based or
// negative relative indices, v/vt/vn index triples; polygons split into
// triangle fans; the other OBJ records skipped). A line that starts with no
// OBJ keyword is an error, and so is a file without vertices: garbage is
// not an empty mesh.
func ReadOBJ(r io.Reader, name string) (*Mesh, error) {
	lr := newLineReader(r, name)
	m := &Mesh{}
	for {
		f, err := lr.next()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		if f[0] != "v" && f[0] != "f" && !objKeywords[f[0]] {
			return nil, lr.errf("unknown OBJ record %q", f[0])
		}
		switch f[0] {
		case "v":
			p, err := parseFloats(lr, f[1:], "vertex")
			if err != nil {
				return nil, err
			}
			m.V = append(m.V, p)
		case "f":
			if len(f) < 4 {
				return nil, lr.errf("face: want at least 3 vertices, got %d", len(f)-1)
			}
			poly := make([]int, len(f)-1)
			for j, tok := range f[1:] {
				if k := strings.IndexByte(tok, '/'); k >= 0 {
					tok = tok[:k]
				}
				v, err := strconv.Atoi(tok)
				if err != nil || v == 0 {
					return nil, lr.errf("face: bad index %q", f[1+j])
				}
				if v < 0 {
					v = len(m.V) + v
				} else {
					v--
				}
				if v < 0 || v >= len(m.V) {
					return nil, lr.errf("face: index %s out of range (%d vertices so far)", f[1+j], len(m.V))
				}
				poly[j] = v
			}
			m.F = append(m.F, fan(poly)...)
		}
	}
	if len(m.V) == 0 {
		return nil, lr.errf("no vertices (not an OBJ mesh)")
	}
	return m, nil
}

// ReadPLY reads an ASCII PLY file: the x, y, z properties of the vertex
// element and the index list of the face element (vertex_indices or
// vertex_index); other elements and properties are skipped. Binary PLY is
// refused.
func ReadPLY(r io.Reader, name string) (*Mesh, error) {
	lr := newLineReader(r, name)
	type element struct {
		name  string
		count int
		props []string // property names; list properties get a "list:" prefix
	}
	f, err := lr.next()
	if err != nil || f[0] != "ply" {
		return nil, lr.errf("want a \"ply\" header")
	}
	var elems []*element
	format := false
	for {
		// PLY comments start with "comment", not '#'.
		f, err := lr.next()
		if err != nil {
			return nil, lr.eof("PLY header")
		}
		switch f[0] {
		case "format":
			if len(f) < 2 || f[1] != "ascii" {
				return nil, lr.errf("only ASCII PLY is supported, got format %q", strings.Join(f[1:], " "))
			}
			format = true
		case "comment", "obj_info":
		case "element":
			if len(f) != 3 {
				return nil, lr.errf("bad element line")
			}
			c, err := strconv.Atoi(f[2])
			if err != nil || c < 0 {
				return nil, lr.errf("bad element count %q", f[2])
			}
			elems = append(elems, &element{name: f[1], count: c})
		case "property":
			if len(elems) == 0 {
				return nil, lr.errf("property before any element")
			}
			e := elems[len(elems)-1]
			if len(f) == 5 && f[1] == "list" {
				e.props = append(e.props, "list:"+f[4])
			} else if len(f) == 3 {
				e.props = append(e.props, f[2])
			} else {
				return nil, lr.errf("bad property line")
			}
		case "end_header":
			goto body
		default:
			return nil, lr.errf("unknown header keyword %q", f[0])
		}
	}
body:
	if !format {
		return nil, lr.errf("no \"format\" line in the PLY header")
	}
	m := &Mesh{}
	nv := -1
	for _, e := range elems {
		switch e.name {
		case "vertex":
			ix := [3]int{-1, -1, -1}
			for p, n := range e.props {
				switch n {
				case "x":
					ix[0] = p
				case "y":
					ix[1] = p
				case "z":
					ix[2] = p
				}
				if strings.HasPrefix(n, "list:") {
					return nil, lr.errf("list property in vertex element is not supported")
				}
			}
			if ix[0] < 0 || ix[1] < 0 || ix[2] < 0 {
				return nil, lr.errf("vertex element lacks x, y or z")
			}
			for i := 0; i < e.count; i++ {
				f, err := lr.next()
				if err != nil {
					return nil, lr.eof(fmt.Sprintf("vertex %d of %d", i, e.count))
				}
				if len(f) < len(e.props) {
					return nil, lr.errf("vertex %d: want %d values, got %d", i, len(e.props), len(f))
				}
				var p [3]float64
				for k := 0; k < 3; k++ {
					x, err := parseCoord(lr, f[ix[k]], fmt.Sprintf("vertex %d", i))
					if err != nil {
						return nil, err
					}
					p[k] = x
				}
				m.V = append(m.V, p)
			}
			nv = e.count
		case "face":
			if len(e.props) == 0 || (e.props[0] != "list:vertex_indices" && e.props[0] != "list:vertex_index") {
				return nil, lr.errf("face element must start with a vertex_indices list")
			}
			if nv < 0 {
				return nil, lr.errf("face element before vertex element")
			}
			for i := 0; i < e.count; i++ {
				f, err := lr.next()
				if err != nil {
					return nil, lr.eof(fmt.Sprintf("face %d of %d", i, e.count))
				}
				poly, err := parsePoly(lr, f, i, nv)
				if err != nil {
					return nil, err
				}
				m.F = append(m.F, fan(poly)...)
			}
		default:
			for i := 0; i < e.count; i++ {
				if _, err := lr.next(); err != nil {
					return nil, lr.eof(e.name + " element")
				}
			}
		}
	}
	if nv < 0 {
		return nil, lr.errf("no vertex element")
	}
	return m, nil
}

// WriteOFF writes m as an OFF file with full float64 precision.
func WriteOFF(w io.Writer, m *Mesh) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "OFF\n%d %d 0\n", len(m.V), len(m.F))
	for _, p := range m.V {
		fmt.Fprintf(bw, "%s %s %s\n", ftoa(p[0]), ftoa(p[1]), ftoa(p[2]))
	}
	for _, t := range m.F {
		fmt.Fprintf(bw, "3 %d %d %d\n", t[0], t[1], t[2])
	}
	return bw.Flush()
}

// WriteOBJ writes m as a Wavefront OBJ file (1-based indices).
func WriteOBJ(w io.Writer, m *Mesh) error {
	bw := bufio.NewWriter(w)
	for _, p := range m.V {
		fmt.Fprintf(bw, "v %s %s %s\n", ftoa(p[0]), ftoa(p[1]), ftoa(p[2]))
	}
	for _, t := range m.F {
		fmt.Fprintf(bw, "f %d %d %d\n", t[0]+1, t[1]+1, t[2]+1)
	}
	return bw.Flush()
}

// WritePLY writes m as an ASCII PLY file.
func WritePLY(w io.Writer, m *Mesh) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "ply\nformat ascii 1.0\nelement vertex %d\nproperty double x\nproperty double y\nproperty double z\n", len(m.V))
	fmt.Fprintf(bw, "element face %d\nproperty list uchar int vertex_indices\nend_header\n", len(m.F))
	for _, p := range m.V {
		fmt.Fprintf(bw, "%s %s %s\n", ftoa(p[0]), ftoa(p[1]), ftoa(p[2]))
	}
	for _, t := range m.F {
		fmt.Fprintf(bw, "3 %d %d %d\n", t[0], t[1], t[2])
	}
	return bw.Flush()
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// ReadFile reads an .off, .obj or .ply file chosen by extension.
func ReadFile(path string) (*Mesh, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mesh: %w", err)
	}
	defer fh.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".off":
		return ReadOFF(fh, path)
	case ".obj":
		return ReadOBJ(fh, path)
	case ".ply":
		return ReadPLY(fh, path)
	}
	return nil, fmt.Errorf("mesh: %s: unknown extension (want .off, .obj or .ply)", path)
}

// Load reads the mesh file at path (ReadFile) and cleans it
// (LoadWith(path, CleanDefects)): the mesh the spectral code can use. It
// also returns the Check report of the mesh as read, whose Warnings say what
// was dropped (e.g. the two degenerate faces of CGAL's mpi.off).
func Load(path string) (*Mesh, Report, error) {
	return LoadWith(path, CleanDefects)
}

// LoadWith reads the mesh file at path (ReadFile) and prepares it with the
// policy p (Prepare): cleaned, with the report of what was dropped, or
// refused with a *DefectError naming the file and the defective faces and
// vertices. A mesh with fewer than 3 vertices or no face left is a
// *DefectError under either policy.
func LoadWith(path string, p Policy) (*Mesh, Report, error) {
	m, err := ReadFile(path)
	if err != nil {
		return nil, Report{}, err
	}
	return Prepare(m, path, p)
}

// WriteFile writes m as .off, .obj or .ply, chosen by extension.
func WriteFile(path string, m *Mesh) error {
	var wf func(io.Writer, *Mesh) error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".off":
		wf = WriteOFF
	case ".obj":
		wf = WriteOBJ
	case ".ply":
		wf = WritePLY
	default:
		return fmt.Errorf("mesh: %s: unknown extension (want .off, .obj or .ply)", path)
	}
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("mesh: %w", err)
	}
	if err := wf(fh, m); err != nil {
		fh.Close()
		return fmt.Errorf("mesh: writing %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("mesh: closing %s: %w", path, err)
	}
	return nil
}
