package results

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// meanCI95 returns the sample mean of v and the half-width of its two-sided
// 95% Student-t confidence interval,
//
//	half = t_{0.975, n−1} · s/√n,   s² = Σ(vᵢ − mean)²/(n − 1),
//
// the same quantity as metrics.MeanCI95, adapted for drawing: with one value
// the half-width is 0 (no error bar rather than NaN), and with none both
// results are NaN. results keeps its own copy on purpose: it is imported by
// every experiment and must not pull in metrics (whose fid_lenet feature
// network depends on nn and gorgonia).
func meanCI95(v []float64) (mean, half float64) {
	n := len(v)
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(n)
	if n == 1 {
		return mean, 0
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	s := math.Sqrt(ss / float64(n-1))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.975)
	return mean, t * s / math.Sqrt(float64(n))
}
