//go:build amd64 && !purego

package kern

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// TestElementwiseAVX2 runs the agreement checks on the AVX2 kernels, which
// an AVX-512 machine does not select.
func TestElementwiseAVX2(t *testing.T) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		t.Skip("no AVX2+FMA")
	}
	saved := [...]any{expTo, silu, siluGrad, siluGradAcc, affineSiLUTo, elemName}
	defer func() {
		expTo = saved[0].(func(y, x []float32))
		silu = saved[1].(func(y, x []float32))
		siluGrad = saved[2].(func(dx, x, dy []float32))
		siluGradAcc = saved[3].(func(dx, x, dy []float32))
		affineSiLUTo = saved[4].(func(y, tOut, x []float32, a, b float32))
		elemName = saved[5].(string)
	}()
	useElemAVX2()
	checkElementwiseAgreement(t)
}
