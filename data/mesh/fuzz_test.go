package mesh

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"genlab/internal/fuzzcheck"
)

// addMeshSeeds seeds f with the small meshes of the CGAL package with the
// given extension (data/cgal after `make data`; skipped when absent) and
// with src.
func addMeshSeeds(f *testing.F, ext string, src ...string) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "data", "cgal", "meshes", "*"+ext))
	for _, p := range files {
		if st, err := os.Stat(p); err == nil && st.Size() < 32<<10 {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	for _, s := range src {
		f.Add([]byte(s))
	}
}

// fuzzMesh asserts what every mesh reader guarantees on any input: no
// panic, allocation bounded by the input (a header's counts are not
// trusted), and, when the input is accepted, a mesh with finite bounded
// coordinates and in-range indices that write then reads back equal.
func fuzzMesh(t *testing.T, in []byte, read func(io.Reader, string) (*Mesh, error), write func(io.Writer, *Mesh) error) {
	var m *Mesh
	var err error
	fuzzcheck.Bounded(t, len(in), 512, 8<<20, func() { m, err = read(bytes.NewReader(in), "fuzz") })
	if err != nil {
		return
	}
	for _, p := range m.V {
		for _, x := range p {
			if math.IsNaN(x) || math.Abs(x) > MaxCoord {
				t.Fatalf("accepted coordinate %g", x)
			}
		}
	}
	for _, tr := range m.F {
		for _, v := range tr {
			if v < 0 || v >= len(m.V) {
				t.Fatalf("accepted index %d of %d vertices", v, len(m.V))
			}
		}
	}
	var buf bytes.Buffer
	if err := write(&buf, m); err != nil {
		t.Fatal(err)
	}
	m2, err := read(&buf, "again")
	if err != nil {
		t.Fatalf("re-reading the written mesh: %v", err)
	}
	if len(m2.V) != len(m.V) || len(m2.F) != len(m.F) {
		t.Fatalf("round trip: %d/%d vertices, %d/%d faces", len(m2.V), len(m.V), len(m2.F), len(m.F))
	}
	for i := range m.V {
		if m.V[i] != m2.V[i] {
			t.Fatalf("round trip: vertex %d %v → %v", i, m.V[i], m2.V[i])
		}
	}
	for i := range m.F {
		if m.F[i] != m2.F[i] {
			t.Fatalf("round trip: face %d %v → %v", i, m.F[i], m2.F[i])
		}
	}
}

func FuzzReadOFF(f *testing.F) {
	addMeshSeeds(f, ".off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n", "OFF 2000000000 1 0\n",
		"OFF\n0 9223372036854775807 0\n", "COFF\n4 1 0\n0 0 0 1 1 1 1\n1 0 0 1 1 1 1\n1 1 0 1 1 1 1\n0 1 0 1 1 1 1\n4 0 1 2 3\n")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzMesh(t, in, ReadOFF, WriteOFF) })
}

func FuzzReadOBJ(f *testing.F) {
	var b bytes.Buffer
	WriteOBJ(&b, Icosphere(1))
	addMeshSeeds(f, ".obj", b.String(), "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1/1/1 2/2/2 -1\n", "garbage\n")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzMesh(t, in, ReadOBJ, WriteOBJ) })
}

func FuzzReadPLY(f *testing.F) {
	addMeshSeeds(f, ".ply", "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzMesh(t, in, ReadPLY, WritePLY) })
}
