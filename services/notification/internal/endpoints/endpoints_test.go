package endpoints_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/services/notification/internal/endpoints"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestConcurrencyIsPerEndpoint(t *testing.T) {
	t.Parallel()
	g := endpoints.New(endpoints.Config{Concurrency: 2}, time.Now)
	d1, r := g.Acquire(endpoints.Owners{Endpoint: "slow.example"}, 0)
	d2, r2 := g.Acquire(endpoints.Owners{Endpoint: "slow.example"}, 0)
	if r != nil || r2 != nil {
		t.Fatalf("refused within the limit: %v %v", r, r2)
	}
	if _, r := g.Acquire(endpoints.Owners{Endpoint: "slow.example"}, 0); r == nil || r.Reason != "endpoint busy" {
		t.Fatalf("third delivery to a busy endpoint: %v, want busy", r)
	}
	if d, r := g.Acquire(endpoints.Owners{Endpoint: "fast.example"}, 0); r != nil {
		t.Fatalf("another endpoint refused: %v", r)
	} else {
		d.Done(true)
	}
	d1.Done(true)
	d1.Done(true) // a second call changes nothing
	if d, r := g.Acquire(endpoints.Owners{Endpoint: "slow.example"}, 0); r != nil {
		t.Fatalf("refused after one finished: %v", r)
	} else {
		d.Done(true)
	}
	d2.Done(true)
}

func TestCircuit(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	g := endpoints.New(endpoints.Config{Threshold: 3, Cooldown: time.Minute, MaxCooldown: 3 * time.Minute}, c.now)
	fail := func() {
		t.Helper()
		d, r := g.Acquire(endpoints.Owners{Endpoint: "down.example"}, 0)
		if r != nil {
			t.Fatalf("refused while closed: %v", r)
		}
		d.Done(false)
	}
	for range 3 {
		fail()
	}
	r := refusal(t, g)
	if r.After != time.Minute {
		t.Fatalf("open for %s, want 1m", r.After)
	}
	c.t = c.t.Add(time.Minute)
	trial, r2 := g.Acquire(endpoints.Owners{Endpoint: "down.example"}, 0)
	if r2 != nil {
		t.Fatalf("no trial after the cool-down: %v", r2)
	}
	refusal(t, g) // only one trial at a time
	trial.Done(false)
	if r := refusal(t, g); r.After != 2*time.Minute {
		t.Fatalf("after a failed trial open for %s, want the cool-down doubled", r.After)
	}
	c.t = c.t.Add(2 * time.Minute)
	trial, _ = g.Acquire(endpoints.Owners{Endpoint: "down.example"}, 0)
	trial.Done(false)
	if r := refusal(t, g); r.After != 3*time.Minute {
		t.Fatalf("open for %s, want the 3m cap", r.After)
	}
	c.t = c.t.Add(3 * time.Minute)
	trial, _ = g.Acquire(endpoints.Owners{Endpoint: "down.example"}, 0)
	trial.Done(true)
	for range 2 {
		fail()
	}
	if d, r := g.Acquire(endpoints.Owners{Endpoint: "down.example"}, 0); r != nil {
		t.Fatalf("a success did not close the circuit: %v", r)
	} else {
		d.Done(true)
	}
}

func refusal(t *testing.T, g *endpoints.Guard) *endpoints.Refusal {
	t.Helper()
	_, r := g.Acquire(endpoints.Owners{Endpoint: "down.example"}, 0)
	if r == nil || r.Reason != "circuit open after repeated failures" {
		t.Fatalf("got %v, want the circuit open", r)
	}
	return r
}

func TestAWaitForASlot(t *testing.T) {
	t.Parallel()
	g := endpoints.New(endpoints.Config{Concurrency: 1}, time.Now)
	first, _ := g.Acquire(endpoints.Owners{Endpoint: "busy.example"}, 0)
	go func() {
		time.Sleep(20 * time.Millisecond)
		first.Done(true)
	}()
	second, r := g.Acquire(endpoints.Owners{Endpoint: "busy.example"}, 5*time.Second)
	if r != nil {
		t.Fatalf("no slot after the first finished: %v", r)
	}
	second.Done(true)
}

