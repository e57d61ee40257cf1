package kdiffrun

import (
	"math"
	"testing"
)

func TestKStar(t *testing.T) {
	for _, c := range [][3]float64{{4, 4, 0.5}, {16, 1, 16.0 / 17}, {512, 2, 512.0 / 514}} {
		if k := KStar(int(c[0]), int(c[1])); math.Abs(k-c[2]) > 1e-15 {
			t.Errorf("k*(%g,%g) = %g", c[0], c[1], k)
		}
	}
}
