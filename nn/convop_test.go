package nn

import (
	"math"
	"runtime"
	"testing"
)

// TestIm2colAgainstDefinition checks im2col element by element against its
// definition, for one image and for a CNHW batch, and col2im as its
// adjoint, ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩, on odd geometries (1-pixel images, odd sizes, stride 2, 1×1 and 5×5 kernels).
func TestIm2colAgainstDefinition(t *testing.T) {
	rng := newRand(47)
	for _, tc := range []struct{ cin, h, w, k, stride int }{
		{1, 1, 1, 3, 1}, {2, 1, 5, 3, 2}, {3, 5, 4, 3, 1}, {2, 7, 6, 3, 2}, {1, 6, 6, 5, 2}, {2, 3, 3, 1, 2}, {1, 4, 9, 5, 1},
	} {
		for _, n := range []int{1, 3} { // one CHW image, and three in CNHW
			g := newConvShape(tc.cin, 1, tc.k, tc.stride, tc.h, tc.w)
			K, P := g.kk(), g.p()
			x := randSlice(g.cin*n*g.h*g.w, 1, rng)
			col := randSlice(K*n*P, 1, rng) // garbage that im2col must overwrite
			g.im2col(col, x, n)
			for c := 0; c < g.cin; c++ {
				for u := 0; u < g.k; u++ {
					for v := 0; v < g.k; v++ {
						for m := 0; m < n; m++ {
							for i := 0; i < g.ho; i++ {
								for j := 0; j < g.wo; j++ {
									yy, xx := g.stride*i+u-g.pad, g.stride*j+v-g.pad
									var want float32
									if yy >= 0 && yy < g.h && xx >= 0 && xx < g.w {
										want = x[((c*n+m)*g.h+yy)*g.w+xx]
									}
									if got := col[((c*g.k+u)*g.k+v)*n*P+m*P+i*g.wo+j]; got != want {
										t.Fatalf("%+v n=%d: col[(%d,%d,%d),(%d,%d,%d)] = %v, want %v", tc, n, c, u, v, m, i, j, got, want)
									}
								}
							}
						}
					}
				}
			}
			y := randSlice(K*n*P, 1, rng)
			dx := make([]float32, len(x))
			g.col2im(dx, y, n)
			var a, b float64
			for i := range col {
				a += float64(col[i]) * float64(y[i])
			}
			for i := range x {
				b += float64(x[i]) * float64(dx[i])
			}
			if math.Abs(a-b) > 1e-4*(1+math.Abs(a)) {
				t.Fatalf("%+v n=%d: ⟨im2col x, y⟩ = %v, ⟨x, col2im y⟩ = %v", tc, n, a, b)
			}
		}
	}
}

// TestConvGradientsIndependentOfGOMAXPROCS checks that the convolution's
// gradients are bit-identical with 1 and 2 workers (fixed reduction order).
func TestConvGradientsIndependentOfGOMAXPROCS(t *testing.T) {
	u := tinyUNet(t, 8)
	rng := newRand(9)
	randomizeParams(u, 0.4, rng)
	const n = 9
	x, c, target := randSlice(n*16, 1, rng), randSlice(n, 1, rng), randSlice(n*16, 1, rng)
	var grads [2][][]float32
	for i, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		tr, err := NewTrainer(u, n, AdamConfig{})
		if err != nil {
			t.Fatal(err)
		}
		_, grads[i], err = tr.Gradients(x, c, target, ones(n))
		tr.Close()
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
	}
	for p := range grads[0] {
		for j := range grads[0][p] {
			if math.Float32bits(grads[0][p][j]) != math.Float32bits(grads[1][p][j]) {
				t.Fatalf("param %d[%d]: %v with 1 worker, %v with 2", p, j, grads[0][p][j], grads[1][p][j])
			}
		}
	}
}
