// Package progress prints a line every few seconds during a long phase of a
// benchmark: how far, how fast, how long to go.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Meter follows one phase at a time; it is safe for concurrent use.
type Meter struct {
	out   io.Writer
	mu    sync.Mutex
	what  string
	start time.Time
	last  time.Time
}

// New returns a Meter writing to out.
func New(out io.Writer) *Meter { return &Meter{out: out} }

// Tick reports that done of total are done in the phase named what; a new
// name starts a new phase.
func (p *Meter) Tick(what string, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if what != p.what {
		p.what, p.start, p.last = what, now, now
	}
	if now.Sub(p.last) < 3*time.Second && done != total {
		return
	}
	p.last = now
	rate := float64(done) / max(now.Sub(p.start).Seconds(), 1e-9)
	eta := time.Duration(float64(total-done) / max(rate, 1e-9) * float64(time.Second))
	fmt.Fprintf(p.out, "%-36s %9d of %d  %10.0f/s  %s left\n", what, done, total, rate, eta.Round(time.Second))
}
