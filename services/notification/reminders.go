package notification

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/bus"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// reminderFor returns the reminder to schedule for a vacancy just told of,
// if the subscription wants reminders and the vacancy closes later than
// the reminder's lead time from now.
func (s *Service) reminderFor(d *eventsv1.Delivery, sub *eventsv1.Subscription, m *eventsv1.MatchFound) *bus.Message {
	closes := m.GetVacancy().GetClosesAtUnixMs()
	if d.GetKind() == eventsv1.DeliveryKind_DELIVERY_KIND_CLOSING_SOON || sub.GetNoReminders() || closes == 0 {
		return nil
	}
	due := time.UnixMilli(closes).Add(-s.cfg.ReminderBefore)
	if !due.After(s.now()) {
		return nil
	}
	r := &eventsv1.Reminder{CandidateId: d.GetCandidateId(), SubscriptionId: sub.GetId(), Match: m, DueAtUnixMs: due.UnixMilli()}
	return s.schedule(r, due)
}

// schedule returns the message that asks JetStream to hand r to the
// reminders consumer when it is due, or after ReminderPoll if that is
// sooner, so that a closing date brought forward is seen. The reminder
// waits in the stream, on a subject of its own, under the server's message
// schedule: nothing holds it unacknowledged, so any number can wait. A
// later schedule of the same reminder rolls up the earlier one.
//
// The server fires on its own clock, so what is carried over is the wait
// measured on the service's: a clock that differs (a test's, a skewed
// host's) moves the moment, not the wait.
func (s *Service) schedule(r *eventsv1.Reminder, due time.Time) *bus.Message {
	key := alertKey(r.GetCandidateId(), r.GetMatch().GetVacancy().GetId(), r.GetSubscriptionId())
	wait := min(max(due.Sub(s.now()), 0), s.cfg.ReminderPoll)
	at := time.Now().Add(wait).UTC()
	return &bus.Message{
		Subject: reminderScheduleSubject(key),
		ID:      fmt.Sprintf("reminder.%s.%d", key, at.UnixMilli()),
		Body:    r,
		Header: nats.Header{
			jetstream.ScheduleHeader:       {"@at " + at.Format(time.RFC3339Nano)},
			jetstream.ScheduleTargetHeader: {reminderDueSubject(r.GetCandidateId())},
			jetstream.MsgRollup:            {jetstream.MsgRollupSubject},
		},
	}
}

// reminderScheduleSubject is where a reminder waits; reminderDueSubject is
// where the server puts it when its time comes.
func reminderScheduleSubject(key string) string    { return "reminders.at." + key }
func reminderDueSubject(candidateID string) string { return "reminders.due." + candidateID }

// onReminder takes a reminder whose schedule fired and makes it a
// delivery, unless the vacancy has closed or gone, or the subscription has;
// if the closing date moved later, it schedules the reminder again.
func (s *Service) onReminder(ctx context.Context, msg jetstream.Msg) error {
	var r eventsv1.Reminder
	if err := proto.Unmarshal(msg.Data(), &r); err != nil {
		return bus.Term(fmt.Errorf("decode reminder: %w", err))
	}
	vid := r.GetMatch().GetVacancy().GetId()
	var rec eventsv1.VacancyChanged
	if _, err := s.vacancyRecords.Get(ctx, vid, &rec); errors.Is(err, bus.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	v := rec.GetVacancy()
	if v.GetStatus() != eventsv1.VacancyStatus_VACANCY_STATUS_OPEN {
		return nil
	}
	// The closing date may have moved since the alert.
	closes := time.UnixMilli(v.GetClosesAtUnixMs())
	due := closes.Add(-s.cfg.ReminderBefore)
	now := s.now()
	if due.After(now) {
		_, err := s.pub.Publish(ctx, *s.schedule(&r, due))
		return err
	}
	if !closes.After(now) {
		return nil
	}
	sub, err := s.subscription(ctx, r.GetCandidateId(), r.GetSubscriptionId())
	if errors.Is(err, bus.ErrNotFound) || err == nil && sub.GetNoReminders() {
		return nil
	} else if err != nil {
		return err
	}
	m := proto.Clone(r.GetMatch()).(*eventsv1.MatchFound)
	m.Vacancy.ClosesAtUnixMs = v.GetClosesAtUnixMs()
	m.Vacancy.ClosingDate = v.GetClosingDate()
	d := &eventsv1.Delivery{
		Id: closingID(r.GetCandidateId(), vid, sub.GetId()), Kind: eventsv1.DeliveryKind_DELIVERY_KIND_CLOSING_SOON,
		CandidateId: r.GetCandidateId(), SubscriptionId: sub.GetId(), Channel: sub.GetChannel(), Match: m,
		CreatedAtUnixMs: now.UnixMilli(),
	}
	_, err = s.pub.Publish(ctx, bus.Message{Subject: deliverySubject(sub), ID: d.GetId(), Body: d})
	return err
}
