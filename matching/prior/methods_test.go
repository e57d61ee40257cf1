package prior

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/data/mesh"
	"genlab/diffusion"
	"genlab/matching"
)

// The smooth part of the refinement energy has the gradient it claims
// (central finite differences), with every term switched on.
func TestRefineEnergyGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	const k, p = 5, 7
	rnd := func(r, c int) *mat.Dense {
		m := mat.NewDense(r, c, nil)
		for i := range m.RawMatrix().Data {
			m.RawMatrix().Data[i] = rng.NormFloat64()
		}
		return m
	}
	vals := func() []float64 {
		v := make([]float64, k)
		for i := 1; i < k; i++ {
			v[i] = v[i-1] + rng.Float64()
		}
		return v
	}
	prob := &Problem{B1: &matching.Basis{Values: vals()}, B2: &matching.Basis{Values: vals()}, A: rnd(k, p), B: rnd(k, p), K: k}
	e := energy{p: prob, cfg: RefineConfig{WDescr: 1.3, WProper: 0.7, WLap: 0.4, WOrtho: 0.9, WBij: 1.1}}
	x := [2]*mat.Dense{rnd(k, k), rnd(k, k)}
	tgt := [2]*mat.Dense{rnd(k, k), rnd(k, k)}
	_, g := e.eval(x, tgt, true)
	const h = 1e-6
	for d := 0; d < 2; d++ {
		for i := 0; i < k*k; i++ {
			v := x[d].RawMatrix().Data[i]
			x[d].RawMatrix().Data[i] = v + h
			fp, _ := e.eval(x, tgt, false)
			x[d].RawMatrix().Data[i] = v - h
			fm, _ := e.eval(x, tgt, false)
			x[d].RawMatrix().Data[i] = v
			fd := (fp - fm) / (2 * h)
			if got := g[d].RawMatrix().Data[i]; math.Abs(got-fd) > 1e-5*math.Max(1, math.Abs(fd)) {
				t.Errorf("dir %d entry %d: gradient %.8g, finite difference %.8g", d, i, got, fd)
			}
		}
	}
}

// On a permuted copy with exact descriptors (B = C_gt A), every method's
// point map after ZoomOut is the true permutation, and the refinements
// started from the ground-truth map keep it exact.
func TestMethodsExactOnPermutedCopy(t *testing.T) {
	const k, kz = 12, 30
	rng := rand.New(rand.NewPCG(4, 4))
	src := mesh.OnSphere(mesh.Icosphere(2), mesh.RandomBlob(rng, true).Apply)
	src.NormalizeArea()
	tgt, perm := mesh.Permute(src, rng)
	b1, err := matching.LaplaceBeltrami(src, kz, false, matching.EigenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b2, err := matching.LaplaceBeltrami(tgt, kz, false, matching.EigenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wks := matching.DescriptorOptions{Num: 100, NEv: kz, Step: 5}
	p := NewProblem(b1, b2, matching.Descriptors(b1, wks), matching.Descriptors(b2, wks), k)
	data := smallSet(t, k).Images(k)
	refine := RefineConfig{Steps: 20, LR: 1e-3, WDescr: 1, WProper: 1, WSDS: 1, SDSSamples: 8, SDSSigmaMin: 0.01, SDSSigmaSpan: 1,
		TargetEvery: 10, ZoomExtra: 6}
	axiom := refine
	axiom.WSDS, axiom.WLap, axiom.WOrtho, axiom.WBij = 0, 1, 1, 1
	s := &Solver{MuLap: 1e-3, MuRes: 100, MuMean: 1e-3, MuDist: 0.1, Gamma: 0.5, MeanImage: MeanImage(data), MeanEps: 0.05,
		Den: diffusion.Ideal{Data: data, Kernel: diffusion.Gaussian{}}, Sigma: 1, S: 100, Refine: refine, Axiom: axiom}
	exact := func(p2p []int) float64 {
		ok := 0
		for y, x := range p2p {
			if x == perm[y] {
				ok++
			}
		}
		return float64(ok) / float64(len(p2p))
	}
	for _, m := range Methods {
		c, err := s.Solve(context.Background(), p, m, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		_, p2p, err := matching.ZoomOut(context.Background(), c, b1, b2, kz, 1)
		if err != nil {
			t.Fatal(err)
		}
		if f := exact(p2p); f < 1 {
			t.Errorf("%s + ZoomOut: %.4f of vertices exact, want all", m, f)
		}
	}
	// the ground-truth map as input: the refinements keep it
	cgt := matching.FMapFromP2P(perm, b1, b2, k, k)
	cgt21 := matching.FMapFromP2P(inverse(perm), b2, b1, k, k)
	for name, cfg := range map[string]RefineConfig{"prior": refine, "axiomatic": axiom} {
		var den diffusion.Denoiser
		if cfg.WSDS != 0 {
			den = s.Den
		}
		c, _, err := Refine(context.Background(), p, cgt, cgt21, den, cfg, rand.New(rand.NewPCG(2, 2)))
		if err != nil {
			t.Fatal(err)
		}
		if f := exact(matching.P2PFromFMap(c, b1, b2, false)); f < 1 {
			t.Errorf("refinement (%s) from C_gt: %.4f of vertices exact", name, f)
		}
	}
}

func inverse(p []int) []int {
	q := make([]int, len(p))
	for i, j := range p {
		q[j] = i
	}
	return q
}
