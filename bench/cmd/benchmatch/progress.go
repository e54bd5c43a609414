package main

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// progress prints a line every few seconds during a long phase: how far,
// how fast, how long to go.
type progress struct {
	out   io.Writer
	what  string
	start time.Time
	last  time.Time
}

func newProgress(out io.Writer) *progress { return &progress{out: out} }

func (p *progress) tick(what string, done, total int) {
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

func errorsJoin(a, b error) error { return errors.Join(a, b) }
