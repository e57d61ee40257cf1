package internal

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress receives a long loop's progress; library code takes it as a
// callback and never prints itself.
type Progress interface {
	Add(n int) // n more units done
	Finish()   // the loop ended (idempotent)
}

// NoProgress discards progress.
var NoProgress Progress = nopProgress{}

type nopProgress struct{}

func (nopProgress) Add(int) {}
func (nopProgress) Finish() {}

// PlainInterval is how often the non-TTY progress reporter writes a line.
const PlainInterval = 10 * time.Second

// NewProgress reports progress of max units (max ≤ 0: unknown) on w. When w
// is a terminal and the CI environment variable is unset it draws a
// progressbar/v3 bar; otherwise (logs, pipes, CI) it writes a plain line at
// most every PlainInterval, plus one at Finish. Pass stderr: stdout is for
// results only.
func NewProgress(w io.Writer, max int, desc string) Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv("CI") == "" {
		bar := progressbar.NewOptions(max,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
		return &barProgress{bar: bar}
	}
	return newPlainProgress(w, max, desc, PlainInterval, time.Now)
}

type barProgress struct {
	once sync.Once
	bar  *progressbar.ProgressBar
}

func (b *barProgress) Add(n int) { _ = b.bar.Add(n) }
func (b *barProgress) Finish()   { b.once.Do(func() { _ = b.bar.Finish() }) }

// plainProgress writes "desc: n/max (p%), 12s elapsed, ~30s left" lines.
type plainProgress struct {
	mu       sync.Mutex
	w        io.Writer
	max      int
	desc     string
	every    time.Duration
	now      func() time.Time
	n        int
	start    time.Time
	last     time.Time
	finished bool
}

func newPlainProgress(w io.Writer, max int, desc string, every time.Duration, now func() time.Time) *plainProgress {
	t := now()
	return &plainProgress{w: w, max: max, desc: desc, every: every, now: now, start: t, last: t}
}

func (p *plainProgress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += n
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
	p.line(p.now(), true)
}

func (p *plainProgress) line(t time.Time, done bool) {
	el := t.Sub(p.start)
	verb := ""
	if done {
		verb = " done"
	}
	if p.max <= 0 {
		fmt.Fprintf(p.w, "%s:%s %d, %s elapsed\n", p.desc, verb, p.n, el.Round(time.Second))
		return
	}
	frac := float64(p.n) / float64(p.max)
	s := fmt.Sprintf("%s:%s %d/%d (%.0f%%), %s elapsed", p.desc, verb, p.n, p.max, 100*frac, el.Round(time.Second))
	if !done && p.n > 0 && p.n < p.max {
		left := time.Duration(float64(el) * (1 - frac) / frac)
		s += fmt.Sprintf(", ~%s left", left.Round(time.Second))
	}
	fmt.Fprintln(p.w, s)
}
