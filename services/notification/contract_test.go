package notification_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/testwait"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/notification"
)

// answering is a webhook receiver that answers each request with answer,
// which may set headers, and keeps the times of the requests.
type answering struct {
	*httptest.Server
	mu    sync.Mutex
	times []time.Time
}

func newAnswering(t *testing.T, answer func(n int, w http.ResponseWriter)) *answering {
	a := &answering{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		a.mu.Lock()
		a.times = append(a.times, time.Now())
		n := len(a.times)
		a.mu.Unlock()
		answer(n, w)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *answering) got() []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Time(nil), a.times...)
}

type deadLetters struct {
	DeadLetters []notification.DeadLetterView `json:"dead_letters"`
}

// TestReceiverContract: the Standard Webhooks contract on the receiver's
// side. 410 Gone disables the subscription and says so in the delivery log;
// 429 and 503 with Retry-After put the next try off until then, even past
// the retry schedule; a redirect is not followed.
func TestReceiverContract(t *testing.T) {
	t.Parallel()
	t.Run("gone", func(t *testing.T) {
		t.Parallel()
		h := start(t)
		rc := newAnswering(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusGone) })
		cid, token := h.candidate("gone@example.org")
		sub := h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL})
		closes := h.clock.Now().Add(30 * 24 * time.Hour)
		h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes), "")
		var dl deadLetters
		testwait.Until(t, 10*time.Second, "a dead letter", func() bool {
			return h.control("clinjobs.notification.deadletters.list", map[string]any{}, &dl) == nil && len(dl.DeadLetters) == 1
		})
		if d := dl.DeadLetters[0]; d.Attempts != 1 || !strings.Contains(d.Reason, "410 Gone") {
			t.Fatalf("dead letter %+v, want one try and 410 Gone", d)
		}
		var got notification.SubscriptionAnswer
		if code := h.call(http.MethodGet, "/v1/candidates/"+cid+"/subscriptions/"+sub.Subscription.ID, token, nil, &got); code != http.StatusOK || !got.Subscription.Paused {
			t.Fatalf("subscription after 410: %d %+v, want paused", code, got)
		}
		var log struct {
			Deliveries []notification.DeliveryView `json:"deliveries"`
		}
		h.call(http.MethodGet, "/v1/candidates/"+cid+"/deliveries", token, nil, &log)
		if len(log.Deliveries) != 1 || log.Deliveries[0].Outcome != "failed" || !strings.Contains(log.Deliveries[0].Reason, "subscription paused") {
			t.Fatalf("delivery log %+v", log)
		}
		// Nothing more goes to a gone endpoint.
		h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes), "")
		h.settled()
		if n := len(rc.got()); n != 1 {
			t.Fatalf("%d requests to a gone endpoint, want 1", n)
		}
	})
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			// The schedule would retry after 20 ms; the receiver asks for 3 s.
			h := start(t)
			rc := newAnswering(t, func(n int, w http.ResponseWriter) {
				if n == 1 {
					w.Header().Set("Retry-After", "3")
					w.WriteHeader(status)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			})
			cid, token := h.candidate("busy@example.org")
			h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL})
			h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, h.clock.Now().Add(30*24*time.Hour)), "")
			testwait.Until(t, 20*time.Second, "the second try", func() bool { return len(rc.got()) == 2 })
			times := rc.got()
			// The server's schedule fires on whole seconds at worst a
			// little early; 3 s asked, no try within 2.5.
			if gap := times[1].Sub(times[0]); gap < 2500*time.Millisecond {
				t.Fatalf("tried again after %s, asked to wait 3s", gap)
			}
			h.settled()
			if n := len(rc.got()); n != 2 {
				t.Fatalf("%d requests, want 2", n)
			}
		})
	}
	t.Run("redirect", func(t *testing.T) {
		t.Parallel()
		h := start(t)
		target := newAnswering(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) })
		rc := newAnswering(t, func(_ int, w http.ResponseWriter) {
			w.Header().Set("Location", target.URL)
			w.WriteHeader(http.StatusTemporaryRedirect)
		})
		cid, token := h.candidate("moved@example.org")
		h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL})
		h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, h.clock.Now().Add(30*24*time.Hour)), "")
		var dl deadLetters
		testwait.Until(t, 10*time.Second, "a dead letter", func() bool {
			return h.control("clinjobs.notification.deadletters.list", map[string]any{}, &dl) == nil && len(dl.DeadLetters) == 1
		})
		if n := len(target.got()); n != 0 {
			t.Fatalf("the redirect was followed: %d requests at its target", n)
		}
		if !strings.Contains(dl.DeadLetters[0].Reason, "redirect") {
			t.Fatalf("dead letter %+v", dl.DeadLetters[0])
		}
	})
}
