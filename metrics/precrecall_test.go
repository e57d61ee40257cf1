package metrics

import (
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// brutePR is Kynkäänniemi precision/recall with directly summed distances
// and full sorting.
func brutePR(real, fake *mat.Dense, k int) (float64, float64) {
	radii := func(x *mat.Dense) []float64 {
		n, _ := x.Dims()
		r := make([]float64, n)
		for i := 0; i < n; i++ {
			var d []float64
			for j := 0; j < n; j++ {
				if j != i {
					d = append(d, sqDist(x.RawRowView(i), x.RawRowView(j)))
				}
			}
			slices.Sort(d)
			r[i] = d[k-1]
		}
		return r
	}
	cover := func(q, ref *mat.Dense, rad []float64) float64 {
		nq, _ := q.Dims()
		nr, _ := ref.Dims()
		c := 0
		for i := 0; i < nq; i++ {
			for j := 0; j < nr; j++ {
				if sqDist(q.RawRowView(i), ref.RawRowView(j)) <= rad[j] {
					c++
					break
				}
			}
		}
		return float64(c) / float64(nq)
	}
	return cover(fake, real, radii(real)), cover(real, fake, radii(fake))
}

func TestPrecisionRecallIdenticalAndDisjoint(t *testing.T) {
	rng := newRand(30)
	x := gaussian(200, make([]float64, 5), 1, rng)
	p, r := PrecisionRecall(x, x, DefaultNeighbours)
	if p != 1 || r != 1 {
		t.Errorf("identical sets: P/R = %g/%g, want 1/1", p, r)
	}
	// Identical as sets, different row order and a translation far from 0
	// (large norms stress the Gram-matrix route).
	off := make([]float64, 5)
	for i := range off {
		off[i] = 1e4
	}
	xo := shifted(x, off)
	p, r = PrecisionRecall(xo, permuteRows(xo, rng.Perm(200)), 3)
	if p != 1 || r != 1 {
		t.Errorf("identical shifted sets: P/R = %g/%g, want 1/1", p, r)
	}
	far := gaussian(150, []float64{100, 0, 0, 0, 0}, 1, rng)
	p, r = PrecisionRecall(x, far, 3)
	if p != 0 || r != 0 {
		t.Errorf("disjoint sets: P/R = %g/%g, want 0/0", p, r)
	}
}

func TestPrecisionRecallHalfOverlap(t *testing.T) {
	// real = A ∪ B, fake = B ∪ C with A, B, C clusters of 100 points far
	// apart, B shared. k-NN radii stay inside clusters, so only B is covered:
	// precision = |B|/|fake| = 0.5, recall = |B|/|real| = 0.5.
	rng := newRand(31)
	a := gaussian(100, []float64{-50, 0, 0}, 1, rng)
	b := gaussian(100, []float64{0, 0, 0}, 1, rng)
	c := gaussian(100, []float64{50, 0, 0}, 1, rng)
	var real, fake mat.Dense
	real.Stack(a, b)
	fake.Stack(b, c)
	p, r := PrecisionRecall(&real, &fake, 3)
	close(t, "precision", p, 0.5, 0)
	close(t, "recall", r, 0.5, 0)
	// Fake = B ∪ C ∪ C' (200 far points): precision 1/3, recall still 0.5.
	c2 := gaussian(100, []float64{0, 60, 0}, 1, rng)
	var fake3 mat.Dense
	fake3.Stack(&fake, c2)
	p, r = PrecisionRecall(&real, &fake3, 3)
	close(t, "precision 1/3", p, 1.0/3, 1e-15)
	close(t, "recall", r, 0.5, 0)
}

func TestPrecisionRecallBlockedAgree(t *testing.T) {
	rng := newRand(32)
	// Overlapping but different laws, so the values are strictly inside (0,1).
	real := gaussian(300, make([]float64, 4), 1, rng)
	fake := gaussian(250, []float64{1.5, 0, 0, 0}, 0.8, rng)
	// Duplicate rows: radius 0 for a point with k duplicates.
	for i := 0; i < 4; i++ {
		real.SetRow(10+i, real.RawRowView(0))
	}
	for _, k := range []int{1, 3, 5} {
		wp, wr := brutePR(real, fake, k)
		if wp <= 0.05 || wp >= 0.999 || wr <= 0.05 || wr >= 0.999 {
			t.Fatalf("k=%d: test case not discriminating: P/R = %g/%g", k, wp, wr)
		}
		for _, block := range []int{1, 7, 64, 300, 1000} {
			p, r := PrecisionRecallBlocked(real, fake, k, block)
			if p != wp || r != wr {
				t.Errorf("k=%d block=%d: P/R = %g/%g, brute force %g/%g", k, block, p, r, wp, wr)
			}
		}
		p, r := PrecisionRecall(real, fake, k)
		if p != wp || r != wr {
			t.Errorf("k=%d default blocks: P/R = %g/%g, brute force %g/%g", k, p, r, wp, wr)
		}
	}
	// Far from the origin ‖a‖²+‖b‖²−2aᵀb loses ~8 digits; the guarded
	// comparisons must still reproduce the directly summed result.
	off := []float64{3e3, -2e3, 1e3, 5e3}
	rs, fs := shifted(real, off), shifted(fake, off)
	wp, wr := brutePR(rs, fs, 3)
	for _, block := range []int{1, 64, 1000} {
		p, r := PrecisionRecallBlocked(rs, fs, 3, block)
		if p != wp || r != wr {
			t.Errorf("shifted, block=%d: P/R = %g/%g, brute force %g/%g", block, p, r, wp, wr)
		}
	}

	// A narrower fake law sits inside the real support (high precision) but
	// misses its tails (lower recall).
	p, r := PrecisionRecall(real, gaussian(300, make([]float64, 4), 0.5, rng), 3)
	if !(p > 0.95 && r < p-0.2) {
		t.Errorf("narrow fake: P/R = %g/%g, want precision > 0.95 and recall well below", p, r)
	}
	mustPanic(t, "k ≥ n", func() { PrecisionRecall(mat.NewDense(3, 2, nil), real.Slice(0, 10, 0, 2).(*mat.Dense), 3) })
	mustPanic(t, "columns", func() { PrecisionRecall(real, mat.NewDense(10, 3, nil), 3) })
	mustPanic(t, "blockRows", func() { PrecisionRecallBlocked(real, fake, 3, 0) })
}

func TestPrecisionRecallDuplicates(t *testing.T) {
	// Quantised data repeats rows. With every row present 4 times and k = 3
	// all radii are exactly 0, so a fake row is covered iff it equals a real
	// row. Far from the origin the Gram route gives nonzero distances for
	// equal rows; only the directly summed distance decides this correctly.
	rng := newRand(34)
	base := gaussian(60, make([]float64, 6), 1, rng)
	off := []float64{1e4, 1e4, -1e4, 3e3, 1e4, 7e3}
	base = shifted(base, off)
	real := mat.NewDense(240, 6, nil)
	for i := 0; i < 240; i++ {
		real.SetRow(i, base.RawRowView(i%60))
	}
	// Fake: 30 of the base rows (each 4 times, so fake radii are 0 too) and
	// 30 new rows, each 4 times.
	other := shifted(gaussian(30, make([]float64, 6), 1, rng), off)
	fake := mat.NewDense(240, 6, nil)
	for i := 0; i < 240; i++ {
		if i%60 < 30 {
			fake.SetRow(i, base.RawRowView(i%60))
		} else {
			fake.SetRow(i, other.RawRowView(i%60-30))
		}
	}
	for _, block := range []int{1, 50, 240} {
		p, r := PrecisionRecallBlocked(real, fake, 3, block)
		if p != 0.5 || r != 0.5 {
			t.Errorf("block=%d: P/R = %g/%g, want 0.5/0.5", block, p, r)
		}
	}
}

func TestKthNeighbourExact(t *testing.T) {
	// Points on a line at 0, 1, 3, 6, 10: the k-th neighbour distances are
	// known in closed form.
	x := mat.NewDense(5, 1, []float64{0, 1, 3, 6, 10})
	norms := rowSqNorms(x)
	got := kthNeighbourSq(x, norms, 2, 2, 4*3*eps)
	want := []float64{9, 4, 9, 16, 49} // 2nd-nearest distances 3, 2, 3, 4, 7
	for i := range want {
		close(t, "2nd-neighbour distance²", got[i], want[i], 0)
	}
}

func BenchmarkPrecisionRecall10000x64(b *testing.B) {
	rng := newRand(33)
	real := gaussian(10000, make([]float64, 64), 1, rng)
	fake := gaussian(10000, make([]float64, 64), 1.1, rng)
	for b.Loop() {
		PrecisionRecall(real, fake, 3)
	}
}
