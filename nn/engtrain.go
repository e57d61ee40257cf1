package nn

import (
	"fmt"
	"math"

	"genlab/nn/kern"
)

// runEngine is Trainer.run on the engine. Each shard of the batch runs
// forward, the loss L = (1/B)·Σ_i w_i·Σ_j (F_ij − target_ij)² of its rows
// and its gradient ∂L/∂F_ij = (2/B)·w_i·(F_ij − target_ij), and backward
// into its own gradient slots; the slots are then added in shard order.
func (t *Trainer) runEngine(x, c, target, weight []float32) (loss float64, out []float32, grads [][]float32, sq float64, err error) {
	t.cur = stepArgs{x, c, target, weight}
	t.eng.w.run(len(t.eng.parts), t.shardStepF)
	t.cur = stepArgs{}
	for _, l := range t.lossParts {
		loss += l
	}
	loss /= float64(t.batch)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, t.out, nil, 0, fmt.Errorf("nn: Trainer.Step %d: loss %v: %w", t.opt.Steps()+1, loss, ErrNonFinite)
	}
	grads = t.grads
	for i, g := range grads {
		if g == nil {
			continue
		}
		for _, gs := range t.gs[1:] {
			kern.Axpy(1, gs[i], g)
		}
		sq += kern.SumSq(g)
	}
	if math.IsNaN(sq) || math.IsInf(sq, 0) {
		return loss, t.out, nil, sq, fmt.Errorf("nn: Trainer.Step %d: gradient norm² %v: %w", t.opt.Steps()+1, sq, ErrNonFinite)
	}
	return loss, t.out, grads, sq, nil
}

// shardStep runs shard s of the current step on worker w's net.
func (t *Trainer) shardStep(w, s int) {
	lo, hi := t.eng.parts[s][0], t.eng.parts[s][1]
	n, in, o := hi-lo, t.m.In(), t.m.Out()
	a := t.cur
	nt := t.eng.nets[w]
	out, dout := t.out[lo*o:hi*o], t.dout[lo*o:hi*o]
	nt.forward(out, a.x[lo*in:hi*in], a.c[lo:hi], n, true)
	scale := 2 / float64(t.batch)
	var l float64
	for i := 0; i < n; i++ {
		wi := float64(a.weight[lo+i])
		f, tg, d := out[i*o:(i+1)*o], a.target[(lo+i)*o:(lo+i+1)*o], dout[i*o:(i+1)*o]
		var r float64
		for j, v := range f {
			e := v - tg[j]
			d[j] = e
			r += float64(e) * float64(e)
		}
		l += wi * r
		kern.Scale(float32(scale*wi), d)
	}
	t.lossParts[s] = l
	nt.backward(t.gs[s], dout, n)
}
