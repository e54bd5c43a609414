package notification_test

import (
	"bufio"
	"context"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/testwait"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/notification"
)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDailyDigestAcrossTheClockChange: a digest at 9 in the morning,
// London time, on the Sunday the clocks go forward (29 March 2026), goes at
// 08:00 UTC, with the matches of the day before grouped by role family.
func TestDailyDigestAcrossTheClockChange(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.clock.Set(at(t, "2026-03-28T10:00:00Z"))
	rc := newReceiver(t, nil)
	cid, token := h.candidate("ada@example.org")
	sub := h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL, "rhythm": "daily", "hour": 9})
	if next := sub.Subscription.NextDigest; next == nil || !next.Equal(at(t, "2026-03-29T08:00:00Z")) {
		t.Fatalf("next digest %v, want 08:00 UTC (09:00 BST)", next)
	}
	closes := at(t, "2026-04-30T23:00:00Z")
	soon := at(t, "2026-04-10T23:00:00Z")
	eng1 := vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes)
	eng2 := vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_7, soon)
	sci := vacancy(eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_SCIENTIST, eventsv1.Band_BAND_7, closes)
	for _, v := range []*eventsv1.VacancySummary{eng1, eng2, sci} {
		h.match(cid, v, "")
	}
	h.settled()
	h.clock.Set(at(t, "2026-03-29T07:59:00Z")) // 08:59 BST
	if err := h.svc.SendDueDigests(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.settled()
	if n := len(rc.got()); n != 0 {
		t.Fatalf("%d digests before 9 o'clock", n)
	}
	h.clock.Set(at(t, "2026-03-29T08:00:00Z")) // 09:00 BST
	late := vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes)
	h.match(cid, late, "") // after the slot: tomorrow's digest
	h.settled()
	for range 2 { // a second run, as by another replica, sends nothing more
		if err := h.svc.SendDueDigests(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	testwait.Until(t, 10*time.Second, "the digest", func() bool { return len(rc.got()) == 1 })
	h.settled()
	got := rc.got()
	if len(got) != 1 {
		t.Fatalf("%d digests", len(got))
	}
	p := got[0].Payload
	if p.Type != notification.TypeDigest || p.Data.Period != "2026-03-29" || len(p.Data.Matches) != 3 {
		t.Fatalf("digest %+v", p)
	}
	h.clock.Set(at(t, "2026-03-30T08:00:00Z"))
	if err := h.svc.SendDueDigests(t.Context()); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, 10*time.Second, "the next day's digest", func() bool { return len(rc.got()) == 2 })
	if p := rc.got()[1].Payload; p.Data.Period != "2026-03-30" || len(p.Data.Matches) != 1 || p.Data.Matches[0].Vacancy.ID != late.GetId() {
		t.Fatalf("second digest %+v", p)
	}
}

func TestWeeklyEmailDigestGroupsByRoleAndClosingDate(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	h := start(t, withMail(mb))
	h.clock.Set(at(t, "2026-10-20T10:00:00Z")) // a Tuesday in summer time
	cid, token := h.candidate("ada@example.org")
	h.subscribe(cid, token, map[string]any{"channel": "email", "rhythm": "weekly", "weekday": "monday", "hour": 7})
	late := vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, at(t, "2026-11-30T23:59:00Z"))
	early := vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, at(t, "2026-11-10T23:59:00Z"))
	stp := vacancy(eventsv1.RoleFamily_ROLE_FAMILY_STP_TRAINEE, eventsv1.Band_BAND_6, at(t, "2026-11-01T23:59:00Z"))
	for _, v := range []*eventsv1.VacancySummary{late, early, stp} {
		h.match(cid, v, "")
	}
	h.settled()
	// The clocks went back on 25 October: Monday 26 October 07:00 GMT.
	h.clock.Set(at(t, "2026-10-26T06:59:00Z"))
	if err := h.svc.SendDueDigests(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(at(t, "2026-10-26T07:00:00Z"))
	if err := h.svc.SendDueDigests(t.Context()); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, 10*time.Second, "the weekly digest", func() bool { return len(mb.messages()) == 1 })
	h.settled()
	if n := len(mb.messages()); n != 1 {
		t.Fatalf("%d digests", n)
	}
	text, _ := parts(t, mb.messages()[0])
	iEng, iSTP := strings.Index(text, "== Clinical engineer =="), strings.Index(text, "== Scientist Training Programme ==")
	iEarly, iLate := strings.Index(text, early.GetTitle()), strings.Index(text, late.GetTitle())
	if iEng < 0 || iSTP < 0 || iEarly < 0 || iLate < 0 || !(iEng < iEarly && iEarly < iLate && iLate < iSTP) {
		t.Fatalf("digest not grouped by role, soonest closing first:\n%s", text)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(mb.messages()[0].Header.Get("Subject"))
	if subject != "Weekly digest: 3 clinical engineering vacancies for you" {
		t.Fatalf("Subject %q", subject)
	}
}

