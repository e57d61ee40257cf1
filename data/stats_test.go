package data

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestPooledStd(t *testing.T) {
	// Columns {1,3} and {10,14}: squared deviations 1+1 and 4+4, 4−2 = 2 dof.
	x := mat.NewDense(2, 2, []float64{1, 10, 3, 14})
	if got, want := PooledStd(x), math.Sqrt(10.0/2); math.Abs(got-want) > 1e-12 {
		t.Fatalf("PooledStd = %v, want %v", got, want)
	}
}
