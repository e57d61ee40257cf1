package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// heavyKS returns the one-sample Kolmogorov–Smirnov statistic of x against
// cdf, and the α = 0.001 critical value √(−ln(α/2)/2)/√n.
func heavyKS(x []float64, cdf func(float64) float64) (d, crit float64) {
	s := slices.Clone(x)
	slices.Sort(s)
	n := float64(len(s))
	for i, v := range s {
		f := cdf(v)
		d = math.Max(d, math.Max(float64(i+1)/n-f, f-float64(i)/n))
	}
	return d, math.Sqrt(-math.Log(0.0005)/2) / math.Sqrt(n)
}

func rowNorms2(x *mat.Dense) []float64 {
	n, _ := x.Dims()
	out := make([]float64, n)
	for i := range out {
		for _, v := range x.RawRowView(i) {
			out[i] += v * v
		}
	}
	return out
}

// TestStudentT checks ‖x‖²/(dim·s²) ~ F(dim, ν) and the univariate t_ν(0, s)
// marginal of the first coordinate.
func TestStudentT(t *testing.T) {
	const n, s = 20000, 0.5
	for _, c := range []struct {
		dim int
		nu  float64
	}{{2, 2}, {2, 3}, {10, 2}, {10, 3}} {
		x := StudentT(n, c.dim, c.nu, s, rand.New(rand.NewPCG(61, uint64(c.dim))))
		f := rowNorms2(x)
		for i := range f {
			f[i] /= float64(c.dim) * s * s
		}
		if d, crit := heavyKS(f, distuv.F{D1: float64(c.dim), D2: c.nu}.CDF); d > crit {
			t.Errorf("dim=%d ν=%v: KS(‖x‖²/(dim s²) vs F) = %.4f > %.4f", c.dim, c.nu, d, crit)
		}
		col := mat.Col(nil, 0, x)
		tt := distuv.StudentsT{Mu: 0, Sigma: s, Nu: c.nu}
		if d, crit := heavyKS(col, tt.CDF); d > crit {
			t.Errorf("dim=%d ν=%v: KS(x₀ vs t_ν) = %.4f > %.4f", c.dim, c.nu, d, crit)
		}
	}
}

// TestRadialPareto checks the norm law P(‖x‖ > t) = (xm/t)^α and, in 2-D, a
// uniform angle.
func TestRadialPareto(t *testing.T) {
	const n, xm = 20000, 0.5
	for _, dim := range []int{2, 10} {
		for _, alpha := range []float64{1.5, 2.5} {
			x := RadialPareto(n, dim, alpha, xm, rand.New(rand.NewPCG(62, uint64(dim))))
			r := rowNorms2(x)
			for i := range r {
				r[i] = math.Sqrt(r[i])
			}
			cdf := func(v float64) float64 {
				if v < xm {
					return 0
				}
				return 1 - math.Pow(xm/v, alpha)
			}
			if d, crit := heavyKS(r, cdf); d > crit {
				t.Errorf("dim=%d α=%v: KS(‖x‖ vs Pareto) = %.4f > %.4f", dim, alpha, d, crit)
			}
			if dim == 2 {
				ang := make([]float64, n)
				for i := range ang {
					ang[i] = math.Atan2(x.At(i, 1), x.At(i, 0))
				}
				uni := distuv.Uniform{Min: -math.Pi, Max: math.Pi}
				if d, crit := heavyKS(ang, uni.CDF); d > crit {
					t.Errorf("α=%v: KS(angle vs uniform) = %.4f", alpha, d)
				}
			}
		}
	}
}

// TestTwoCluster checks the official toy: the latent coordinates recovered
// by least squares are ±1 + N(0, 0.2²) per the label, and the samples lie
// within the 0.01 noise of the 10-dimensional row space of W.
func TestTwoCluster(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 0))
	tc := NewTwoCluster(1000, rng)
	y, labels := tc.Sample(500, rng)
	if r, c := y.Dims(); r != 500 || c != 1000 {
		t.Fatalf("dims %d×%d", r, c)
	}
	z, err := tc.Latent(y)
	if err != nil {
		t.Fatal(err)
	}
	var dev []float64
	plus := 0
	for i, l := range labels {
		if l == 1 {
			plus++
		}
		for _, v := range z.RawRowView(i) {
			dev = append(dev, (v-float64(l))/TwoClusterStd)
		}
	}
	if d, crit := heavyKS(dev, distuv.UnitNormal.CDF); d > crit {
		t.Errorf("latent deviations: KS vs N(0,1) = %.4f > %.4f", d, crit)
	}
	if math.Abs(float64(plus)-250) > 4*math.Sqrt(125) {
		t.Errorf("%d of 500 in the + cluster", plus)
	}
	// Residual off the row space: ‖y − zW‖² ≈ 0.01²·(N − 10) per row.
	var fit mat.Dense
	fit.Mul(z, tc.W)
	fit.Sub(y, &fit)
	r2 := rowNorms2(&fit)
	var m float64
	for _, v := range r2 {
		m += v / float64(len(r2))
	}
	if want := TwoClusterNoise * TwoClusterNoise * 990; math.Abs(m-want) > 0.05*want {
		t.Errorf("mean squared residual %.4g, want %.4g", m, want)
	}
	// Scale multiplies the samples and Latent undoes it.
	tc2 := &TwoCluster{W: tc.W, Scale: 0.1}
	y2, _ := tc2.Sample(20, rand.New(rand.NewPCG(64, 0)))
	y1, _ := tc.Sample(20, rand.New(rand.NewPCG(64, 0)))
	y1.Scale(0.1, y1)
	if !mat.EqualApprox(y1, y2, 1e-12) {
		t.Error("Scale is not a plain multiplier")
	}
}
