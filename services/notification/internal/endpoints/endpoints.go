// Package endpoints keeps one slow or failing endpoint from holding anyone
// else's alerts. Each endpoint (a webhook host, the SMTP relay, the live
// stream) gets a bound on the deliveries in flight to it; each candidate,
// registrable domain and address range a bound on the workers its sends
// hold at once, whatever host names the senders choose; a send found slow
// leaves the workers for the slow lane, whose small budget is shared
// fairly too. Each endpoint has a circuit breaker: after Threshold failures in a row the circuit opens and
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
	// CandidateShare bounds the sends of one candidate (over all their
	// subscriptions) holding workers at once. Default: 4.
	CandidateShare int
	// DomainShare bounds the sends to one registrable domain (over all
	// its host names) holding workers at once. Default: 8.
	DomainShare int
	// RangeShare bounds the sends to one address range (over all the
	// host names and domains in it) holding workers at once. Default: 8.
	RangeShare int
	// LaneShare bounds the places in the slow lane one candidate, domain
	// or range may hold. Default: half the lane, at least 1.
	LaneShare int
	// ShareWait is how long a delivery refused for its owners' share
	// waits before it asks again. Default: 1s.
	ShareWait time.Duration
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
	if c.CandidateShare <= 0 {
		c.CandidateShare = 4
	}
	if c.DomainShare <= 0 {
		c.DomainShare = 8
	}
	if c.RangeShare <= 0 {
		c.RangeShare = 8
	}
	if c.LaneShare <= 0 {
		c.LaneShare = max(1, c.SlowLane/2)
	}
	if c.ShareWait <= 0 {
		c.ShareWait = time.Second
	}
}

// Guard tracks every endpoint.
type Guard struct {
	cfg Config
	now func() time.Time
	mu  sync.Mutex
	eps map[string]*state
	// held counts the places taken in each owner's share, of the
	// workers and of the slow lane.
	held map[string]int
	// lane counts the sends in the slow lane.
	lane int
	// freed is closed, and replaced, whenever a place comes free.
	freed chan struct{}
}

type state struct {
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
	return &Guard{cfg: cfg, now: now, eps: map[string]*state{}, held: map[string]int{}, freed: make(chan struct{})}
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
func (g *Guard) LaneFull() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lane >= g.cfg.SlowLane
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
		s = &state{}
		g.eps[endpoint] = s
	}
	if d >= g.cfg.SlowAfter {
		s.slow++
		return
	}
	s.slow = 0
}

// Owners are everyone a send counts against: its endpoint, and the
// candidate, registrable domain and address range it belongs to. An empty
// owner (a channel without a domain, an address not yet known) is not
// counted.
type Owners struct {
	// Endpoint is the webhook's host and port, or the SMTP relay, or the
	// live stream.
	Endpoint string
	// Candidate is the candidate the delivery is for.
	Candidate string
	// Domain is the webhook host's registrable domain (the public suffix
	// and one label more).
	Domain string
	// Range is the address range the webhook host resolves into (a /24
	// of IPv4, a /48 of IPv6).
	Range string
}

// shareKeys names o's shares of the workers, each with its bound.
func (g *Guard) shareKeys(o Owners, lane bool) [3]share {
	c := g.cfg
	if lane {
		return [3]share{{"lane-candidate\x00" + o.Candidate, o.Candidate, c.LaneShare, "candidate"},
			{"lane-domain\x00" + o.Domain, o.Domain, c.LaneShare, "registrable domain"},
			{"lane-range\x00" + o.Range, o.Range, c.LaneShare, "address range"}}
	}
	return [3]share{{"candidate\x00" + o.Candidate, o.Candidate, c.CandidateShare, "candidate"},
		{"domain\x00" + o.Domain, o.Domain, c.DomainShare, "registrable domain"},
		{"range\x00" + o.Range, o.Range, c.RangeShare, "address range"}}
}

type share struct {
	key, owner string
	bound      int
	what       string
}

// fullShare returns the first of shares that has no place free, or nil.
func (g *Guard) fullShare(shares [3]share) *share {
	for i, sh := range shares {
		if sh.owner != "" && g.held[sh.key] >= sh.bound {
			return &shares[i]
		}
	}
	return nil
}

func (g *Guard) take(shares [3]share) {
	for _, sh := range shares {
		if sh.owner != "" {
			g.held[sh.key]++
		}
	}
}

// give gives shares back and wakes whoever waits for a place. g.mu is held.
func (g *Guard) give(shares [3]share) {
	for _, sh := range shares {
		if sh.owner == "" {
			continue
		}
		if g.held[sh.key]--; g.held[sh.key] <= 0 {
			delete(g.held, sh.key)
		}
	}
	g.wake()
}

