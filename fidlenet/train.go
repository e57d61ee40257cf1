package fidlenet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"genlab/data"
)

// ErrNonFinite reports a NaN or ±Inf training loss or gradient.
var ErrNonFinite = errors.New("fidlenet: non-finite loss or gradient")

// TrainConfig configures Train. The shipped weights were made with
// DefaultTrainConfig and seed 0 (see cmd/trainlenet).
type TrainConfig struct {
	Epochs int     `json:"epochs"`
	Batch  int     `json:"batch"`
	LR     float64 `json:"lr"` // peak Adam learning rate (β = 0.9, 0.999, ε = 1e-8)
	// WeightDecay is the decoupled (AdamW) decay rate per unit learning rate.
	WeightDecay float64 `json:"weight_decay"`
}

// DefaultTrainConfig: 5 epochs of batch 64, Adam with peak learning rate
// 2e-3 on a cosine schedule, weight decay 1e-4.
var DefaultTrainConfig = TrainConfig{Epochs: 5, Batch: 64, LR: 2e-3, WeightDecay: 1e-4}

// LRAt returns the learning rate of update t = 1…T (T = total updates): a
// cosine decay from LR to 0, lr_t = LR·½(1 + cos(π(t−1)/T)).
func (c TrainConfig) LRAt(t, total int) float64 {
	return c.LR * 0.5 * (1 + math.Cos(math.Pi*float64(t-1)/float64(total)))
}

// Trainer holds the compiled training graph of a Net at a fixed batch size
// and its Adam state. The loss of a batch with one-hot labels y is the mean
// softmax cross-entropy
//
//	L = −(1/B) Σ_i Σ_k y_ik · log softmax(z_i)_k,
//
// z_i the logits of image i.
type Trainer struct {
	net    *Net
	gr     *graph
	yd     []float32 // one-hot labels, batch×10
	vm     G.VM
	lossV  G.Value
	am, av [][]float32
	step   int
	batch  int
}

// NewTrainer compiles the forward and backward graph of n at the given
// batch size.
func NewTrainer(n *Net, batch int) (*Trainer, error) {
	if batch < 1 {
		return nil, fmt.Errorf("fidlenet: NewTrainer: batch %d < 1", batch)
	}
	gr, err := n.build(batch, true)
	if err != nil {
		return nil, err
	}
	t := &Trainer{net: n, gr: gr, yd: make([]float32, batch*Classes), batch: batch}
	y := G.NewMatrix(gr.g, tensor.Float32, G.WithShape(batch, Classes), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(batch, Classes), tensor.WithBacking(t.yd))))
	wrap := func(what string, err error) error { return fmt.Errorf("fidlenet: NewTrainer: %s: %w", what, err) }
	logp, err := G.LogSoftMax(gr.logits, 1)
	if err != nil {
		return nil, wrap("log-softmax", err)
	}
	prod, err := G.HadamardProd(y, logp)
	if err != nil {
		return nil, wrap("y·log p", err)
	}
	sum, err := G.Sum(prod)
	if err != nil {
		return nil, wrap("sum", err)
	}
	loss, err := G.Mul(sum, G.NewConstant(float32(-1/float64(batch))))
	if err != nil {
		return nil, wrap("scale", err)
	}
	if _, err := G.Grad(loss, gr.nodes...); err != nil {
		return nil, wrap("gradient", err)
	}
	G.Read(loss, &t.lossV)
	t.vm = G.NewTapeMachine(gr.g, G.BindDualValues(gr.nodes...))
	for _, p := range n.params() {
		t.am = append(t.am, make([]float32, len(p.Data())))
		t.av = append(t.av, make([]float32, len(p.Data())))
	}
	return t, nil
}

// Close releases the compiled machine.
func (t *Trainer) Close() { t.vm.Close() }

// setBatch loads images idx of im (28×28) as inputs in [−1, 1] and their
// one-hot labels.
func (t *Trainer) setBatch(im *data.Images, idx []int) {
	if len(idx) != t.batch {
		panic(fmt.Sprintf("fidlenet: batch of %d indices, trainer batch %d", len(idx), t.batch))
	}
	clear(t.yd)
	for k, i := range idx {
		dst := t.gr.xd[k*Side*Side : (k+1)*Side*Side]
		for j, p := range im.Image(i) {
			dst[j] = float32(data.PixelToUnit(p))
		}
		t.yd[k*Classes+int(im.Labels[i])] = 1
	}
}

