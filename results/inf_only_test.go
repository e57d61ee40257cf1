package results

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// A sweep whose only column is D = ∞ (or any single x) still draws, on a
// log or a linear axis.
func TestMetricVsParamSingleColumn(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		logX bool
	}{{math.Inf(1), true}, {math.Inf(1), false}, {8, true}, {8, false}} {
		p := filepath.Join(t.TempDir(), "x.png")
		err := MetricVsParam(p, SweepPlot{LogX: tc.logX, LogY: true, Series: []Series{{Name: "a", X: []float64{tc.x}, Y: [][]float64{{1, 2}}}}})
		if err != nil {
			t.Fatalf("x=%v logX=%v: %v", tc.x, tc.logX, err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(f); err != nil {
			t.Fatalf("x=%v logX=%v: %v", tc.x, tc.logX, err)
		}
		f.Close()
	}
}
