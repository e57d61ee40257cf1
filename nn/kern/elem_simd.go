//go:build goexperiment.simd && amd64 && !purego

package kern

import "simd/archsimd"

// archsimd (GOEXPERIMENT=simd) versions of ExpTo and SiLU: 16 AVX-512
// lanes, the steps of expScalar with fused multiply–adds. They are not
// selected: on the development machine (Zen 5) they ran SiLU at ~2.4
// Gelem/s against 4.3 for the AVX-512 assembly (the compiler keeps the
// vectors in registers but schedules them worse), so every build uses the
// assembly. They are kept, tested and benchmarked (BenchmarkSiLU/archsimd)
// so that the comparison can be repeated as the compiler improves. Callers
// must check archsimd.X86.AVX512().

func expToArchsimd(y, x []float32) {
	n := len(x) &^ 15
	y = y[:len(x)]
	for i := 0; i < n; i += 16 {
		exp16(archsimd.LoadFloat32x16((*[16]float32)(x[i : i+16]))).Store((*[16]float32)(y[i : i+16]))
	}
	expToScalar(y[n:], x[n:])
}

func siluArchsimd(y, x []float32) {
	n := len(x) &^ 15
	y = y[:len(x)]
	one := archsimd.BroadcastFloat32x16(1)
	var zero archsimd.Float32x16
	for i := 0; i < n; i += 16 {
		v := archsimd.LoadFloat32x16((*[16]float32)(x[i : i+16]))
		s := one.Div(one.Add(exp16(zero.Sub(v))))
		v.Mul(s).Store((*[16]float32)(y[i : i+16]))
	}
	siluScalar(y[n:], x[n:])
}

// exp16 is expScalar on 16 lanes. Max and Min take x as their argument so
// that NaN lanes stay NaN (VMAXPS returns its second source when either is
// NaN).
func exp16(x archsimd.Float32x16) archsimd.Float32x16 {
	x = archsimd.BroadcastFloat32x16(expLo).Max(x)
	x = archsimd.BroadcastFloat32x16(expHi).Min(x)
	// n = round(x·log2e) by the 1.5·2²³ trick, as in expScalar.
	magic := archsimd.BroadcastFloat32x16(roundMagic)
	n := x.MulAdd(archsimd.BroadcastFloat32x16(log2e), magic).Sub(magic)
	r := n.MulAdd(archsimd.BroadcastFloat32x16(-ln2Hi), x)
	r = n.MulAdd(archsimd.BroadcastFloat32x16(-ln2Lo), r)
	one := archsimd.BroadcastFloat32x16(1)
	p := archsimd.BroadcastFloat32x16(expC7).MulAdd(r, archsimd.BroadcastFloat32x16(expC6))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(expC5))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(expC4))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(expC3))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(expC2))
	p = p.MulAdd(r, one).MulAdd(r, one)
	// 2ⁿ in two halves, as in expScalar.
	ni := n.ConvertToInt32()
	h := ni.ShiftAllRight(1)
	bias := archsimd.BroadcastInt32x16(127)
	s1 := h.Add(bias).ShiftAllLeft(23).AsFloat32x16()
	s2 := ni.Sub(h).Add(bias).ShiftAllLeft(23).AsFloat32x16()
	return p.Mul(s1).Mul(s2)
}