// Gradients returns the loss of the batch idx of im and copies of the
// gradients of every parameter (in params() order) without updating them.
func (t *Trainer) Gradients(im *data.Images, idx []int) (float64, [][]float32, error) {
	t.setBatch(im, idx)
	defer t.zeroGrads()
	defer t.vm.Reset()
	if err := t.vm.RunAll(); err != nil {
		return 0, nil, fmt.Errorf("fidlenet: forward/backward: %w", err)
	}
	loss := float64(t.lossV.Data().(float32))
	gs := make([][]float32, len(t.gr.nodes))
	for i, nd := range t.gr.nodes {
		gv, err := nd.Grad()
		if err != nil {
			return loss, nil, fmt.Errorf("fidlenet: gradient %d: %w", i, err)
		}
		gs[i] = append([]float32(nil), gv.Data().([]float32)...)
	}
	return loss, gs, nil
}

// Step runs one AdamW update on the batch idx of im with learning rate lr
// and decoupled weight decay wd (θ ← θ − lr·(m̂/(√v̂+ε) + wd·θ), biases not
// decayed) and returns the batch loss before the update.
func (t *Trainer) Step(im *data.Images, idx []int, lr, wd float64) (float64, error) {
	loss, gs, err := t.Gradients(im, idx)
	if err != nil {
		return loss, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("fidlenet: step %d: loss %v: %w", t.step+1, loss, ErrNonFinite)
	}
	t.step++
	const b1, b2, eps = 0.9, 0.999, 1e-8
	bc1 := 1 - math.Pow(b1, float64(t.step))
	bc2 := 1 - math.Pow(b2, float64(t.step))
	for i, p := range t.net.params() {
		decay := wd
		if strings.HasSuffix(p.Name, ".b") {
			decay = 0
		}
		m, v, w := t.am[i], t.av[i], p.Data()
		for j, g := range gs[i] {
			gg := float64(g)
			if math.IsNaN(gg) || math.IsInf(gg, 0) {
				return loss, fmt.Errorf("fidlenet: step %d: gradient of %s: %w", t.step, p.Name, ErrNonFinite)
			}
			mj := b1*float64(m[j]) + (1-b1)*gg
			vj := b2*float64(v[j]) + (1-b2)*gg*gg
			m[j], v[j] = float32(mj), float32(vj)
			th := float64(w[j])
			th -= lr * ((mj/bc1)/(math.Sqrt(vj/bc2)+eps) + decay*th)
			w[j] = float32(th)
		}
	}
	return loss, nil
}

func (t *Trainer) zeroGrads() {
	for _, nd := range t.gr.nodes {
		if gv, err := nd.Grad(); err == nil {
			if tt, ok := gv.(tensor.Tensor); ok {
				tt.Zero()
			}
		}
	}
}

// Progress receives the epoch (from 1), the update count and the mean
// training loss since the previous call. It may be nil.
type Progress func(epoch, step int, meanLoss float64)

// Train fits n to the labelled 28×28 images im with cfg, drawing the
// per-epoch shuffles from rng (data.Batches). It calls progress every 100
// updates and at the end of each epoch, and checks ctx between updates.
func Train(ctx context.Context, n *Net, im *data.Images, cfg TrainConfig, rng *rand.Rand, progress Progress) error {
	if im.H != Side || im.W != Side || len(im.Labels) != im.N {
		return fmt.Errorf("fidlenet: Train: need labelled %d×%d images, have %d×%d with %d labels", Side, Side, im.H, im.W, len(im.Labels))
	}
	if cfg.Epochs < 1 || cfg.Batch < 1 || cfg.Batch > im.N || !(cfg.LR > 0) || cfg.WeightDecay < 0 {
		return fmt.Errorf("fidlenet: Train: invalid config %+v for %d images", cfg, im.N)
	}
	t, err := NewTrainer(n, cfg.Batch)
	if err != nil {
		return err
	}
	defer t.Close()
	total := cfg.Epochs * (im.N / cfg.Batch)
	for ep := 1; ep <= cfg.Epochs; ep++ {
		var sum float64
		var cnt int
		for _, idx := range data.Batches(im.N, cfg.Batch, rng) {
			if err := ctx.Err(); err != nil {
				return err
			}
			loss, err := t.Step(im, idx, cfg.LRAt(t.step+1, total), cfg.WeightDecay)
			if err != nil {
				return err
			}
			sum += loss
			cnt++
			if progress != nil && t.step%100 == 0 {
				progress(ep, t.step, sum/float64(cnt))
				sum, cnt = 0, 0
			}
		}
		if progress != nil && cnt > 0 {
			progress(ep, t.step, sum/float64(cnt))
		}
	}
	return nil
}
