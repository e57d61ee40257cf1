package diffusion

import (
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// Ideal is the exact denoiser of the finite training set Data under Kernel:
// the posterior mean
//
//	D(x;σ) = Σ_j w_j·y_j,   w_j = softmax_j(Kernel.LogWeight(‖x−y_j‖², N, σ)),
//
// computed with log-sum-exp so exponents as large as (N+D)/2 ~ 10⁶ stay
// finite. A sampler driven by it reproduces training points (memorisation).
type Ideal struct {
	Data   *mat.Dense
	Kernel Kernel
}

var _ Denoiser = Ideal{}

// Denoise implements Denoiser; rows are processed in parallel on GOMAXPROCS
// goroutines (each row is independent, so the result does not depend on it).
func (id Ideal) Denoise(dst, x *mat.Dense, sigma float64) error {
	r, c := x.Dims()
	m, dc := id.Data.Dims()
	if dc != c {
		panic("diffusion: Ideal dimension mismatch")
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lw := make([]float64, m)
			out := make([]float64, c)
			for i := w; i < r; i += workers {
				xi := x.RawRowView(i)
				mx := math.Inf(-1)
				for j := 0; j < m; j++ {
					yj := id.Data.RawRowView(j)
					d2 := 0.0
					for k, v := range xi {
						t := v - yj[k]
						d2 += t * t
					}
					lw[j] = id.Kernel.LogWeight(d2, c, sigma)
					if lw[j] > mx {
						mx = lw[j]
					}
				}
				for k := range out {
					out[k] = 0
				}
				z := 0.0
				for j := 0; j < m; j++ {
					e := math.Exp(lw[j] - mx)
					if e == 0 {
						continue
					}
					z += e
					for k, v := range id.Data.RawRowView(j) {
						out[k] += e * v
					}
				}
				row := dst.RawRowView(i)
				for k := range out {
					row[k] = out[k] / z
				}
			}
		}(w)
	}
	wg.Wait()
	return nil
}
