package notification

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/webhook"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/notification/internal/schedule"
	"github.com/clinjobs/clinjobs/services/notification/mail"
)

// endpointWait is how long a delivery waits for a busy endpoint's slot
// before it is put back for later.
const endpointWait = 100 * time.Millisecond

// permanent marks a failure that no retry can mend (an address the policy
// refuses, a mailbox the server says does not exist): the delivery becomes
// a dead letter at once.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

func isPermanent(err error) bool {
	var p permanent
	var mp mail.PermanentError
	return errors.As(err, &p) || errors.As(err, &mp) || errors.Is(err, errGone) ||
		errors.Is(err, webhook.ErrForbiddenAddress) || errors.Is(err, webhook.ErrRedirect)
}

// disable pauses the subscription of d, whose receiver answered 410 Gone:
// nothing more is sent to it until the candidate resumes it (or registers
// a new URL). The delivery itself becomes a dead letter whose reason says
// so, in the candidate's delivery log.
func (s *Service) disable(ctx context.Context, d *eventsv1.Delivery) {
	errGoneAlready := errors.New("no such subscription")
	err := s.editSubscriptions(ctx, d.GetCandidateId(), func(list *eventsv1.Subscriptions) error {
		for _, sub := range list.GetItems() {
			if sub.GetId() == d.GetSubscriptionId() {
				sub.Paused = true
				sub.UpdatedAtUnixMs = s.now().UnixMilli()
				return nil
			}
		}
		return errGoneAlready
	})
	if errors.Is(err, errGoneAlready) {
		return
	}
	if err != nil {
		s.log.WarnContext(ctx, "pause a subscription whose endpoint is gone", "subscription", d.GetSubscriptionId(), "err", err)
		return
	}
	s.log.InfoContext(ctx, "subscription paused: its endpoint answered 410 Gone", "subscription", d.GetSubscriptionId())
}

func kindName(k eventsv1.DeliveryKind) string {
	if n := jobs.Name(k); n != "" {
		return n
	}
	return "alert"
}

// onDelivery sends one delivery, unless it was sent already.
func (s *Service) onDelivery(ctx context.Context, msg jetstream.Msg) error {
	var d eventsv1.Delivery
	if err := proto.Unmarshal(msg.Data(), &d); err != nil {
		return bus.Term(fmt.Errorf("decode delivery: %w", err))
	}
	channel, kind := jobs.Name(d.GetChannel()), kindName(d.GetKind())
	count := func(outcome string) { s.metrics.deliveries.WithLabelValues(channel, kind, outcome).Inc() }
	key := recordKey(&d)
	var done eventsv1.AlertDelivered
	if _, err := s.alerts.Get(ctx, key, &done); err == nil {
		count("duplicate")
		return nil
	} else if !errors.Is(err, bus.ErrNotFound) {
		return err
	}
	sub, err := s.subscription(ctx, d.GetCandidateId(), d.GetSubscriptionId())
	if errors.Is(err, bus.ErrNotFound) || err == nil && sub.GetPaused() {
		// The candidate unsubscribed or paused since: they asked not to
		// hear, so the delivery is dropped, not kept for later.
		count("dropped")
		return nil
	}
	if err != nil {
		return err
	}
	endpoint := endpointOf(sub)
	if s.isPaused(endpoint) {
		count("held")
		return s.deadLetter(ctx, &d, endpoint, "endpoint paused by an operator", 0, true)
	}
	// A slow endpoint is sent to only with a place in the slow lane,
	// whose small budget it shares with every other slow endpoint, and
	// with a time-out that shortens while it stays slow.
	slow, timeout := s.guard.Slow(endpoint, s.cfg.WebhookTimeout)
	var leaveLane func()
	if slow {
		var ok bool
		if leaveLane, ok = s.guard.TakeLane(); !ok {
			if s.tooOld(&d) {
				count("dead")
				return s.deadLetter(ctx, &d, endpoint, "slow endpoint; the slow lane full for longer than the retry schedule", 0, false)
			}
			count("deferred")
			return s.later(ctx, msg, &d, slowLaneWait, "slow", errors.New("slow endpoint; the slow lane is full"))
		}
	}
	release, refused := s.guard.Acquire(endpoint, endpointWait)
	if refused != nil {
		if leaveLane != nil {
			leaveLane()
		}
		if s.tooOld(&d) {
			count("dead")
			return s.deadLetter(ctx, &d, endpoint, refused.Reason+" for longer than the retry schedule", 0, false)
		}
		count("deferred")
		return s.later(ctx, msg, &d, refused.After, "deferred", errors.New(refused.Reason))
	}
	a := &attempt{msg: msg, d: &d, sub: sub, endpoint: endpoint, timeout: timeout, release: release, count: count}
	wctx, finish, detachable := bus.Detach(ctx)
	if !detachable {
		err := s.attempt(ctx, ctx, a)
		if leaveLane != nil {
			leaveLane()
		}
		return err
	}
	// The send goes on in a goroutine of its own, so that a worker waits
	// for it only as long as SlowAfter: a send that takes longer moves to
	// the slow lane and frees the worker for the healthy endpoints.
	sendCtx, cancelSend := context.WithCancel(wctx)
	result := make(chan error, 1)
	go func() { result <- s.attempt(wctx, sendCtx, a) }()
	handOn := func(leave func()) error {
		go func() {
			err := <-result
			cancelSend()
			leave()
			finish(err)
		}()
		return bus.ErrDetached
	}
	if slow {
		return handOn(leaveLane)
	}
	// With the slow lane full a slow send could only be cut off, so the
	// worker waits a quarter as long to find out: a storm of new slow
	// endpoints then costs the workers little, and a quick endpoint
	// answers well within it.
	wait := s.guard.SlowAfter()
	if s.guard.LaneFull() {
		wait /= 4
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-result:
		cancelSend()
		finish(err)
		return bus.ErrDetached
	case <-t.C:
	}
	if leave, ok := s.guard.TakeLane(); ok {
		return handOn(leave)
	}
	// The slow lane is full: the send is cut off and put off, not counted
	// as the endpoint's failure.
	a.cutOff.Store(true)
	cancelSend()
	finish(<-result)
	return bus.ErrDetached
}

