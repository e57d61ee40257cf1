package nn

import (
	"fmt"
	"runtime"
	"sync"
)

// The engine: a fused, allocation-free forward and backward pass for the
// models nn ships (UNet, MLP), used by Trainer and Predictor in place of a
// gorgonia TapeMachine. gorgonia stays the autodiff layer for every graph a
// caller builds (Model.Forward, Binder, GAN losses, gradient penalties) and is
// the reference the engine is tested against; what the engine replaces is the
// op-by-op execution of the two hot models, where the TapeMachine allocates
// every intermediate each run, sums fan-out gradients with generic ops, and
// cannot fuse neighbouring ops (GroupNorm → SiLU, bias → embedding add →
// residual scale) or write a skip connection straight into its
// concatenation.
//
// Parallelism is over shards of the batch. A batch of B samples is split
// into S contiguous shards (S depends only on B and the model, never on the
// thread count); each worker goroutine owns one network instance (its
// activation and scratch buffers, sized for the largest shard) and runs
// whole shards through it: forward, loss gradient and backward. Every
// per-sample quantity (GroupNorm statistics included) lives inside one
// shard, so the shards are independent; the per-shard weight gradients are
// added in shard order. Results are therefore bit-identical for any number
// of threads, and no layer needs a lock.

// engineModel is a Model with a native implementation.
type engineModel interface {
	Model
	// newNet returns a network instance for shards of at most capacity
	// samples, bound to the model's Params.
	newNet(capacity int) net
	// shardTarget is the preferred number of samples per shard.
	shardTarget() int
}

// net is one worker's instance of a model. Buffers are owned by the net
// and reused; nothing is allocated after construction.
type net interface {
	// forward sets out (n×Out, row-major) to F(x; c) for n ≤ capacity
	// samples x (n×In) and c (n). With train, it keeps what backward needs.
	forward(out, x, c []float32, n int, train bool)
	// backward sets g (one slice per Param in Params() order; nil for
	// frozen ones) to the gradient of Σ_ij dout_ij·F_ij for the n samples of
	// the last training forward.
	backward(g [][]float32, dout []float32, n int)
}

// shards splits b samples into contiguous shards of about target samples.
// The count is rounded up to an even number (both cores of a 2-core machine
// busy) but never exceeds b; sizes differ by at most one.
func shards(b, target int) [][2]int {
	s := max(1, (b+target-1)/target)
	if s > 1 && s%2 == 1 {
		s++
	}
	s = min(s, b)
	out := make([][2]int, s)
	for i := range out {
		out[i] = [2]int{b * i / s, b * (i + 1) / s}
	}
	return out
}

// workers is a fixed set of goroutines, one per thread, that run indexed
// items of a job; each item is run by exactly one worker and the worker's
// index selects its own buffers. Idle workers block on a channel.
type workers struct {
	n     int
	jobs  []chan struct{}
	wg    sync.WaitGroup
	fn    func(worker, item int)
	items int
	next  int
	mu    sync.Mutex
	once  sync.Once
}

// newWorkers starts n−1 goroutines (the caller is worker 0).
func newWorkers(n int) *workers {
	w := &workers{n: max(n, 1)}
	w.jobs = make([]chan struct{}, w.n)
	for i := 1; i < w.n; i++ {
		w.jobs[i] = make(chan struct{})
		go w.loop(i)
	}
	return w
}

func (w *workers) loop(id int) {
	for range w.jobs[id] {
		w.drain(id)
		w.wg.Done()
	}
}

func (w *workers) take() int {
	w.mu.Lock()
	i := w.next
	w.next++
	w.mu.Unlock()
	return i
}

func (w *workers) drain(id int) {
	for i := w.take(); i < w.items; i = w.take() {
		w.fn(id, i)
	}
}

// run calls fn(worker, item) for item = 0…items−1 and returns when all are
// done. fn must not call run.
func (w *workers) run(items int, fn func(worker, item int)) {
	if w.n == 1 || items == 1 {
		for i := 0; i < items; i++ {
			fn(0, i)
		}
		return
	}
	w.fn, w.items, w.next = fn, items, 0
	helpers := min(w.n, items) - 1
	w.wg.Add(helpers)
	for i := 1; i <= helpers; i++ {
		w.jobs[i] <- struct{}{}
	}
	w.drain(0)
	w.wg.Wait()
	w.fn = nil
}

// close stops the goroutines.
func (w *workers) close() {
	w.once.Do(func() {
		for _, c := range w.jobs[1:] {
			close(c)
		}
	})
}

// threads is the number of worker goroutines an engine uses: GOMAXPROCS at
// construction (the experiments' -threads flag sets it).
func threads() int { return runtime.GOMAXPROCS(0) }

// engine runs a model's nets over the shards of fixed-size batches.
type engine struct {
	m      engineModel
	batch  int
	parts  [][2]int
	nets   []net
	w      *workers
	params []*Param
}

func newEngine(m engineModel, batch int) (*engine, error) {
	if batch < 1 {
		return nil, fmt.Errorf("nn: batch size %d < 1", batch)
	}
	e := &engine{m: m, batch: batch, parts: shards(batch, m.shardTarget()), params: m.Params()}
	capacity := 0
	for _, p := range e.parts {
		capacity = max(capacity, p[1]-p[0])
	}
	t := min(threads(), len(e.parts))
	e.nets = make([]net, t)
	for i := range e.nets {
		e.nets[i] = m.newNet(capacity)
	}
	e.w = newWorkers(t)
	return e, nil
}

// closeWhenUnreachable stops e's goroutines once owner (the Trainer or
// Predictor holding e) is garbage, for callers that forget Close. The
// goroutines hold no reference to the owner between calls.
func closeWhenUnreachable[T any](owner *T, e *engine) {
	runtime.AddCleanup(owner, func(w *workers) { w.close() }, e.w)
}

// gradSlots allocates one gradient slice per Param. A net writes the
// gradient of every parameter its layers use, frozen ones included (the
// Trainer then ignores those), so that freezing a layer needs no special
// case in the layers.
func gradSlots(params []*Param) [][]float32 {
	g := make([][]float32, len(params))
	for i, p := range params {
		g[i] = make([]float32, p.Len())
	}
	return g
}

func (e *engine) close() { e.w.close() }
