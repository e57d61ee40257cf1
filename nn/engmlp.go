package nn

import "genlab/nn/kern"

// mlpNet is one worker's engine instance of an MLP (see MLP for the maths):
// h₀ = [x, Fourier(c)], p_l = h_{l−1}W_l + b_l, h_l = SiLU(p_l), F = h_L W + b.
type mlpNet struct {
	in, f  int
	freqs  []float32
	layers []*edense
	h, p   [][]float32 // h[0…L] (h[0] the input), p[1…L] pre-activations
	fe     []float32
	da, db []float32
}

func (m *MLP) shardTarget() int { return 128 }

func (m *MLP) newNet(capacity int) net {
	idx := paramIndex(m.Params())
	q := &mlpNet{in: m.cfg.In, f: m.cfg.Fourier}
	if m.freqs != nil {
		q.freqs = m.freqs.Data()
		q.fe = make([]float32, capacity*2*q.f)
	}
	widest := 0
	for l := range m.ws {
		d := newEdense(m.ws[l], m.bs[l], idx)
		q.layers = append(q.layers, d)
		widest = max(widest, d.in, d.out)
	}
	L := len(q.layers) - 1
	q.h = make([][]float32, L+1)
	q.p = make([][]float32, L+1)
	q.h[0] = make([]float32, capacity*q.layers[0].in)
	for l := 1; l <= L; l++ {
		q.h[l] = make([]float32, capacity*q.layers[l].in)
		q.p[l] = make([]float32, capacity*q.layers[l].in)
	}
	q.da, q.db = make([]float32, capacity*widest), make([]float32, capacity*widest)
	return q
}

func (q *mlpNet) forward(out, x, c []float32, n int, _ bool) {
	h0 := q.h[0]
	w0 := q.layers[0].in
	if q.freqs == nil {
		copy(h0, x[:n*q.in])
	} else {
		fourierTo(q.fe, c, q.freqs, n)
		for i := 0; i < n; i++ {
			copy(h0[i*w0:], x[i*q.in:(i+1)*q.in])
			copy(h0[i*w0+q.in:(i+1)*w0], q.fe[i*2*q.f:(i+1)*2*q.f])
		}
	}
	L := len(q.layers) - 1
	for l := 1; l <= L; l++ {
		q.layers[l-1].forward(q.p[l], q.h[l-1], n)
		k := n * q.layers[l].in
		kern.SiLU(q.h[l][:k], q.p[l][:k])
	}
	q.layers[L].forward(out, q.h[L], n)
}

func (q *mlpNet) backward(g [][]float32, dout []float32, n int) {
	L := len(q.layers) - 1
	a, b := q.da, q.db
	q.layers[L].backward(g, a, dout, q.h[L], n, false) // a = ∂h_L
	for l := L; l >= 1; l-- {
		k := n * q.layers[l].in
		kern.SiLUGrad(a[:k], q.p[l][:k], a[:k]) // a = ∂p_l
		var dprev []float32
		if l > 1 {
			dprev = b
		}
		q.layers[l-1].backward(g, dprev, a, q.h[l-1], n, false) // b = ∂h_{l−1}
		a, b = b, a
	}
}
