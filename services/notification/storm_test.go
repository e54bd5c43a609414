package notification_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/testwait"
	"github.com/clinjobs/clinjobs/pkg/webhook/webhooktest"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/notification"
)

// TestHealthyAlertsThroughAStorm: 300 candidates whose webhooks always
// fail and 100 whose webhooks answer after 10 s, each on a host name of
// its own, are alerted first; then 20 healthy candidates. Every healthy
// alert arrives while the others are still at it; the failing ones become
// dead letters after the retry schedule (two retries), the slow ones are
// sent or become dead letters, and every delivery ends exactly one way.
func TestHealthyAlertsThroughAStorm(t *testing.T) {
	t.Parallel()
	const failing, slowN, healthy = 300, 100, 20
	dns := webhooktest.NewDNS(func(name string, _ int) []netip.Addr {
		if strings.HasSuffix(name, ".example") {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
		}
		return nil
	})
	h := start(t, func(c *notification.Config, d *notification.Deps) {
		c.Workers, c.WebhookTimeout = 16, 15*time.Second
		c.Retries = []time.Duration{time.Second, time.Second}
		d.Resolver = dns.Resolver()
		// The real clock: deliveries held back longer than the schedule
		// (a slow endpoint's, with the slow lane full) become dead letters.
		d.Now = time.Now
	})
	down := newReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	stop := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
		case <-stop:
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(stop) })
	up := newReceiver(t, nil)
	url := func(srv *httptest.Server, name string) string {
		addr := srv.Listener.Addr().String()
		return "http://" + name + ".example" + addr[strings.LastIndex(addr, ":"):] + "/hooks"
	}
	closes := h.clock.Now().Add(30 * 24 * time.Hour)
	type cand struct{ id, token, url string }
	mk := func(n int, kind string, srv *httptest.Server) []cand {
		out := make([]cand, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				id, token := h.candidate(fmt.Sprintf("%s%d@example.org", kind, i))
				out[i] = cand{id, token, url(srv, fmt.Sprintf("%s-%d", kind, i))}
			})
		}
		wg.Wait()
		for _, c := range out {
			h.subscribe(c.id, c.token, map[string]any{"channel": "webhook", "url": c.url})
		}
		return out
	}
	bad := append(mk(failing, "fail", down.Server), mk(slowN, "slow", slow)...)
	good := mk(healthy, "ok", up.Server)
	for _, c := range bad {
		h.match(c.id, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes), "")
	}
	// The storm is on: the failing endpoints are being tried.
	testwait.Until(t, 20*time.Second, "the storm under way", func() bool { return len(down.got()) >= failing/2 })
	began := time.Now()
	for _, c := range good {
		h.match(c.id, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes), "")
	}
	testwait.Until(t, 30*time.Second, "every healthy alert", func() bool { return len(up.got()) == healthy })
	t.Logf("20 healthy alerts arrived %s after their matches, through the storm", time.Since(began).Round(time.Millisecond))

	// Every delivery ends one way: an alert recorded or a dead letter.
	alerts, err := h.js.KeyValue(t.Context(), notification.BucketAlerts)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := h.js.KeyValue(t.Context(), notification.BucketDeadLetters)
	if err != nil {
		t.Fatal(err)
	}
	count := func(kv jetstream.KeyValue) map[string]bool {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		keys := map[string]bool{}
		lister, err := kv.ListKeys(ctx)
		if err != nil {
			return keys
		}
		for k := range lister.Keys() {
			keys[strings.SplitN(k, ".", 2)[0]] = true
		}
		return keys
	}
	var done, letters map[string]bool
	// The healthy arrived while the slow endpoints were still at it.
	if done, letters = count(alerts), count(dead); len(done)+len(letters) >= failing+slowN+healthy {
		t.Fatalf("every delivery had ended before the healthy alerts arrived")
	}
	if !testwait.For(40*time.Second, func() bool {
		done, letters = count(alerts), count(dead)
		return len(done)+len(letters) >= failing+slowN+healthy
	}) {
		open := map[string]int{}
		for i, c := range bad {
			if !done[c.id] && !letters[c.id] {
				open[map[bool]string{true: "failing", false: "slow"}[i < failing]]++
			}
		}
		t.Fatalf("deliveries not ended after 40s: %v (%d sent, %d dead letters, %d tries at failing endpoints)", open, len(done), len(letters), len(down.got()))
	}
	h.settled()
	done, letters = count(alerts), count(dead)
	for _, c := range good {
		if !done[c.id] || letters[c.id] {
			t.Errorf("healthy %s: sent %t, dead letter %t", c.id, done[c.id], letters[c.id])
		}
	}
	for i, c := range bad {
		if done[c.id] == letters[c.id] {
			t.Errorf("%s: sent %t, dead letter %t; want exactly one", c.url, done[c.id], letters[c.id])
		}
		if i < failing && done[c.id] {
			t.Errorf("%s: a failing endpoint's alert recorded as sent", c.url)
		}
	}
	// Failing endpoints: the first try and at most two retries (a
	// delivery queued behind the storm for longer than the whole schedule
	// is a dead letter sooner), never more.
	tries := map[string]int{}
	for _, hk := range down.got() {
		tries[hk.ID]++
	}
	if len(tries) != failing {
		t.Errorf("%d failing deliveries tried, want %d", len(tries), failing)
	}
	hist := map[int]int{}
	for id, n := range tries {
		hist[n]++
		if n > 3 {
			t.Errorf("delivery %s tried %d times at a failing endpoint, want at most 3", id, n)
		}
	}
	t.Logf("failing deliveries by tries: %v", hist)
	ids := map[string]int{}
	for _, hk := range up.got() {
		ids[hk.ID]++
	}
	if len(ids) != healthy {
		t.Errorf("%d healthy alerts, want %d once each: %v", len(ids), healthy, ids)
	}
	slowDead := 0
	for _, c := range bad[failing:] {
		if letters[c.id] {
			slowDead++
		}
	}
	t.Logf("slow endpoints: %d sent, %d dead letters", slowN-slowDead, slowDead)
}
