//go:build goexperiment.simd && amd64 && !purego

package kern

import (
	"simd/archsimd"
	"testing"
)

// TestArchsimdAgreement checks the archsimd kernels against the scalar
// reference with TestElementwiseAgreement's tolerance.
func TestArchsimdAgreement(t *testing.T) {
	if !archsimd.X86.AVX512() {
		t.Skip("no AVX-512")
	}
	x := elemInputs()
	want, got := make([]float32, len(x)), make([]float32, len(x))
	for name, f := range map[string][2]func(y, x []float32){
		"ExpTo": {expToScalar, expToArchsimd},
		"SiLU":  {siluScalar, siluArchsimd},
	} {
		f[0](want, x)
		f[1](got, x)
		for i := range want {
			if !close32(got[i], want[i], 8, abs64(want[i])) {
				t.Fatalf("%s archsimd: x=%v: %v, scalar %v", name, x[i], got[i], want[i])
			}
		}
	}
}

func abs64(v float32) float64 {
	if v < 0 {
		return -float64(v)
	}
	return float64(v)
}

// BenchmarkSiLUArchsimd measures the archsimd SiLU and ExpTo for comparison
// with BenchmarkSiLU/SiLU and BenchmarkExp/ExpTo.
func BenchmarkSiLUArchsimd(b *testing.B) {
	if !archsimd.X86.AVX512() {
		b.Skip("no AVX-512")
	}
	b.Run("SiLU", func(b *testing.B) { benchElem(b, func(y, x, _ []float32) { siluArchsimd(y, x) }) })
	b.Run("ExpTo", func(b *testing.B) { benchElem(b, func(y, x, _ []float32) { expToArchsimd(y, x) }) })
}