// TestShares: each owner (candidate, registrable domain, address range)
// holds at most its share of the workers, whatever endpoints it spreads
// over; a refusal for a share comes at once and says so; a send moved to
// the slow lane gives its places back; the lane has shares of its own.
func TestShares(t *testing.T) {
	t.Parallel()
	cfg := endpoints.Config{CandidateShare: 2, DomainShare: 2, RangeShare: 2, SlowLane: 4, LaneShare: 1, ShareWait: time.Second}
	for _, c := range []struct {
		name string
		o    func(i int) endpoints.Owners
	}{
		{"candidate", func(i int) endpoints.Owners {
			return endpoints.Owners{Endpoint: fmt.Sprintf("h%d.example", i), Candidate: "c1", Domain: fmt.Sprintf("d%d.example", i)}
		}},
		{"registrable domain", func(i int) endpoints.Owners {
			return endpoints.Owners{Endpoint: fmt.Sprintf("h%d.corp.example", i), Candidate: fmt.Sprintf("c%d", i), Domain: "corp.example"}
		}},
		{"address range", func(i int) endpoints.Owners {
			return endpoints.Owners{Endpoint: fmt.Sprintf("h%d.example", i), Candidate: fmt.Sprintf("c%d", i), Range: "192.0.2.0/24"}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := endpoints.New(cfg, time.Now)
			a, r1 := g.Acquire(c.o(1), 0)
			b, r2 := g.Acquire(c.o(2), 0)
			if r1 != nil || r2 != nil {
				t.Fatalf("refused within the share: %v %v", r1, r2)
			}
			start := time.Now()
			_, r := g.Acquire(c.o(3), time.Minute)
			if r == nil || !r.Share || !strings.Contains(r.Reason, c.name) || r.After != time.Second {
				t.Fatalf("third send of one %s: %+v, want refused for its share", c.name, r)
			}
			if waited := time.Since(start); waited > 10*time.Second {
				t.Fatalf("a refusal for a share waited %s", waited)
			}
			if o, r := g.Acquire(endpoints.Owners{Endpoint: "other.example", Candidate: "other", Domain: "other.example", Range: "198.51.100.0/24"}, 0); r != nil {
				t.Fatalf("another owner refused: %v", r)
			} else {
				o.Done(true)
			}
			// a is found slow: it takes the lane and gives its places
			// back; the lane holds one send of this owner's.
			leave, ok := g.TakeLane(c.o(1))
			if !ok {
				t.Fatal("no place in an empty lane")
			}
			a.Unshare()
			if _, ok := g.TakeLane(c.o(2)); ok {
				t.Fatalf("a second place in the lane for one %s", c.name)
			}
			third, r := g.Acquire(c.o(3), 0)
			if r != nil {
				t.Fatalf("refused after a send left for the lane: %v", r)
			}
			leave()
			a.Done(true)
			b.Done(true)
			third.Done(true)
			third.Done(true) // a second call changes nothing
			for i := range 2 {
				tk, r := g.Acquire(c.o(10+i), 0)
				if r != nil {
					t.Fatalf("share not given back: %v", r)
				}
				defer tk.Done(true)
			}
		})
	}
}

func TestDomainAndRange(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]string{
		"hooks.trust.nhs.uk":   "trust.nhs.uk",
		"a.b.slowcorp.example": "slowcorp.example",
		"x.github.io":          "x.github.io",
		"Hooks.Example.COM.":   "example.com",
		"192.0.2.7":            "192.0.2.7",
		"h1.receivers.co.uk":   "receivers.co.uk",
	} {
		if got := endpoints.Domain(host); got != want {
			t.Errorf("Domain(%q) = %q, want %q", host, got, want)
		}
	}
	for addr, want := range map[string]string{
		"192.0.2.77":         "192.0.2.0/24",
		"::ffff:192.0.2.77":  "192.0.2.0/24",
		"2001:db8:1:2::77":   "2001:db8:1::/48",
		"2001:db8:1:ffff::1": "2001:db8:1::/48",
	} {
		if got := endpoints.Range(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Range(%s) = %q, want %q", addr, got, want)
		}
	}
}
