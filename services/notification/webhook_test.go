package notification_test

import (
	"github.com/clinjobs/clinjobs/pkg/openapi/openapitest"
	"github.com/clinjobs/clinjobs/pkg/testwait"
	"github.com/gin-gonic/gin"
	"net/http"
	"testing"
	"time"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/notification"
)

func TestWebhookAlertArrivesOnceSignedPerSpec(t *testing.T) {
	t.Parallel()
	h := start(t)
	rc := newReceiver(t, nil)
	cid, token := h.candidate("ada@example.org")
	sub := h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL + "/hooks"})
	if sub.Secret == "" || sub.Subscription.Rhythm != "instant" || !sub.Subscription.Reminders {
		t.Fatalf("subscription %+v", sub)
	}
	v := vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, h.clock.Now().Add(30*24*time.Hour))
	h.match(cid, v, "")
	h.match(cid, v, "") // the same announcement again, inside the duplicate window
	testwait.Until(t, 10*time.Second, "the alert arrives", func() bool { return len(rc.got()) == 1 })
	// Announced again past the duplicate window, as after a match lost and
	// regained: the alerts record turns it away.
	h.match(cid, v, "again")
	h.settled()
	hooks := rc.got()
	if len(hooks) != 1 {
		t.Fatalf("%d alerts, want 1", len(hooks))
	}
	hk := hooks[0]
	if err := verifyStandardWebhook(sub.Secret, hk); err != nil {
		t.Fatalf("signature: %v", err)
	}
	p := hk.Payload
	if p.Type != notification.TypeMatched || p.Data.CandidateID != cid || len(p.Data.Matches) != 1 ||
		p.Data.Matches[0].Vacancy.ID != v.GetId() || p.Data.Matches[0].Vacancy.Band != "6" || len(p.Data.Matches[0].Reasons) != 1 {
		t.Fatalf("payload %+v", p)
	}
	var log struct {
		Deliveries []notification.DeliveryView `json:"deliveries"`
	}
	if code := h.call(http.MethodGet, "/v1/candidates/"+cid+"/deliveries", token, nil, &log); code != http.StatusOK ||
		len(log.Deliveries) != 1 || log.Deliveries[0].Outcome != "delivered" || log.Deliveries[0].ID != hk.ID {
		t.Fatalf("delivery log %d %+v", code, log)
	}
	var alerted struct {
		Counts map[string]int `json:"counts"`
	}
	if err := h.control("clinjobs.notification.alerted", map[string]any{"vacancy_ids": []string{v.GetId(), "v-other"}}, &alerted); err != nil ||
		alerted.Counts[v.GetId()] != 1 || alerted.Counts["v-other"] != 0 {
		t.Fatalf("alerted %v %+v", err, alerted)
	}
}

func TestSubscriptionsRefuseWhatTheyCannotDeliver(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *notification.Config, _ *notification.Deps) { c.AllowPrivateWebhooks = false })
	cid, token := h.candidate("ada@example.org")
	for name, in := range map[string]map[string]any{
		"loopback":                    {"channel": "webhook", "url": "http://127.0.0.1:8080/hook"},
		"IPv6 loopback":               {"channel": "webhook", "url": "http://[::1]/hook"},
		"IPv4-mapped loopback":        {"channel": "webhook", "url": "http://[::ffff:127.0.0.1]/hook"},
		"private":                     {"channel": "webhook", "url": "https://10.1.2.3/hook"},
		"cloud metadata":              {"channel": "webhook", "url": "http://169.254.169.254/latest/meta-data"},
		"localhost":                   {"channel": "webhook", "url": "http://localhost/hook"},
		"not http":                    {"channel": "webhook", "url": "ftp://hooks.example.org/x"},
		"no channel":                  {"url": "https://hooks.example.org/x"},
		"email not configured":        {"channel": "email"},
		"unknown rhythm":              {"channel": "sse", "rhythm": "hourly"},
		"a live stream is instant":    {"channel": "sse", "rhythm": "daily"},
		"hour out of range":           {"channel": "sse", "hour": 24},
		"unknown role family":         {"channel": "sse", "role_families": []string{"surgeon"}},
		"unknown band":                {"channel": "sse", "min_band": "10"},
		"a URL on another channel":    {"channel": "sse", "url": "https://hooks.example.org/x"},
		"unknown weekday":             {"channel": "sse", "weekday": "someday"},
		"a field that does not exist": {"channel": "sse", "colour": "blue"},
	} {
		var p struct {
			Status int `json:"status"`
		}
		if code := h.call(http.MethodPost, "/v1/candidates/"+cid+"/subscriptions", token, in, &p); code/100 != 4 || p.Status != code {
			t.Errorf("%s: %d %+v, want a 4xx problem", name, code, p)
		}
	}
	if code := h.call(http.MethodPost, "/v1/candidates/"+cid+"/subscriptions", "", map[string]any{"channel": "sse"}, nil); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	other, _ := h.candidate("grace@example.org")
	if code := h.call(http.MethodPost, "/v1/candidates/"+other+"/subscriptions", token, map[string]any{"channel": "sse"}, nil); code != http.StatusNotFound {
		t.Errorf("another candidate's token: %d", code)
	}
	var list struct {
		Subscriptions []notification.SubscriptionView `json:"subscriptions"`
	}
	if h.call(http.MethodGet, "/v1/candidates/"+cid+"/subscriptions", token, nil, &list); len(list.Subscriptions) != 0 {
		t.Fatalf("refused subscriptions were kept: %+v", list)
	}
}