// slowLaneWait is how long a delivery waits for another try when the slow
// lane had no place for its endpoint.
const slowLaneWait = 5 * time.Second

// attempt is one try of a delivery, from the send on.
type attempt struct {
	msg      jetstream.Msg
	d        *eventsv1.Delivery
	sub      *eventsv1.Subscription
	endpoint string
	timeout  time.Duration
	release  func(ok bool)
	count    func(string)
	// cutOff is set when the send was cancelled for being slow with the
	// slow lane full.
	cutOff atomic.Bool
}

// attempt sends a's delivery within sendCtx and its time-out, and records
// the outcome within ctx: the alert as sent, or the failure against the
// retry schedule.
func (s *Service) attempt(ctx, sendCtx context.Context, a *attempt) error {
	channel := jobs.Name(a.d.GetChannel())
	start := time.Now()
	tctx, cancel := context.WithTimeout(sendCtx, a.timeout)
	err := s.send(tctx, a.sub, a.d)
	cancel()
	took := time.Since(start)
	cutOff := a.cutOff.Load()
	if cutOff || errors.Is(tctx.Err(), context.DeadlineExceeded) {
		// Cut off or timed out: slow, however long it was let run.
		took = max(took, s.guard.SlowAfter())
	}
	s.guard.Took(a.endpoint, took)
	a.release(err == nil || cutOff)
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	s.metrics.sendTime.WithLabelValues(channel, outcome).Observe(took.Seconds())
	if err != nil && cutOff {
		if s.tooOld(a.d) {
			a.count("dead")
			return s.deadLetter(ctx, a.d, a.endpoint, "slow endpoint; the slow lane full for longer than the retry schedule", 0, false)
		}
		a.count("deferred")
		return s.later(ctx, a.msg, a.d, slowLaneWait, "slow", errors.New("slow endpoint; the slow lane is full"))
	}
	if err != nil {
		return s.failed(ctx, a.msg, a.d, a.endpoint, err, a.count)
	}
	if err := s.record(ctx, a.d, a.sub, a.endpoint); err != nil {
		return err
	}
	if triedBefore(a.msg) {
		// A delivery tried before may have a failure count to forget; a
		// first try has none, and a purge would be a write for nothing.
		_ = s.states.Erase(ctx, a.d.GetId())
	}
	a.count("sent")
	if s.beforeAck != nil {
		s.beforeAck(a.d.GetId())
	}
	return nil
}

