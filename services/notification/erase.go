package notification

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/partition"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// onCandidate forgets a candidate whose profile was erased: subscriptions,
// the deliveries waiting for them, digest lines, reminders, the delivery
// log, dead letters, the live stream, and the candidate's subjects in the
// MATCHES and ALERTS history. Each step can run again, so a
// redelivered erasure finishes what a failed one started.
func (s *Service) onCandidate(ctx context.Context, msg jetstream.Msg) error {
	ch, err := bus.ParseKV(bus.BucketCandidates, msg)
	if err != nil {
		return bus.Term(err)
	}
	if !ch.Deleted {
		return nil
	}
	id, ok := partition.IDFromKey(ch.Key)
	if !ok || !validToken(id) {
		return bus.Term(fmt.Errorf("candidate key %q", ch.Key))
	}
	return s.erase(ctx, id)
}

func (s *Service) erase(ctx context.Context, candidateID string) error {
	var list eventsv1.Subscriptions
	if _, err := s.subscriptions.Get(ctx, candidateID, &list); err != nil && !errors.Is(err, bus.ErrNotFound) {
		return err
	}
	for _, sub := range list.GetItems() {
		if err := s.purgeSubject(ctx, StreamDeliveries, deliverySubject(sub)); err != nil {
			return err
		}
	}
	for _, store := range []*bus.Store{s.digests, s.alerts, s.deadLetters} {
		if err := s.eraseKeys(ctx, store, candidateID+".>"); err != nil {
			return err
		}
	}
	for _, p := range []struct{ stream, subject string }{
		{StreamLive, liveSubject(candidateID)},
		{StreamReminders, reminderScheduleSubject(candidateID + ".>")},
		{StreamReminders, reminderDueSubject(candidateID)},
		// The history of matches and alerts names the candidate too.
		{bus.StreamMatches, bus.MatchSubject(candidateID)},
		{bus.StreamAlerts, bus.AlertSubject("*", "*", candidateID)},
	} {
		if err := s.purgeSubject(ctx, p.stream, p.subject); err != nil {
			return err
		}
	}
	if err := s.subscriptions.Erase(ctx, candidateID); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "candidate erased", "candidate", candidateID, "subscriptions", len(list.GetItems()))
	return nil
}
