package gan

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genlab/nn"

	G "gorgonia.org/gorgonia"
)

// The two lazy regularisers of StyleGAN2, with exact gradients (reverse
// over forward mode, see graph.go).
//
// R1 (on D, every R1Every iterations, scaled by R1Every):
//
//	R1(θ) = (γ/2)·mean_i ‖g_i‖²,  g_i = ∇ₓD(x_i; θ) on real images,
//	∇_θ R1 = γ·mean_i (∂g_i/∂θ)ᵀ g_i = γ·mean_i ∇_θ [J_x D(x_i; θ)·v_i] |_{v_i = g_i},
//
// one run of dGraph for g, then one of r1Graph, which carries the tangent
// of D along v and differentiates it with respect to θ. The biases get a
// zero gradient: ∇ₓD does not depend on them (almost everywhere).
//
// Path length (on G, every PLEvery iterations, scaled by PLEvery):
//
//	u_{i,s} = ∇_{w_s}⟨G(w_i), y_i⟩ = J_{w_s}ᵀ y_i,  y ~ N(0, I)/√(H·W),
//	ℓ_i = √(mean_s ‖u_{i,s}‖²),  a' = a + δ·(mean_i ℓ_i − a),
//	PL = mean_i (ℓ_i − a')²,
//
// with s the W+ slots (StyleGAN2 sums over w and averages over the layers'
// codes) and a' carrying its gradient as in the reference code. With
// c_i = ∂(PLWeight·PLEvery·PL)/∂ℓ_i and v_{i,s} = c_i·u_{i,s}/(S·ℓ_i),
//
//	∇_θ loss = ∇_θ Σ_{i,s} ⟨v_{i,s}, u_{i,s}(θ)⟩ = ∇_θ ⟨Σ_s J_{w_s}G·v_s, y⟩,
//
// one run of the genPLGrad graph for u, then one of the genPLTangent graph.
// Both runs share z, the mixing and the noise maps; the mapping network
// gets its gradient through the point w(z) where J is taken.

// r1Graph evaluates, for images x and a direction v (inputs), the tangents
// l̇_i = J_x D(x_i)·v_i and the gradient of Σ_i l̇_i with respect to D's
// weights (its biases are not inputs of that sum).
type r1Graph struct {
	d     *Discriminator
	vm    G.VM
	x, v  *G.Node
	nodes map[int]*G.Node // D.Params() index → node
	sumV  G.Value
}

func newR1Graph(d *Discriminator, batch int) (*r1Graph, error) {
	return newR1GraphOn(newGB32(), d, batch)
}

func newR1GraphOn(b *gb, d *Discriminator, batch int) (*r1Graph, error) {
	r := &r1Graph{d: d, x: b.input("x", batch, 1, d.Res, d.Res), v: b.input("v", batch, 1, d.Res, d.Res),
		nodes: map[int]*G.Node{}}
	_, lt := d.forward(b, r.x, r.v)
	cost := b.sum(lt)
	if b.err != nil {
		return nil, fmt.Errorf("gan: R1 graph: %w", b.err)
	}
	weights := map[*nn.Param]bool{d.Out.W: true}
	for _, c := range d.Convs {
		weights[c.W] = true
	}
	var learn []*G.Node
	for i, p := range d.Params() {
		if weights[p] {
			r.nodes[i] = b.p(p)
			learn = append(learn, r.nodes[i])
		}
	}
	if _, err := G.Grad(cost, learn...); err != nil {
		return nil, fmt.Errorf("gan: R1 gradient: %w", err)
	}
	G.Read(cost, &r.sumV)
	r.vm = G.NewTapeMachine(b.g, G.BindDualValues(learn...))
	return r, nil
}

// run sets x and v and returns Σ_i J_x D(x_i)·v_i and its gradient with
// respect to every D parameter (zeros for the biases).
func (r *r1Graph) run(x []float32, v []float64) (float64, [][]float64, error) {
	setInput(r.x, x)
	setInput(r.v, v)
	defer r.vm.Reset()
	if err := r.vm.RunAll(); err != nil {
		return 0, nil, fmt.Errorf("gan: R1: %w", err)
	}
	grads := zeros(r.d.Params())
	for i, n := range r.nodes {
		g, err := takeGrad(n)
		if err != nil {
			return 0, nil, fmt.Errorf("gan: R1 gradient %d: %w", i, err)
		}
		grads[i] = g
	}
	return scalarOf(r.sumV), grads, nil
}

// r1Grad returns R1 = (γ/2)·mean_i ‖∇ₓD(x_i)‖² on real and the exact
// gradient of scale·R1 with respect to D's parameters.
func r1Grad(dg *dGraph, r *r1Graph, real []float32, gamma, scale float64) (float64, [][]float64, error) {
	bs := dg.batch
	gx := make([]float64, len(real))
	dg.set(real, 0, 1, 1)
	if _, _, err := dg.run(nil, gx); err != nil {
		return 0, nil, err
	}
	var sq float64
	for _, v := range gx {
		sq += v * v
	}
	// ∇_θ scale·(γ/2)·Σ_i‖g_i‖²/B = ∇_θ Σ_i J_x D(x_i)·v_i, v_i = scale·γ·g_i/B.
	c := gamma * scale / float64(bs)
	for i := range gx {
		gx[i] *= c
	}
	_, grads, err := r.run(real, gx)
	return 0.5 * gamma * sq / float64(bs), grads, err
}