func TestFiltersAndPause(t *testing.T) {
	t.Parallel()
	h := start(t)
	rc := newReceiver(t, nil)
	cid, token := h.candidate("ada@example.org")
	sub := h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL,
		"role_families": []string{"engineer"}, "min_band": "6", "specialisms": []string{"equipment_management"}})
	closes := h.clock.Now().Add(30 * 24 * time.Hour)
	h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_SCIENTIST, eventsv1.Band_BAND_7, closes), "")
	h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_5, closes), "")
	wanted := vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes)
	h.match(cid, wanted, "")
	h.settled()
	if got := rc.got(); len(got) != 1 || got[0].Payload.Data.Matches[0].Vacancy.ID != wanted.GetId() {
		t.Fatalf("filtered alerts: %+v", got)
	}
	path := "/v1/candidates/" + cid + "/subscriptions/" + sub.Subscription.ID
	var out subscribed
	if code := h.call(http.MethodPost, path+"/pause", token, nil, &out); code != http.StatusOK || !out.Subscription.Paused {
		t.Fatalf("pause: %d %+v", code, out)
	}
	h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_7, closes), "")
	h.settled()
	if n := len(rc.got()); n != 1 {
		t.Fatalf("%d alerts while paused", n)
	}
	if code := h.call(http.MethodPost, path+"/resume", token, nil, &out); code != http.StatusOK || out.Subscription.Paused {
		t.Fatalf("resume: %d %+v", code, out)
	}
	h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_8A, closes), "")
	testwait.Until(t, 30*time.Second, "an alert after resuming", func() bool { return len(rc.got()) == 2 })
	if code := h.call(http.MethodPatch, path, token, map[string]any{"min_band": "8b", "reminders": false}, &out); code != http.StatusOK ||
		out.Subscription.MinBand != "8b" || out.Subscription.Reminders {
		t.Fatalf("patch: %d %+v", code, out)
	}
	if code := h.call(http.MethodPatch, path, token, map[string]any{"url": "http://elsewhere.example"}, nil); code != http.StatusUnprocessableEntity {
		t.Fatalf("changing the URL: %d", code)
	}
	if code := h.call(http.MethodDelete, path, token, nil, nil); code != http.StatusNoContent {
		t.Fatalf("unsubscribe: %d", code)
	}
	if code := h.call(http.MethodDelete, path, token, nil, nil); code != http.StatusNotFound {
		t.Fatalf("unsubscribe twice: %d", code)
	}
}

func TestRetriesThenDeadLetterThenReplay(t *testing.T) {
	t.Parallel()
	h := start(t)
	rc := newReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	cid, token := h.candidate("ada@example.org")
	h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL})
	v := vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, h.clock.Now().Add(30*24*time.Hour))
	h.match(cid, v, "")
	type letters struct {
		DeadLetters []notification.DeadLetterView `json:"dead_letters"`
	}
	var dl letters
	testwait.Until(t, 20*time.Second, "a dead letter", func() bool {
		return h.control("clinjobs.notification.deadletters.list", map[string]any{}, &dl) == nil && len(dl.DeadLetters) == 1
	})
	hooks := rc.got()
	// Two retries on the schedule after the first try.
	if len(hooks) != 3 || hooks[0].ID != hooks[1].ID || hooks[1].ID != hooks[2].ID {
		t.Fatalf("tries %d, ids %v; want 3 with one id", len(hooks), hooks)
	}
	d := dl.DeadLetters[0]
	if d.Attempts != 3 || d.CandidateID != cid || d.VacancyID != v.GetId() || d.Reason != "webhook answered 503 Service Unavailable" || d.Held {
		t.Fatalf("dead letter %+v", d)
	}
	rc.setAnswer(nil)
	var replayed struct {
		Replayed int `json:"replayed"`
	}
	if err := h.control("clinjobs.notification.deadletters.replay", map[string]any{"id": d.ID}, &replayed); err != nil || replayed.Replayed != 1 {
		t.Fatalf("replay: %v %+v", err, replayed)
	}
	testwait.Until(t, 10*time.Second, "the replayed alert", func() bool { return len(rc.got()) == 4 })
	h.settled()
	if err := h.control("clinjobs.notification.deadletters.replay", map[string]any{"id": d.ID}, &replayed); err == nil {
		t.Fatal("a second replay of a dead letter that is gone")
	}
	if got := rc.got(); got[3].ID != hooks[0].ID {
		t.Fatalf("the replay has id %s, want %s", got[3].ID, hooks[0].ID)
	}
	var log struct {
		Deliveries []notification.DeliveryView `json:"deliveries"`
	}
	h.call(http.MethodGet, "/v1/candidates/"+cid+"/deliveries", token, nil, &log)
	if len(log.Deliveries) != 1 || log.Deliveries[0].Outcome != "delivered" {
		t.Fatalf("log after replay: %+v", log)
	}
}

