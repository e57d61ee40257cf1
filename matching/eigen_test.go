package matching

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
)

// TestSphereSpectrum checks λ ≈ l(l+1)/R² with multiplicity 2l+1 on a fine sphere.
func TestSphereSpectrum(t *testing.T) {
	m := mesh.Icosphere(4) // 2562 vertices
	R := 1.0
	b, err := LaplaceBeltrami(m, 25, false, EigenOptions{Solver: Lanczos})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for l := 0; l <= 4; l++ {
		want := float64(l*(l+1)) / (R * R)
		for c := 0; c < 2*l+1; c++ {
			got := b.Values[i]
			if math.Abs(got-want) > 0.01*want+1e-8 {
				t.Errorf("λ_%d = %.5f, want l(l+1) = %.1f (l=%d)", i, got, want, l)
			}
			i++
		}
	}
}

// The discretisation error of λ_1 = 2 (l = 1) on the unit sphere falls
// at least about fourfold per icosphere refinement (second order in the edge
// length or better; measured ≈ 11×).
func TestSphereSpectrumConverges(t *testing.T) {
	var errs []float64
	for _, lv := range []int{2, 3, 4} {
		b, err := LaplaceBeltrami(mesh.Icosphere(lv), 4, false, EigenOptions{Solver: Lanczos})
		if err != nil {
			t.Fatal(err)
		}
		errs = append(errs, math.Abs(b.Values[1]-2))
	}
	for i := 1; i < len(errs); i++ {
		if r := errs[i-1] / errs[i]; r < 3 {
			t.Errorf("error ratio %.2f between levels %d and %d, want ≈ 4", r, i+1, i+2)
		}
	}
	t.Logf("|λ_1 − 2| at levels 2, 3, 4: %.2e %.2e %.2e", errs[0], errs[1], errs[2])
}

func TestDenseLanczosAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	bl := mesh.RandomBlob(rng, true)
	m := mesh.OnSphere(mesh.Icosphere(3), bl.Apply)
	m.NormalizeArea()
	for _, full := range []bool{false, true} {
		bd, err := LaplaceBeltrami(m, 30, full, EigenOptions{Solver: Dense})
		if err != nil {
			t.Fatal(err)
		}
		bz, err := LaplaceBeltrami(m, 30, full, EigenOptions{Solver: Lanczos})
		if err != nil {
			t.Fatal(err)
		}
		for i := range bd.Values {
			if math.Abs(bd.Values[i]-bz.Values[i]) > 1e-8*(1+bd.Values[i]) {
				t.Errorf("full=%v λ_%d dense %.10g lanczos %.10g", full, i, bd.Values[i], bz.Values[i])
			}
		}
		// subspaces agree: |Φ_dᵀ M Φ_z| ≈ I (anisotropic shape: no degeneracy)
		var c mat.Dense
		c.Mul(bd.Vectors.T(), bz.M.MulDense(bz.Vectors))
		for i := 0; i < 30; i++ {
			if v := math.Abs(c.At(i, i)); v < 1-1e-6 {
				t.Errorf("full=%v |<φ_d,φ_z>_M| = %.8f for i=%d", full, v, i)
			}
		}
	}
}