// tooOld reports whether a delivery has waited longer than the whole retry
// schedule (held back, untried, by an open circuit).
func (s *Service) tooOld(d *eventsv1.Delivery) bool {
	return s.now().Sub(time.UnixMilli(d.GetCreatedAtUnixMs())) > schedule.Span(s.cfg.Retries)
}

// failed counts a failure against the schedule and asks for the next try,
// or makes the delivery a dead letter after the last.
func (s *Service) failed(ctx context.Context, msg jetstream.Msg, d *eventsv1.Delivery, endpoint string, sendErr error, count func(string)) error {
	var st eventsv1.DeliveryState
	rev, err := s.states.Get(ctx, d.GetId(), &st)
	if err != nil && !errors.Is(err, bus.ErrNotFound) {
		return err
	}
	st.DeliveryId, st.LastError, st.LastFailedAtUnixMs = d.GetId(), sendErr.Error(), s.now().UnixMilli()
	st.Failures++
	wait, more := schedule.Backoff(s.cfg.Retries, int(st.Failures))
	var later retryLater
	if errors.As(sendErr, &later) {
		// The receiver said when (429 or 503 with Retry-After): no sooner.
		wait = max(wait, later.after)
	}
	if errors.Is(sendErr, errGone) {
		s.disable(ctx, d)
	}
	if isPermanent(sendErr) || !more || s.tooOld(d) {
		count("dead")
		if err := s.deadLetter(ctx, d, endpoint, sendErr.Error(), st.Failures, false); err != nil {
			return err
		}
		_ = s.states.Erase(ctx, d.GetId())
		return nil
	}
	if rev == 0 {
		_, err = s.states.Create(ctx, d.GetId(), fmt.Sprintf("state.%s.%d", d.GetId(), st.Failures), &st)
	} else {
		_, err = s.states.Update(ctx, d.GetId(), rev, &st)
	}
	if errors.Is(err, bus.ErrStale) || errors.Is(err, bus.ErrExists) {
		// Another worker counted this failure: the message was in two
		// hands; try again soon and count afresh.
		return bus.Delay(sendErr, time.Second)
	}
	if err != nil {
		return err
	}
	count("failed")
	s.log.WarnContext(ctx, "delivery failed; will retry", "delivery", d.GetId(), "endpoint", endpoint,
		"failures", st.Failures, "retry_in", wait.Round(time.Second), "err", sendErr)
	s.announceFailure(ctx, d, endpoint, sendErr.Error(), st.Failures, false)
	return s.later(ctx, msg, d, wait, "retry", sendErr)
}

// shortWait is the longest a delivery waits in hand, unacknowledged, for
// its next try: a moment's wait for a busy endpoint costs the consumer one
// of its slots for that moment. Anything longer waits in the stream.
const shortWait = 2 * time.Second

// later puts the delivery in msg back to be tried again after wait. A
// short wait is a redelivery with a delay; a longer one (a retry on the
// schedule, an open circuit) is a copy of the message scheduled in the
// stream (Nats-Schedule) on a subject of its own, which the server puts
// back on the delivery's subject when it is due, and msg is acknowledged.
// A message waiting for redelivery counts against the consumer's
// MaxAckPending the whole time, so a few hundred endpoints failing for
// hours would hold every slot and stop delivery for everyone; a scheduled
// message is held by no consumer, and any number can wait. The
// delivery's later schedules roll up its earlier one, so at most one
// waits per delivery. why names the kind of wait in the message id.
func (s *Service) later(ctx context.Context, msg jetstream.Msg, d *eventsv1.Delivery, wait time.Duration, why string, cause error) error {
	if wait <= shortWait && !nearMaxDeliver(msg) {
		return bus.Delay(cause, wait)
	}
	// The server fires on its own clock: the wait is carried over, not
	// the moment on the service's clock (a test's, a skewed host's).
	at := time.Now().Add(wait).UTC()
	if _, err := s.pub.Publish(ctx, bus.Message{
		Subject: retrySubject(d.GetId()), ID: fmt.Sprintf("%s.%s.%d", why, d.GetId(), at.UnixNano()), Data: msg.Data(),
		Header: nats.Header{
			jetstream.ScheduleHeader:       {"@at " + at.Format(time.RFC3339Nano)},
			jetstream.ScheduleTargetHeader: {msg.Subject()},
			jetstream.MsgRollup:            {jetstream.MsgRollupSubject},
		},
	}); err != nil {
		// Not scheduled: the message itself comes again, after the
		// consumer's own back-off.
		return fmt.Errorf("schedule delivery %s after %v: %w", d.GetId(), cause, err)
	}
	return nil
}

