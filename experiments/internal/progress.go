package internal

import (
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress receives a long task's progress; library code takes it as a
// callback and never prints itself. A task counts its units (training
// steps, iterations, pairs), names the phase it is in and passes on its
// training loss; the reporter shows the count, the phase and an
// exponentially smoothed loss.
type Progress interface {
	Add(n int)         // n more units done
	Set(n int)         // n units done in all; the first Set of a resumed loop (n = resume step + 1) starts the count there
	Phase(name string) // what runs now: "train", "sample NFE 35", "evaluate"
	Loss(v float64)    // the latest training loss (non-finite values are ignored)
	Finish()           // the task ended (idempotent)
}

// NoProgress discards progress.
var NoProgress Progress = nopProgress{}

type nopProgress struct{}

func (nopProgress) Add(int)      {}
func (nopProgress) Set(int)      {}
func (nopProgress) Phase(string) {}
func (nopProgress) Loss(float64) {}
func (nopProgress) Finish()      {}

// PlainInterval is how often the non-TTY progress reporter writes a line.
const PlainInterval = 10 * time.Second

// LossSmoothing is the weight of the newest loss in the reported EMA.
const LossSmoothing = 0.05

// TrainStep returns the per-step callback of a training loop
// (diffusion.TrainConfig.Progress and friends) feeding p: the count becomes
// the step, so a resumed run continues from its checkpoint's step and ends
// at 100%, and the loss goes into the smoothed loss.
func TrainStep(p Progress) func(step int, loss float64) {
	return func(step int, loss float64) {
		p.Set(step)
		p.Loss(loss)
	}
}

// NewProgress reports progress of max units (max ≤ 0: unknown) on w, in
// phase "train" until told otherwise. When w is a terminal and the CI
// environment variable is unset it draws a progressbar/v3 bar; otherwise
// (logs, pipes, CI) it writes a plain line at most every PlainInterval,
// also while the count stands still (a long evaluation), plus one at
// Finish. Pass stderr: stdout is for results only. Call Finish.
func NewProgress(w io.Writer, max int, desc string) Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv("CI") == "" {
		bar := progressbar.NewOptions(max,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(desc+" [train]"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
		return &barProgress{bar: bar, state: state{desc: desc, phase: "train"}}
	}
	p := newPlainProgress(w, max, desc, PlainInterval, time.Now)
	p.stop = make(chan struct{})
	go p.tickEvery(PlainInterval)
	return p
}

// state is what both reporters show: description, phase and smoothed loss.
type state struct {
	desc, phase string
	ema, weight float64 // bias-corrected EMA: ema/weight
}

func (s *state) loss(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	s.ema = (1-LossSmoothing)*s.ema + LossSmoothing*v
	s.weight = (1-LossSmoothing)*s.weight + LossSmoothing
}

// head is "desc [phase]" followed by ", loss 0.123" when a loss was seen.
func (s *state) head() string {
	h := s.desc
	if s.phase != "" {
		h += " [" + s.phase + "]"
	}
	return h
}

func (s *state) lossText() string {
	if s.weight == 0 {
		return ""
	}
	return fmt.Sprintf(", loss %.4g", s.ema/s.weight)
}

type barProgress struct {
	mu       sync.Mutex
	once     sync.Once
	bar      *progressbar.ProgressBar
	state    state
	lastDesc time.Time
}

func (b *barProgress) Add(n int) { _ = b.bar.Add(n) }
func (b *barProgress) Set(n int) { _ = b.bar.Set(n) }
func (b *barProgress) Phase(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state.phase = name
	b.describe(true)
}
func (b *barProgress) Loss(v float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state.loss(v)
	b.describe(false)
}

// describe updates the bar's description, at most every 200 ms unless now.
func (b *barProgress) describe(now bool) {
	if t := time.Now(); now || t.Sub(b.lastDesc) >= 200*time.Millisecond {
		b.lastDesc = t
		b.bar.Describe(b.state.head() + b.state.lossText())
	}
}
func (b *barProgress) Finish() { b.once.Do(func() { _ = b.bar.Finish() }) }

// plainProgress writes "desc [phase]: n/max (p%), loss 0.12, 12s elapsed,
// ~30s left" lines. The time left is extrapolated from the units done in
// this process (not those done before a resume).
type plainProgress struct {
	mu       sync.Mutex
	w        io.Writer
	max      int
	every    time.Duration
	now      func() time.Time
	state    state
	n        int
	base     int  // units done before this process started (a resume)
	counted  bool // Add or Set seen: base is fixed
	start    time.Time
	last     time.Time
	finished bool
	stop     chan struct{} // closed by Finish; nil when no ticker runs
}

func newPlainProgress(w io.Writer, max int, desc string, every time.Duration, now func() time.Time) *plainProgress {
	t := now()
	return &plainProgress{w: w, max: max, every: every, now: now, start: t, last: t,
		state: state{desc: desc, phase: "train"}}
}

// tickEvery writes a due line every d until Finish, so a phase that does
// not count (sampling, evaluation) still shows it is alive.
func (p *plainProgress) tickEvery(d time.Duration) {
	tk := time.NewTicker(d)
	defer tk.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tk.C:
			p.tick()
		}
	}
}

// tick writes a line if one is due.
func (p *plainProgress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.maybeLine()
}

func (p *plainProgress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counted = true
	p.n += n
	p.maybeLine()
}

func (p *plainProgress) Set(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.counted {
		p.counted = true
		p.base = max(n-1, 0) // the first Set follows the first unit of this process
	}
	p.n = n
	p.maybeLine()
}

func (p *plainProgress) Phase(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state.phase = name
	p.maybeLine()
}

func (p *plainProgress) Loss(v float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state.loss(v)
}

func (p *plainProgress) maybeLine() {
	if t := p.now(); !p.finished && t.Sub(p.last) >= p.every {
		p.last = t
		p.line(t, false)
	}
}

func (p *plainProgress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	if p.stop != nil {
		close(p.stop)
	}
	p.line(p.now(), true)
}

func (p *plainProgress) line(t time.Time, done bool) {
	el := t.Sub(p.start)
	head := p.state.head()
	if done {
		head = p.state.desc + ": done"
	} else {
		head += ":"
	}
	loss := p.state.lossText()
	if p.max <= 0 {
		fmt.Fprintf(p.w, "%s %d%s, %s elapsed\n", head, p.n, loss, el.Round(time.Second))
		return
	}
	frac := float64(p.n) / float64(p.max)
	s := fmt.Sprintf("%s %d/%d (%.0f%%)%s, %s elapsed", head, p.n, p.max, 100*frac, loss, el.Round(time.Second))
	if own := p.n - p.base; !done && own > 0 && p.n < p.max {
		left := time.Duration(float64(el) * float64(p.max-p.n) / float64(own))
		s += fmt.Sprintf(", ~%s left", left.Round(time.Second))
	}
	fmt.Fprintln(p.w, s)
}