// r1Step applies the lazy R1 update (the gradient scaled by R1Every) and
// returns the unscaled penalty.
func (t *GAN) r1Step(real []float32) (float64, error) {
	r1, grads, err := r1Grad(t.dg, t.r1, real, t.Cfg.R1Gamma, float64(t.Cfg.R1Every))
	if err != nil {
		return 0, err
	}
	if !finite(r1) || !finiteAll(grads) {
		return r1, fmt.Errorf("gan: iteration %d: R1 %v: %w", t.Iter, r1, ErrNonFinite)
	}
	if err := t.OptD.Update(to32(grads)); err != nil {
		return r1, fmt.Errorf("gan: iteration %d: R1 update: %w", t.Iter, err)
	}
	return r1, nil
}

// plInputs are the random inputs of one path-length evaluation.
type plInputs struct {
	lat latents
	y   []float64 // batch×Res², N(0, 1)/√(Res²)
}

// drawPL draws the latents (as drawLatents) and then y.
func drawPL(gg *genGraph, mixProb float64, rng *rand.Rand) plInputs {
	in := plInputs{lat: drawLatents(gg, mixProb, rng)}
	r := gg.gen.Cfg.Res()
	in.y = make([]float64, gg.spec.batch*r*r)
	s := 1 / float64(r)
	for i := range in.y {
		in.y[i] = rng.NormFloat64() * s
	}
	return in
}

// plLengths runs the genPLGrad graph and returns u (per slot, batch×WDim)
// and the path lengths ℓ_i = √(mean_s ‖u_{i,s}‖²).
func plLengths(gg *genGraph, in plInputs) (u [][]float64, l []float64, err error) {
	gg.setLatents(in.lat)
	setInput(gg.y, in.y)
	for _, d := range gg.delta {
		setInput(d, make([]float64, d.Shape().TotalSize()))
	}
	out, err := gg.run()
	if err != nil {
		return nil, nil, err
	}
	bs, wd, ns := gg.spec.batch, gg.gen.Cfg.WDim, len(out.u)
	l = make([]float64, bs)
	for i := range l {
		var sq float64
		for _, us := range out.u {
			for _, v := range us[i*wd : (i+1)*wd] {
				sq += v * v
			}
		}
		l[i] = math.Sqrt(sq / float64(ns))
	}
	return out.u, l, nil
}

// plPenalty returns the updated mean a' = a + δ·(mean ℓ − a), the penalty
// mean_i (ℓ_i − a')² and its derivative with respect to each ℓ_i (through
// a' as well: ∂/∂ℓ_k = (2/B)·[(ℓ_k − a') − δ·mean_i(ℓ_i − a')]).
func plPenalty(l []float64, a, decay float64) (aNew, pen float64, dl []float64) {
	bs := float64(len(l))
	var mean float64
	for _, v := range l {
		mean += v / bs
	}
	aNew = a + decay*(mean-a)
	var md float64
	for _, v := range l {
		pen += (v - aNew) * (v - aNew) / bs
		md += (v - aNew) / bs
	}
	dl = make([]float64, len(l))
	for k, v := range l {
		dl[k] = 2 / bs * ((v - aNew) - decay*md)
	}
	return aNew, pen, dl
}

// plGrad returns the new running mean, the penalty PL and the exact
// gradient of scale·PL with respect to G's parameters, for the inputs in,
// running mean a and decay δ.
func plGrad(pg, pt *genGraph, in plInputs, a, decay, scale float64) (aNew, pen float64, grads [][]float64, err error) {
	u, l, err := plLengths(pg, in)
	if err != nil {
		return 0, 0, nil, err
	}
	aNew, pen, dl := plPenalty(l, a, decay)
	wd, ns := pg.gen.Cfg.WDim, float64(len(u))
	for s, us := range u {
		v := make([]float64, len(us))
		for i, li := range l {
			if li == 0 {
				continue
			}
			c := scale * dl[i] / (ns * li)
			for j := i * wd; j < (i+1)*wd; j++ {
				v[j] = c * us[j]
			}
		}
		setInput(pt.tan[s], v)
	}
	pt.setLatents(in.lat)
	setInput(pt.y, in.y)
	out, err := pt.run()
	if err != nil {
		return 0, 0, nil, err
	}
	return aNew, pen, out.grads, nil
}

// plStep applies the lazy path-length update (weight × PLEvery) and
// returns the penalty.
func (t *GAN) plStep(rng *rand.Rand) (float64, error) {
	in := drawPL(t.plGrad, t.Cfg.MixProb, rng)
	scale := t.Cfg.PLWeight * float64(t.Cfg.PLEvery)
	a, pen, grads, err := plGrad(t.plGrad, t.plTan, in, t.PLMean, t.Cfg.PLDecay, scale)
	if err != nil {
		return 0, err
	}
	if !finite(pen) || !finiteAll(grads) {
		return pen, fmt.Errorf("gan: iteration %d: path length penalty %v: %w", t.Iter, pen, ErrNonFinite)
	}
	t.PLMean = a
	if err := t.OptG.Update(to32(grads)); err != nil {
		return pen, fmt.Errorf("gan: iteration %d: path length update: %w", t.Iter, err)
	}
	return pen, nil
}
