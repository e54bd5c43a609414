// Package endpoints keeps one slow or failing endpoint from holding anyone
// else's alerts. Each endpoint (a webhook host, the SMTP relay, the live
// stream) gets a bound on the deliveries in flight to it and a circuit
// breaker: after Threshold failures in a row the circuit opens and
// deliveries to that endpoint wait, without being tried, for a cool-down
// that doubles each time a trial fails, up to MaxCooldown. The state is per
// replica and in memory: it protects this process's workers, and a restart
// starts every circuit closed.
package endpoints

import (
	"sync"
	"time"
)

// Config tunes the guard.
type Config struct {
	// Concurrency bounds the deliveries in flight to one endpoint. Default: 4.
	Concurrency int
	// Threshold is the failures in a row that open the circuit. Default: 5.
	Threshold int
	// Cooldown is how long a circuit first stays open. Default: 30s.
	Cooldown time.Duration
	// MaxCooldown caps the doubling cool-down. Default: 10m.
	MaxCooldown time.Duration
	// SlowAfter is how long a send may take before its endpoint counts
	// as slow. Default: 2s.
	SlowAfter time.Duration
	// SlowLane bounds the sends to slow endpoints in flight at once,
	// across every slow endpoint: the small budget of the slow lane, out
	// of the workers' way. Default: 4.
	SlowLane int
	// MinTimeout is the shortest a slow endpoint's time-out becomes: it
	// halves with each slow send in a row, from the time-out given.
	// Default: 1s.
	MinTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.Threshold <= 0 {
		c.Threshold = 5
	}
	if c.Cooldown <= 0 {
		c.Cooldown = 30 * time.Second
	}
	if c.MaxCooldown <= 0 {
		c.MaxCooldown = 10 * time.Minute
	}
	if c.SlowAfter <= 0 {
		c.SlowAfter = 2 * time.Second
	}
	if c.SlowLane <= 0 {
		c.SlowLane = 4
	}
	if c.MinTimeout <= 0 {
		c.MinTimeout = time.Second
	}
}

// Guard tracks every endpoint.
type Guard struct {
	cfg  Config
	now  func() time.Time
	mu   sync.Mutex
	eps  map[string]*state
	lane chan struct{}
}

type state struct {
	slots     chan struct{}
	waiting   int
	inFlight  int
	failures  int
	openUntil time.Time
	cooldown  time.Duration
	trial     bool
	// slow is the sends in a row that took SlowAfter or longer.
	slow int
}

// New returns a Guard reading the time from now.
func New(cfg Config, now func() time.Time) *Guard {
	cfg.setDefaults()
	return &Guard{cfg: cfg, now: now, eps: map[string]*state{}, lane: make(chan struct{}, cfg.SlowLane)}
}

// SlowAfter is how long a send may take before its endpoint counts as slow.
func (g *Guard) SlowAfter() time.Duration { return g.cfg.SlowAfter }

// Slow reports whether endpoint's last sends were slow, and the time-out
// its next send gets: timeout halved for each slow send in a row, down to
// MinTimeout, so that an endpoint that stays slow holds the lane less and
// less.
func (g *Guard) Slow(endpoint string, timeout time.Duration) (bool, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.eps[endpoint]
	if s == nil || s.slow == 0 {
		return false, timeout
	}
	return true, max(timeout>>min(s.slow, 16), g.cfg.MinTimeout)
}

// LaneFull reports whether the slow lane has no place free.
func (g *Guard) LaneFull() bool { return len(g.lane) == cap(g.lane) }

// TakeLane takes a place in the slow lane, if one is free, and returns
// the function that gives it back.
func (g *Guard) TakeLane() (release func(), ok bool) {
	select {
	case g.lane <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-g.lane }) }, true
	default:
		return nil, false
	}
}

// Took records how long a send to endpoint took (or that it was cut off
// for being slow): slow sends in a row make the endpoint slow, one quick
// send makes it fast again.
func (g *Guard) Took(endpoint string, d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.eps[endpoint]
	if s == nil {
		if d < g.cfg.SlowAfter {
			return
		}
		s = &state{slots: make(chan struct{}, g.cfg.Concurrency)}
		g.eps[endpoint] = s
	}
	if d >= g.cfg.SlowAfter {
		s.slow++
		return
	}
	s.slow = 0
}

// Refusal says why a delivery may not go now, and when to ask again.
type Refusal struct {
	Reason string
	After  time.Duration
}

// Acquire asks to send to endpoint, waiting up to wait for one of its
// slots. On success the caller must call done with the outcome; otherwise
// the refusal says when to come back. The wait is short: a busy endpoint
// is usually a fast one with a queue, which a moment's patience serves
// better than a redelivery, while a slow one holds a worker no longer.
func (g *Guard) Acquire(endpoint string, wait time.Duration) (done func(ok bool), refused *Refusal) {
	g.mu.Lock()
	s := g.eps[endpoint]
	if s == nil {
		s = &state{slots: make(chan struct{}, g.cfg.Concurrency)}
		g.eps[endpoint] = s
	}
	now := g.now()
	trial := false
	if !s.openUntil.IsZero() {
		if now.Before(s.openUntil) || s.trial {
			wait := max(s.openUntil.Sub(now), time.Second)
			g.mu.Unlock()
			return nil, &Refusal{Reason: "circuit open after repeated failures", After: wait}
		}
		// Half-open: one delivery tries the endpoint for everyone.
		s.trial, trial = true, true
	}
	s.waiting++
	g.mu.Unlock()
	got := false
	select {
	case s.slots <- struct{}{}:
		got = true
	default:
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case s.slots <- struct{}{}:
				got = true
			case <-t.C:
			}
			t.Stop()
		}
	}
	g.mu.Lock()
	s.waiting--
	if !got {
		if trial {
			s.trial = false
		}
		g.mu.Unlock()
		return nil, &Refusal{Reason: "endpoint busy", After: 250 * time.Millisecond}
	}
	s.inFlight++
	g.mu.Unlock()
	var once sync.Once
	return func(ok bool) { once.Do(func() { g.finish(endpoint, s, ok) }) }, nil
}

func (g *Guard) finish(endpoint string, s *state, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s.inFlight--
	<-s.slots
	if ok {
		s.failures, s.openUntil, s.cooldown, s.trial = 0, time.Time{}, 0, false
		if s.inFlight == 0 && s.waiting == 0 && s.slow == 0 {
			delete(g.eps, endpoint)
		}
		return
	}
	s.failures++
	if s.trial || s.failures >= g.cfg.Threshold {
		switch {
		case s.cooldown == 0:
			s.cooldown = g.cfg.Cooldown
		case s.trial:
			s.cooldown = min(2*s.cooldown, g.cfg.MaxCooldown)
		}
		s.openUntil = g.now().Add(s.cooldown)
		s.trial = false
	}
}

// Status is one endpoint's state, for the operator.
type Status struct {
	Endpoint  string    `json:"endpoint"`
	InFlight  int       `json:"in_flight"`
	Failures  int       `json:"failures_in_a_row"`
	OpenUntil time.Time `json:"circuit_open_until,omitzero"`
}

// Statuses returns every endpoint with something to say: in flight,
// failing or open.
func (g *Guard) Statuses() []Status {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Status, 0, len(g.eps))
	for ep, s := range g.eps {
		out = append(out, Status{Endpoint: ep, InFlight: s.inFlight, Failures: s.failures, OpenUntil: s.openUntil})
	}
	return out
}
