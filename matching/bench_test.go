package matching

import (
	"bufio"
	"context"
	"fmt"
	"genlab/internal/cputime"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"genlab/data/mesh"
)

// benchMesh is a limbed blob on a cube-sphere with 6s²+2 vertices
// (s = 29 → 5,048; s = 58 → 20,186), unit area.
func benchMesh(s int) *mesh.Mesh {
	b := mesh.RandomBlob(rand.New(rand.NewPCG(42, 1)), true)
	m := mesh.OnSphere(mesh.CubeSphere(s), b.Apply)
	m.NormalizeArea()
	return m
}

func benchEigen(b *testing.B, s, k int) {
	m := benchMesh(s)
	L, err := CotanLaplacian(m)
	if err != nil {
		b.Fatal(err)
	}
	M := Diag(LumpedMass(m))
	b.ReportMetric(float64(L.N), "vertices")
	b.ResetTimer()
	c0 := cputime.Process().Seconds()
	for i := 0; i < b.N; i++ {
		if _, err := Eigenbasis(L, M, k, EigenOptions{Solver: Lanczos}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cputime.Process().Seconds()-c0)/float64(b.N), "cpu-s/op")
}

// BenchmarkEigen100 times the first 100 eigenpairs (shift-invert block
// Lanczos, σ = −0.01) of the cotangent Laplacian with lumped mass.
func BenchmarkEigen100(b *testing.B) {
	for _, s := range []int{29, 58} {
		b.Run(fmt.Sprintf("n=%d", 6*s*s+2), func(b *testing.B) { benchEigen(b, s, 100) })
	}
}

// BenchmarkEigs times the first k = 30 and 100 eigenpairs at about 5k,
// 10k and 20k vertices (cube-sphere s = 29, 41, 58: 5,048, 10,088 and
// 20,186 vertices), the grid of docs/PERFORMANCE.md; TestExportBenchMatrices
// writes the same matrices for scripts/matching-eigsh.py.
func BenchmarkEigs(b *testing.B) {
	for _, s := range benchSizes {
		for _, k := range []int{30, 100} {
			b.Run(fmt.Sprintf("n=%d/k=%d", 6*s*s+2, k), func(b *testing.B) { benchEigen(b, s, k) })
		}
	}
}

// benchSizes are the cube-sphere resolutions of BenchmarkEigs.
var benchSizes = []int{29, 41, 58}

// BenchmarkZoomOutPair times one full pair at about 5,000 vertices:
// both eigenbases (k = 100), WKS, the Laplacian-mask solve at k = 20 and
// ZoomOut 20 → 100 (step 1), evaluation excluded.
func BenchmarkZoomOutPair(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	bl := mesh.RandomBlob(rng, true)
	src := mesh.OnSphere(mesh.CubeSphere(29), bl.Apply)
	tgt, _ := mesh.Permute(mesh.OnSphere(mesh.CubeSphere(29), bl.Articulated(rng, 0.5, 0.15).Apply), rng)
	src.NormalizeArea()
	tgt.NormalizeArea()
	b.ResetTimer()
	c0 := cputime.Process().Seconds()
	defer func() { b.ReportMetric((cputime.Process().Seconds()-c0)/float64(b.N), "cpu-s/op") }()
	for i := 0; i < b.N; i++ {
		b1, err := LaplaceBeltrami(src, 100, false, EigenOptions{Solver: Lanczos})
		if err != nil {
			b.Fatal(err)
		}
		b2, err := LaplaceBeltrami(tgt, 100, false, EigenOptions{Solver: Lanczos})
		if err != nil {
			b.Fatal(err)
		}
		do := DescriptorOptions{Step: 5}
		A := b1.Truncated(20).Project(Descriptors(b1, do))
		B := b2.Truncated(20).Project(Descriptors(b2, do))
		C, err := SolveFMap(A, B, LaplacianMask(b1.Values, b2.Values, 20, 20, false), 1e-3)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := ZoomOut(context.Background(), C, b1, b2, 100, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// TestExportBenchMatrices writes the benchmark matrices as 0-based
// "i j value" triplets (L, then the lumped mass diagonal) and genlab's
// eigenvalues for k = 30 and 100 (evals_go_<n>_k<k>.txt) into
// $GENLAB_EXPORT_DIR, for timing scipy's eigsh on the same problems.
func TestExportBenchMatrices(t *testing.T) {
	dir := os.Getenv("GENLAB_EXPORT_DIR")
	if dir == "" {
		t.Skip("GENLAB_EXPORT_DIR not set")
	}
	for _, s := range benchSizes {
		m := benchMesh(s)
		L, err := CotanLaplacian(m)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("L_%d.txt", L.N)))
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for i := 0; i < L.N; i++ {
			for p := L.RowPtr[i]; p < L.RowPtr[i+1]; p++ {
				fmt.Fprintf(w, "%d %d %.17g\n", i, L.Col[p], L.Val[p])
			}
		}
		w.Flush()
		f.Close()
		g, err := os.Create(filepath.Join(dir, fmt.Sprintf("M_%d.txt", L.N)))
		if err != nil {
			t.Fatal(err)
		}
		w = bufio.NewWriter(g)
		for _, v := range LumpedMass(m) {
			fmt.Fprintf(w, "%.17g\n", v)
		}
		w.Flush()
		g.Close()
		for _, k := range []int{30, 100} {
			b, err := Eigenbasis(L, Diag(LumpedMass(m)), k, EigenOptions{Solver: Lanczos})
			if err != nil {
				t.Fatal(err)
			}
			h, err := os.Create(filepath.Join(dir, fmt.Sprintf("evals_go_%d_k%d.txt", L.N, k)))
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range b.Values {
				fmt.Fprintf(h, "%.17g\n", v)
			}
			h.Close()
		}
	}
}