// wake tells every waiter that a place came free. g.mu is held.
func (g *Guard) wake() {
	close(g.freed)
	g.freed = make(chan struct{})
}

// TakeLane takes a place in the slow lane for a send of o's, if the lane
// has one free and o's candidate, domain and range are within their share
// of it, and returns the function that gives it back.
func (g *Guard) TakeLane(o Owners) (release func(), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	shares := g.shareKeys(o, true)
	if g.lane >= g.cfg.SlowLane || g.fullShare(shares) != nil {
		return nil, false
	}
	g.lane++
	g.take(shares)
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.lane--
			g.give(shares)
		})
	}, true
}

// Refusal says why a delivery may not go now, and when to ask again.
type Refusal struct {
	Reason string
	After  time.Duration
	// Share is set when the delivery's candidate, domain or range had
	// its share of the workers in use: those sends may be slow ones being
	// found out, so the delivery waits outside the consumer.
	Share bool
}

// Ticket is a send let through: it holds a slot of its endpoint and a
// place in its owners' shares of the workers.
type Ticket struct {
	g        *Guard
	endpoint string
	s        *state
	shares   [3]share
	unshare  sync.Once
	done     sync.Once
}

// Unshare gives back the ticket's places in its owners' shares of the
// workers, keeping the endpoint's slot: the send goes on without holding a
// worker (in the slow lane).
func (t *Ticket) Unshare() {
	t.unshare.Do(func() {
		t.g.mu.Lock()
		defer t.g.mu.Unlock()
		t.g.give(t.shares)
	})
}

// Done ends the send with its outcome; a second call changes nothing.
func (t *Ticket) Done(ok bool) {
	t.done.Do(func() {
		t.Unshare()
		t.g.finish(t.endpoint, t.s, ok)
	})
}

// Acquire asks to send for o, waiting up to wait for one of its
// endpoint's slots; a place in each of its owners' shares of the workers
// it must find free at once. On success the caller must call the ticket's Done with the
// outcome; otherwise the refusal says when to come back. The wait is
// short: a busy endpoint is usually a fast one with a queue, which a
// moment's patience serves better than a redelivery, while a slow one
// holds a worker no longer.
func (g *Guard) Acquire(o Owners, wait time.Duration) (*Ticket, *Refusal) {
	g.mu.Lock()
	s := g.eps[o.Endpoint]
	if s == nil {
		s = &state{}
		g.eps[o.Endpoint] = s
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
	shares := g.shareKeys(o, false)
	s.waiting++
	var timer <-chan time.Time
	for {
		full := g.fullShare(shares)
		if full != nil {
			// No wait: the places may be held by slow sends being found
			// out, and a worker waiting for one is a worker lost to
			// everyone else.
			s.waiting--
			if trial {
				s.trial = false
			}
			g.forget(o.Endpoint, s)
			g.mu.Unlock()
			return nil, &Refusal{Reason: full.what + " using its share of the workers", After: g.cfg.ShareWait, Share: true}
		}
		if s.inFlight < g.cfg.Concurrency {
			break
		}
		if timer == nil && wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			timer = t.C
		}
		freed := g.freed
		g.mu.Unlock()
		expired := timer == nil
		if !expired {
			select {
			case <-freed:
			case <-timer:
				expired = true
			}
		}
		g.mu.Lock()
		if !expired {
			continue
		}
		if g.fullShare(shares) == nil && s.inFlight < g.cfg.Concurrency {
			break
		}
		s.waiting--
		if trial {
			s.trial = false
		}
		g.forget(o.Endpoint, s)
		g.mu.Unlock()
		return nil, &Refusal{Reason: "endpoint busy", After: 250 * time.Millisecond}
	}
	s.waiting--
	s.inFlight++
	g.take(shares)
	g.mu.Unlock()
	return &Ticket{g: g, endpoint: o.Endpoint, s: s, shares: shares}, nil
}

// forget drops an endpoint's state once it has nothing to remember. g.mu
// is held.
func (g *Guard) forget(endpoint string, s *state) {
	if s.inFlight == 0 && s.waiting == 0 && s.slow == 0 && s.failures == 0 && s.openUntil.IsZero() {
		delete(g.eps, endpoint)
	}
}

func (g *Guard) finish(endpoint string, s *state, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s.inFlight--
	g.wake()
	if ok {
		s.failures, s.openUntil, s.cooldown, s.trial = 0, time.Time{}, 0, false
		g.forget(endpoint, s)
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