func TestPausedEndpointHoldsThenResumeReplays(t *testing.T) {
	t.Parallel()
	h := start(t)
	rc := newReceiver(t, nil)
	cid, token := h.candidate("ada@example.org")
	h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL})
	endpoint := rc.Listener.Addr().String()
	if err := h.control("clinjobs.notification.endpoints.pause", map[string]any{"endpoint": endpoint}, nil); err != nil {
		t.Fatal(err)
	}
	closes := h.clock.Now().Add(30 * 24 * time.Hour)
	for range 3 {
		h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes), "")
	}
	h.settled()
	var eps struct {
		Endpoints []notification.EndpointView `json:"endpoints"`
	}
	if err := h.control("clinjobs.notification.endpoints.list", map[string]any{}, &eps); err != nil || len(eps.Endpoints) != 1 ||
		!eps.Endpoints[0].Paused || eps.Endpoints[0].Held != 3 || len(rc.got()) != 0 {
		t.Fatalf("paused endpoint: %v %+v, %d sent", err, eps, len(rc.got()))
	}
	var resumed struct {
		Replayed int `json:"replayed"`
	}
	if err := h.control("clinjobs.notification.endpoints.resume", map[string]any{"endpoint": endpoint}, &resumed); err != nil || resumed.Replayed != 3 {
		t.Fatalf("resume: %v %+v", err, resumed)
	}
	testwait.Until(t, 10*time.Second, "the held alerts", func() bool { return len(rc.got()) == 3 })
}

// TestSlowEndpointHoldsOnlyItsOwn: an endpoint that does not answer ties up
// at most its concurrency limit of workers; another candidate's alert goes
// through meanwhile.
func TestSlowEndpointHoldsOnlyItsOwn(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *notification.Config, _ *notification.Deps) {
		c.Workers, c.Endpoints.Concurrency, c.WebhookTimeout = 4, 2, 20*time.Second
	})
	release := make(chan struct{})
	inFlight, most := 0, 0
	var slow *receiver
	slow = newReceiver(t, func(int) int {
		slow.mu.Lock()
		inFlight++
		most = max(most, inFlight)
		slow.mu.Unlock()
		<-release
		slow.mu.Lock()
		inFlight--
		slow.mu.Unlock()
		return http.StatusNoContent
	})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	fast := newReceiver(t, nil)
	a, ta := h.candidate("a@example.org")
	b, tb := h.candidate("b@example.org")
	h.subscribe(a, ta, map[string]any{"channel": "webhook", "url": slow.URL})
	h.subscribe(b, tb, map[string]any{"channel": "webhook", "url": fast.URL})
	closes := h.clock.Now().Add(30 * 24 * time.Hour)
	for range 10 {
		h.match(a, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes), "")
	}
	testwait.Until(t, 10*time.Second, "the slow endpoint is busy", func() bool { return len(slow.got()) == 2 })
	h.match(b, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes), "")
	testwait.Until(t, 10*time.Second, "the other candidate's alert", func() bool { return len(fast.got()) == 1 })
	slow.mu.Lock()
	busy := most
	slow.mu.Unlock()
	if busy > 2 {
		t.Fatalf("%d deliveries in flight to one endpoint, limit 2", busy)
	}
	close(release)
	testwait.Until(t, 20*time.Second, "the slow endpoint's alerts", func() bool { return len(slow.got()) == 10 })
}

func TestEveryRouteIsDocumented(t *testing.T) {
	t.Parallel()
	h := start(t)
	openapitest.CheckRoutes(t, h.svc.Handler().(*gin.Engine), notification.Document())
}
