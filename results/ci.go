package results

import (
	"math"

	"genlab/metrics"
)

// meanCI95 is metrics.MeanCI95 (the mean and the half-width of the
// two-sided 95% Student-t interval, t_{0.975,n−1}·s/√n) adapted for
// drawing: with one value the half-width is 0 (no error bar rather than
// NaN), and with none both results are NaN.
func meanCI95(v []float64) (mean, half float64) {
	switch len(v) {
	case 0:
		return math.NaN(), math.NaN()
	case 1:
		return v[0], 0
	}
	return metrics.MeanCI95(v)
}