// retrySubject is where a delivery waits for its next try; the stream
// holds it there, outside the deliveries consumer's filter.
func retrySubject(deliveryID string) string { return "delivery-retries." + deliveryID }

// nearMaxDeliver reports whether msg has come so often that its consumer
// would soon give it up: a delivery deferred again and again (an endpoint
// busy for long) is then scheduled, as a fresh message, rather than
// redelivered once more.
func nearMaxDeliver(msg jetstream.Msg) bool {
	md, err := msg.Metadata()
	return err == nil && md.NumDelivered >= bus.MaxDeliver/2
}

// triedBefore reports whether msg is a delivery that came back for
// another try: redelivered, or put back by its schedule.
func triedBefore(msg jetstream.Msg) bool {
	if msg.Headers().Get(jetstream.SchedulerHeader) != "" {
		return true
	}
	md, err := msg.Metadata()
	return err == nil && md.NumDelivered > 1
}

// deadLetter keeps the delivery for an operator and says so on ALERTS.
func (s *Service) deadLetter(ctx context.Context, d *eventsv1.Delivery, endpoint, reason string, attempts int32, held bool) error {
	dl := &eventsv1.DeadLetter{
		Delivery: d, Endpoint: endpoint, Reason: reason, Attempts: attempts,
		DeadAtUnixMs: s.now().UnixMilli(), Held: held,
	}
	key := deadLetterKey(d)
	var old eventsv1.DeadLetter
	rev, err := s.deadLetters.Get(ctx, key, &old)
	switch {
	case errors.Is(err, bus.ErrNotFound):
		_, err = s.deadLetters.Create(ctx, key, fmt.Sprintf("dead.%s.%d", d.GetId(), dl.GetDeadAtUnixMs()), dl)
		if errors.Is(err, bus.ErrExists) {
			err = nil
		}
	case err == nil:
		_, err = s.deadLetters.Update(ctx, key, rev, dl)
		if errors.Is(err, bus.ErrStale) {
			err = nil
		}
	}
	if err != nil {
		return err
	}
	if !held {
		s.log.WarnContext(ctx, "delivery is a dead letter", "delivery", d.GetId(), "endpoint", endpoint, "attempts", attempts, "reason", reason)
		s.announceFailure(ctx, d, endpoint, reason, attempts, true)
	}
	return nil
}

func deadLetterKey(d *eventsv1.Delivery) string { return d.GetCandidateId() + "." + d.GetId() }

func (s *Service) announceFailure(ctx context.Context, d *eventsv1.Delivery, endpoint, reason string, attempt int32, dead bool) {
	ev := &eventsv1.AlertFailed{
		DeliveryId: d.GetId(), CandidateId: d.GetCandidateId(), VacancyId: d.GetMatch().GetVacancy().GetId(),
		SubscriptionId: d.GetSubscriptionId(), Channel: d.GetChannel(), Attempt: attempt, Reason: reason,
		DeadLetter: dead, FailedAtUnixMs: s.now().UnixMilli(), Endpoint: endpoint, Kind: d.GetKind(),
	}
	if _, err := s.pub.Publish(ctx, bus.Message{
		Subject: bus.AlertSubject("failed", jobs.Name(d.GetChannel()), d.GetCandidateId()),
		ID:      fmt.Sprintf("failed.%s.%d.%t", d.GetId(), attempt, dead),
		Body:    ev,
	}); err != nil {
		// The event feeds the operators' rates; the retry goes on without it.
		s.log.WarnContext(ctx, "announce a failed delivery", "delivery", d.GetId(), "err", err)
	}
}

