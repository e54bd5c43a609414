package endpoints_test

import (
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/services/notification/internal/endpoints"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestConcurrencyIsPerEndpoint(t *testing.T) {
	t.Parallel()
	g := endpoints.New(endpoints.Config{Concurrency: 2}, time.Now)
	d1, r := g.Acquire("slow.example", 0)
	d2, r2 := g.Acquire("slow.example", 0)
	if r != nil || r2 != nil {
		t.Fatalf("refused within the limit: %v %v", r, r2)
	}
	if _, r := g.Acquire("slow.example", 0); r == nil || r.Reason != "endpoint busy" {
		t.Fatalf("third delivery to a busy endpoint: %v, want busy", r)
	}
	if d, r := g.Acquire("fast.example", 0); r != nil {
		t.Fatalf("another endpoint refused: %v", r)
	} else {
		d(true)
	}
	d1(true)
	d1(true) // a second call changes nothing
	if d, r := g.Acquire("slow.example", 0); r != nil {
		t.Fatalf("refused after one finished: %v", r)
	} else {
		d(true)
	}
	d2(true)
}

func TestCircuit(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	g := endpoints.New(endpoints.Config{Threshold: 3, Cooldown: time.Minute, MaxCooldown: 3 * time.Minute}, c.now)
	fail := func() {
		t.Helper()
		d, r := g.Acquire("down.example", 0)
		if r != nil {
			t.Fatalf("refused while closed: %v", r)
		}
		d(false)
	}
	for range 3 {
		fail()
	}
	r := refusal(t, g)
	if r.After != time.Minute {
		t.Fatalf("open for %s, want 1m", r.After)
	}
	c.t = c.t.Add(time.Minute)
	trial, r2 := g.Acquire("down.example", 0)
	if r2 != nil {
		t.Fatalf("no trial after the cool-down: %v", r2)
	}
	refusal(t, g) // only one trial at a time
	trial(false)
	if r := refusal(t, g); r.After != 2*time.Minute {
		t.Fatalf("after a failed trial open for %s, want the cool-down doubled", r.After)
	}
	c.t = c.t.Add(2 * time.Minute)
	trial, _ = g.Acquire("down.example", 0)
	trial(false)
	if r := refusal(t, g); r.After != 3*time.Minute {
		t.Fatalf("open for %s, want the 3m cap", r.After)
	}
	c.t = c.t.Add(3 * time.Minute)
	trial, _ = g.Acquire("down.example", 0)
	trial(true)
	for range 2 {
		fail()
	}
	if d, r := g.Acquire("down.example", 0); r != nil {
		t.Fatalf("a success did not close the circuit: %v", r)
	} else {
		d(true)
	}
}

func refusal(t *testing.T, g *endpoints.Guard) *endpoints.Refusal {
	t.Helper()
	_, r := g.Acquire("down.example", 0)
	if r == nil || r.Reason != "circuit open after repeated failures" {
		t.Fatalf("got %v, want the circuit open", r)
	}
	return r
}

func TestAWaitForASlot(t *testing.T) {
	t.Parallel()
	g := endpoints.New(endpoints.Config{Concurrency: 1}, time.Now)
	first, _ := g.Acquire("busy.example", 0)
	go func() {
		time.Sleep(20 * time.Millisecond)
		first(true)
	}()
	second, r := g.Acquire("busy.example", 5*time.Second)
	if r != nil {
		t.Fatalf("no slot after the first finished: %v", r)
	}
	second(true)
}