// event is one server-sent event.
type event struct{ ID, Event, Data string }

// readEvents reads events from an open stream into ch until it ends.
func readEvents(t *testing.T, ctx context.Context, url, token, lastID string) <-chan event {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ch := make(chan event, 16)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var e event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.Data != "" {
					ch <- e
				}
				e = event{}
			case strings.HasPrefix(line, "id: "):
				e.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				e.Data = line[6:]
			}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan event) event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("the stream ended")
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return event{}
}

func TestLiveStreamResumesFromLastEventID(t *testing.T) {
	t.Parallel()
	h := start(t)
	cid, token := h.candidate("ada@example.org")
	h.subscribe(cid, token, map[string]any{"channel": "sse"})
	url := h.api.URL + "/v1/candidates/" + cid + "/events"
	ctx, cancel := context.WithCancel(t.Context())
	events := readEvents(t, ctx, url, token, "")
	closes := h.clock.Now().Add(30 * 24 * time.Hour)
	vs := []*eventsv1.VacancySummary{}
	for range 3 {
		vs = append(vs, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, closes))
	}
	h.match(cid, vs[0], "")
	first := next(t, events)
	if first.Event != notification.TypeMatched || !strings.Contains(first.Data, vs[0].GetId()) {
		t.Fatalf("first event %+v", first)
	}
	cancel() // the client goes away
	h.match(cid, vs[1], "")
	h.match(cid, vs[2], "")
	h.settled()
	again := readEvents(t, t.Context(), url, token, first.ID)
	// Two workers may have sent them in either order.
	got := next(t, again).Data + next(t, again).Data
	for _, v := range vs {
		if n := strings.Count(got, `"id":"`+v.GetId()+`"`); n != map[bool]int{true: 0, false: 1}[v == vs[0]] {
			t.Fatalf("after reconnecting, vacancy %s appears %d times in %s", v.GetId(), n, got)
		}
	}
	select {
	case e := <-again:
		t.Fatalf("an event more: %+v", e)
	case <-time.After(200 * time.Millisecond):
	}
}

// TestKilledBetweenSendAndAckSendsNoSecondAlert kills the service (its NATS
// connection closed, nothing drained) after an alert is sent and recorded
// and before the acknowledgement; another instance gets the message again
// and sends nothing.
func TestKilledBetweenSendAndAckSendsNoSecondAlert(t *testing.T) {
	t.Parallel()
	var once sync.Once
	killed := make(chan struct{})
	var victim *nats.Conn
	h := start(t, func(c *notification.Config, d *notification.Deps) {
		c.AckWait = time.Second
		d.BeforeAck = func(string) {
			once.Do(func() {
				victim.Close()
				close(killed)
			})
		}
	})
	_ = h.svc.Stop(t.Context()) // replaced by one on a connection the test can kill
	var err error
	if victim, err = nats.Connect(h.ns.ClientURL()); err != nil {
		t.Fatal(err)
	}
	h.run(victim)
	rc := newReceiver(t, nil)
	cid, token := h.candidate("ada@example.org")
	h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL})
	h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, h.clock.Now().Add(30*24*time.Hour)), "")
	select {
	case <-killed:
	case <-time.After(10 * time.Second):
		t.Fatal("no alert was sent")
	}
	h.deps.BeforeAck = nil
	h.run(natsConn(t, h))
	h.settled()
	if n := len(rc.got()); n != 1 {
		t.Fatalf("%d alerts after the kill, want 1", n)
	}
	info := consumerInfo(t, h.js, notification.StreamDeliveries, "notification-deliveries")
	if info.NumRedelivered == 0 && info.Delivered.Consumer < 2 {
		t.Fatalf("the message was not redelivered (%+v): the test proves nothing", info)
	}
}