// record writes that the delivery was sent, before it is acknowledged: a
// redelivered message then finds the record and sends nothing. A digest
// records each vacancy it told of too, and clears them from the queue.
//
// What the send leads to (the closing-soon reminders to schedule, the
// delivered events on ALERTS) is published first and the record written
// last: a publish that fails leaves no record, so the retry sends again
// (with the same id, which receivers dedupe on) and publishes again (with
// the same message ids, which the streams dedupe on) instead of taking
// itself for a duplicate and losing the reminder.
func (s *Service) record(ctx context.Context, d *eventsv1.Delivery, sub *eventsv1.Subscription, endpoint string) error {
	now := s.now()
	told := d.GetItems()
	if d.GetKind() != eventsv1.DeliveryKind_DELIVERY_KIND_DIGEST {
		told = []*eventsv1.MatchFound{d.GetMatch()}
	}
	var msgs []bus.Message
	for _, m := range told {
		v := m.GetVacancy()
		if r := s.reminderFor(d, sub, m); r != nil {
			msgs = append(msgs, *r)
		}
		msgs = append(msgs, bus.Message{
			Subject: bus.AlertSubject("delivered", jobs.Name(d.GetChannel()), d.GetCandidateId()),
			ID:      "delivered." + d.GetId() + "." + v.GetId(),
			Body: &eventsv1.AlertDelivered{
				DeliveryId: d.GetId(), CandidateId: d.GetCandidateId(), VacancyId: v.GetId(),
				SubscriptionId: d.GetSubscriptionId(), Channel: d.GetChannel(), DeliveredAtUnixMs: now.UnixMilli(),
				VacancyPostedAtUnixMs: v.GetPostedAtUnixMs(), Kind: d.GetKind(), Endpoint: endpoint, Period: d.GetPeriod(),
			},
		})
	}
	if err := s.pub.PublishAll(ctx, msgs); err != nil {
		return err
	}
	rec := func(key, vacancyID string, postedAt int64) error {
		r := &eventsv1.AlertDelivered{
			DeliveryId: d.GetId(), CandidateId: d.GetCandidateId(), VacancyId: vacancyID,
			SubscriptionId: d.GetSubscriptionId(), Channel: d.GetChannel(), DeliveredAtUnixMs: now.UnixMilli(),
			VacancyPostedAtUnixMs: postedAt, Kind: d.GetKind(), Endpoint: endpoint, Period: d.GetPeriod(),
		}
		if _, err := s.alerts.Create(ctx, key, "alert."+key, r); err != nil && !errors.Is(err, bus.ErrExists) {
			return err
		}
		return nil
	}
	if d.GetKind() == eventsv1.DeliveryKind_DELIVERY_KIND_DIGEST {
		for _, m := range told {
			v := m.GetVacancy()
			if err := rec(alertKey(d.GetCandidateId(), v.GetId(), d.GetSubscriptionId()), v.GetId(), v.GetPostedAtUnixMs()); err != nil {
				return err
			}
		}
	}
	v := d.GetMatch().GetVacancy()
	if err := rec(recordKey(d), v.GetId(), v.GetPostedAtUnixMs()); err != nil {
		return err
	}
	if d.GetKind() == eventsv1.DeliveryKind_DELIVERY_KIND_DIGEST {
		for _, m := range told {
			_ = s.digests.Erase(ctx, digestKey(d.GetCandidateId(), d.GetSubscriptionId(), m.GetVacancy().GetId()))
		}
	}
	return nil
}

// readSubscriptions reads a candidate's subscriptions. A replicated bucket
// answers from any replica, which may not have a subscription made a
// moment ago; before a match or a delivery is dropped for want of one, the
// stream's leader is asked.
func (s *Service) readSubscriptions(ctx context.Context, candidateID string, into *eventsv1.Subscriptions) error {
	_, err := s.subscriptions.GetConfirmed(ctx, candidateID, into, nil)
	return err
}

func (s *Service) subscription(ctx context.Context, candidateID, id string) (*eventsv1.Subscription, error) {
	var list eventsv1.Subscriptions
	if err := s.readSubscriptions(ctx, candidateID, &list); err != nil {
		return nil, err
	}
	for _, sub := range list.GetItems() {
		if sub.GetId() == id {
			return sub, nil
		}
	}
	return nil, bus.ErrNotFound
}
