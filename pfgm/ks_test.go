package pfgm

import (
	"math"
	"slices"
)

// ksC001 is c(α) = √(−ln(α/2)/2) of the Kolmogorov–Smirnov test at
// α = 0.001: the statistic exceeds ksC001·√(1/n) (one sample) or
// ksC001·√((n+m)/(nm)) (two samples) with probability 0.001 under H0.
var ksC001 = math.Sqrt(-math.Log(0.001/2) / 2)

// ks1 returns the one-sample KS statistic sup|F_n − F| of x against cdf.
func ks1(x []float64, cdf func(float64) float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	n := float64(len(s))
	var d float64
	for i, v := range s {
		f := cdf(v)
		d = math.Max(d, math.Max(float64(i+1)/n-f, f-float64(i)/n))
	}
	return d
}

// ks2 returns the two-sample KS statistic sup|F_a − F_b|.
func ks2(a, b []float64) float64 {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	var i, j int
	var d float64
	for i < len(x) && j < len(y) {
		v := math.Min(x[i], y[j])
		for i < len(x) && x[i] == v {
			i++
		}
		for j < len(y) && y[j] == v {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(x))-float64(j)/float64(len(y))))
	}
	return d
}

func ks1Crit(n int) float64 { return ksC001 / math.Sqrt(float64(n)) }

func ks2Crit(n, m int) float64 {
	return ksC001 * math.Sqrt(float64(n+m)/float64(n*m))
}