func natsConn(t *testing.T, h *harness) *nats.Conn {
	nc, err := nats.Connect(h.ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func consumerInfo(t *testing.T, js jetstream.JetStream, stream, durable string) *jetstream.ConsumerInfo {
	t.Helper()
	c, err := js.Consumer(t.Context(), stream, durable)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestClosingSoonReminderOnce(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *notification.Config, _ *notification.Deps) { c.ReminderPoll = 50 * time.Millisecond })
	h.clock.Set(at(t, "2026-06-01T09:00:00Z"))
	rc := newReceiver(t, nil)
	cid, token := h.candidate("ada@example.org")
	h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL})
	other, otherToken := h.candidate("grace@example.org")
	quiet := newReceiver(t, nil)
	h.subscribe(other, otherToken, map[string]any{"channel": "webhook", "url": quiet.URL, "reminders": false})
	v := vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, at(t, "2026-06-04T22:59:00Z"))
	h.storeVacancy(v)
	h.match(cid, v, "")
	h.match(other, v, "")
	h.settled()
	h.clock.Set(at(t, "2026-06-02T22:00:00Z")) // not yet two days before
	// The reminder is looked at again, twice, with the clock where it is.
	seen := consumerInfo(t, h.js, notification.StreamReminders, "notification-reminders").Delivered.Consumer
	testwait.Until(t, 10*time.Second, "the reminder looked at twice more", func() bool {
		return consumerInfo(t, h.js, notification.StreamReminders, "notification-reminders").Delivered.Consumer >= seen+2
	})
	if n := len(rc.got()); n != 1 {
		t.Fatalf("%d alerts before the reminder is due", n)
	}
	h.clock.Set(at(t, "2026-06-02T23:00:00Z"))
	testwait.Until(t, 10*time.Second, "the reminder", func() bool { return len(rc.got()) == 2 })
	// Done with: no reminder waits any more, and nothing is on its way.
	testwait.Until(t, 10*time.Second, "no reminder left", func() bool {
		st, err := h.js.Stream(t.Context(), notification.StreamReminders)
		if err != nil {
			return false
		}
		info, err := st.Info(t.Context())
		return err == nil && info.State.Msgs == 0
	})
	h.settled()
	got := rc.got()
	if len(got) != 2 || got[1].Payload.Type != notification.TypeClosingSoon || got[1].ID == got[0].ID {
		t.Fatalf("alerts %+v", got)
	}
	if n := len(quiet.got()); n != 1 {
		t.Fatalf("a candidate who opted out got %d alerts", n)
	}
}

// Reminders wait in the stream under the server's schedule, not in a
// consumer's hands: however many wait, none is held unacknowledged, so
// none waits behind another.
func TestRemindersWaitUnheld(t *testing.T) {
	t.Parallel()
	h := start(t)
	rc := newReceiver(t, nil)
	cid, token := h.candidate("ada@example.org")
	h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL})
	const n = 5
	for range n {
		h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, h.clock.Now().Add(30*24*time.Hour)), "")
	}
	h.settled()
	testwait.Until(t, 10*time.Second, "the reminders scheduled", func() bool {
		st, err := h.js.Stream(t.Context(), notification.StreamReminders)
		if err != nil {
			return false
		}
		info, err := st.Info(t.Context())
		return err == nil && info.State.Msgs == n
	})
	info := consumerInfo(t, h.js, notification.StreamReminders, "notification-reminders")
	if info.NumAckPending != 0 || info.NumPending != 0 || info.Delivered.Consumer != 0 {
		t.Fatalf("reminders consumer: %d unacknowledged, %d pending, %d delivered; want none before they are due",
			info.NumAckPending, info.NumPending, info.Delivered.Consumer)
	}
	if got := len(rc.got()); got != n {
		t.Fatalf("%d alerts, want %d", got, n)
	}
}

func TestErasureForgetsTheCandidate(t *testing.T) {
	t.Parallel()
	h := start(t)
	rc := newReceiver(t, nil)
	cid, token := h.candidate("ada@example.org")
	h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL})
	h.subscribe(cid, token, map[string]any{"channel": "webhook", "url": rc.URL, "rhythm": "weekly"})
	h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, h.clock.Now().Add(30*24*time.Hour)), "")
	testwait.Until(t, 10*time.Second, "the alert", func() bool { return len(rc.got()) == 1 })
	h.settled()
	keep, _ := h.candidate("grace@example.org")
	kv, _ := h.js.KeyValue(t.Context(), bus.BucketCandidates)
	if err := kv.Purge(t.Context(), partition.Key(cid)); err != nil {
		t.Fatal(err)
	}
	for _, bucket := range []string{notification.BucketSubscriptions, notification.BucketAlerts, notification.BucketDigests} {
		testwait.Until(t, 10*time.Second, "nothing of the candidate in "+bucket, func() bool {
			kv, err := h.js.KeyValue(t.Context(), bucket)
			if err != nil {
				return false
			}
			keys, err := kv.ListKeysFiltered(t.Context(), cid+".>", cid)
			if err != nil {
				return false
			}
			for range keys.Keys() {
				return false
			}
			return true
		})
	}
	if _, err := kv.Get(t.Context(), partition.Key(keep)); err != nil {
		t.Fatalf("another candidate: %v", err)
	}
	var export map[string]any
	if err := h.control("clinjobs.notification.candidate.export", map[string]any{"candidate_id": cid}, &export); err != nil ||
		len(export["subscriptions"].([]any)) != 0 || len(export["deliveries"].([]any)) != 0 {
		t.Fatalf("export after erasure: %v %v", err, export)
	}
}
