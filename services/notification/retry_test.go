package notification_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/testwait"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/notification"
)

// TestWaitingRetriesHoldNoSlots: more failing endpoints than the
// deliveries consumer may have unacknowledged messages, each waiting an
// hour for its retry, and another candidate's alert still arrives at once.
// A retry that waited as an unacknowledged message (a Nak with a delay)
// held one of the consumer's slots for the whole wait, and with every slot
// held nothing new was delivered to anyone.
func TestWaitingRetriesHoldNoSlots(t *testing.T) {
	t.Parallel()
	const workers = 2
	h := start(t, func(c *notification.Config, _ *notification.Deps) {
		c.Workers, c.Retries = workers, []time.Duration{time.Hour, time.Hour}
	})
	// The consumer lets 8 × workers messages be in hand at once; twice
	// that many deliveries fail, each to an endpoint of its own, so that
	// no circuit breaker is involved.
	failing := 16 * workers
	closes := h.clock.Now().Add(30 * 24 * time.Hour)
	var down []*receiver
	for range failing {
		rc := newReceiver(t, func(int) int { return http.StatusServiceUnavailable })
		down = append(down, rc)
		cid, token := h.candidate("down@example.org")
		h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL})
		h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes), "")
	}
	tried := func() int {
		n := 0
		for _, rc := range down {
			if len(rc.got()) > 0 {
				n++
			}
		}
		return n
	}
	// Once as many have failed as the consumer has slots, a retry that
	// waits in hand would leave none.
	testwait.Until(t, 20*time.Second, "the first failures", func() bool { return tried() >= 8*workers })
	healthy := newReceiver(t, nil)
	cid, token := h.candidate("up@example.org")
	h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": healthy.URL})
	h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes), "")
	testwait.Until(t, 10*time.Second, "the healthy candidate's alert", func() bool { return len(healthy.got()) == 1 })
	testwait.Until(t, 20*time.Second, "every failing endpoint tried once", func() bool { return tried() == failing })
	// The retries wait in the stream, held by no consumer, and none came
	// early.
	h.settled()
	for i, rc := range down {
		if n := len(rc.got()); n != 1 {
			t.Errorf("failing endpoint %d tried %d times within its hour's wait", i, n)
		}
	}
}
