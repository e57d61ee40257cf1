package matching

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// HKS returns the scaled heat kernel signature (n×len(times)):
//
//	h(x,t) = Σ_k e^{−λ_k t} φ_k(x)² / Σ_k e^{−λ_k t}.
func HKS(b *Basis, times []float64) *mat.Dense {
	n, k := b.Vectors.Dims()
	out := mat.NewDense(n, len(times), nil)
	w := make([]float64, k)
	for c, t := range times {
		s := 0.0
		for j := 0; j < k; j++ {
			w[j] = math.Exp(-math.Abs(b.Values[j]) * t)
			s += w[j]
		}
		for i := 0; i < n; i++ {
			v := 0.0
			for j := 0; j < k; j++ {
				p := b.Vectors.At(i, j)
				v += w[j] * p * p
			}
			out.Set(i, c, v/s)
		}
	}
	return out
}

// AutoHKS returns HKS at num times log-spaced in [4 ln10/λ_max, 4 ln10/λ_1]
// (pyFM's auto_HKS: λ_1 the first non-zero eigenvalue).
func AutoHKS(b *Basis, num int) *mat.Dense {
	k := b.K()
	lo := 4 * math.Ln10 / math.Abs(b.Values[k-1])
	hi := 4 * math.Ln10 / math.Abs(b.Values[1])
	return HKS(b, geomspace(lo, hi, num))
}

// WKS returns the scaled wave kernel signature (n×len(energies)), dropping
// eigenpairs with λ ≤ 1e-8·λ_max:
//
//	w(x,e) = Σ_k G_k(e) φ_k(x)² / Σ_k G_k(e),  G_k(e) = exp(−(e − log λ_k)²/(2s²)).
func WKS(b *Basis, energies []float64, s float64) *mat.Dense {
	n, k := b.Vectors.Dims()
	lmax := 0.0
	for _, l := range b.Values {
		lmax = math.Max(lmax, math.Abs(l))
	}
	var keep []int
	for j := 0; j < k; j++ {
		if math.Abs(b.Values[j]) > 1e-8*lmax {
			keep = append(keep, j)
		}
	}
	out := mat.NewDense(n, len(energies), nil)
	g := make([]float64, len(keep))
	for c, e := range energies {
		sum := 0.0
		for q, j := range keep {
			d := e - math.Log(math.Abs(b.Values[j]))
			g[q] = math.Exp(-d * d / (2 * s * s))
			sum += g[q]
		}
		for i := 0; i < n; i++ {
			v := 0.0
			for q, j := range keep {
				p := b.Vectors.At(i, j)
				v += g[q] * p * p
			}
			out.Set(i, c, v/sum)
		}
	}
	return out
}

// AutoWKS returns WKS with pyFM's automatic energies (auto_WKS): with
// e_min = log λ_1, e_max = log λ_max, s = 7(e_max − e_min)/num, num energies
// evenly spaced in [e_min + 2s, e_max − 2s].
func AutoWKS(b *Basis, num int) *mat.Dense {
	var ls []float64
	for _, l := range b.Values {
		ls = append(ls, math.Abs(l))
	}
	lmax := 0.0
	for _, l := range ls {
		lmax = math.Max(lmax, l)
	}
	lmin := math.Inf(1)
	for _, l := range ls {
		if l > 1e-8*lmax {
			lmin = math.Min(lmin, l)
		}
	}
	emin, emax := math.Log(lmin), math.Log(lmax)
	s := 7 * (emax - emin) / float64(num)
	return WKS(b, linspace(emin+2*s, emax-2*s, num), s)
}

// DescriptorOptions follow pyFM's FunctionalMapping.preprocess: Num
// descriptors (default 100) from the first NEv eigenpairs (default 50),
// every Step-th kept (default 1; pyFM's example uses 5), each column then
// normalised to unit L²(M) norm.
type DescriptorOptions struct {
	HKS  bool // heat kernel signature instead of the default WKS
	Num  int
	NEv  int
	Step int
}

// Descriptors computes normalised HKS or WKS columns on b (n×⌈Num/Step⌉).
func Descriptors(b *Basis, o DescriptorOptions) *mat.Dense {
	if o.Num == 0 {
		o.Num = 100
	}
	if o.NEv == 0 {
		o.NEv = 50
	}
	if o.Step == 0 {
		o.Step = 1
	}
	bk := b.Truncated(min(o.NEv, b.K()))
	var d *mat.Dense
	if o.HKS {
		d = AutoHKS(bk, o.Num)
	} else {
		d = AutoWKS(bk, o.Num)
	}
	n, _ := d.Dims()
	var cols []int
	for c := 0; c < o.Num; c += o.Step {
		cols = append(cols, c)
	}
	out := mat.NewDense(n, len(cols), nil)
	md := b.M.MulDense(d)
	for q, c := range cols {
		nrm := 0.0
		for i := 0; i < n; i++ {
			nrm += d.At(i, c) * md.At(i, c)
		}
		nrm = math.Sqrt(nrm)
		for i := 0; i < n; i++ {
			out.Set(i, q, d.At(i, c)/nrm)
		}
	}
	return out
}

func linspace(a, b float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		if n == 1 {
			out[i] = a
			continue
		}
		out[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return out
}

func geomspace(a, b float64, n int) []float64 {
	l := linspace(math.Log(a), math.Log(b), n)
	for i := range l {
		l[i] = math.Exp(l[i])
	}
	return l
}
