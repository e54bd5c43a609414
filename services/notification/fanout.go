package notification

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// The ids of deliveries are derived from what they tell, so that the same
// news makes the same id however often it is announced, retried or
// replayed: the webhook-id, Message-ID and event id receivers dedupe on.
func alertID(candidateID, vacancyID, subscriptionID string) string {
	return ids.Derived("msg_", candidateID, vacancyID, subscriptionID)
}

func digestID(candidateID, subscriptionID, period string) string {
	return ids.Derived("msg_", candidateID, "digest", subscriptionID, period)
}

func closingID(candidateID, vacancyID, subscriptionID string) string {
	return ids.Derived("msg_", candidateID, vacancyID, subscriptionID, "closing")
}

// alertKey is where the alerts bucket records that a candidate heard of a
// vacancy on a subscription.
func alertKey(candidateID, vacancyID, subscriptionID string) string {
	return candidateID + "." + vacancyID + "." + subscriptionID
}

// recordKey is the alerts bucket's key for a delivery.
func recordKey(d *eventsv1.Delivery) string {
	switch d.GetKind() {
	case eventsv1.DeliveryKind_DELIVERY_KIND_DIGEST:
		return d.GetCandidateId() + ".digest." + d.GetSubscriptionId() + "." + d.GetPeriod()
	case eventsv1.DeliveryKind_DELIVERY_KIND_CLOSING_SOON:
		return alertKey(d.GetCandidateId(), d.GetMatch().GetVacancy().GetId(), d.GetSubscriptionId()) + ".closing"
	}
	return alertKey(d.GetCandidateId(), d.GetMatch().GetVacancy().GetId(), d.GetSubscriptionId())
}

func digestKey(candidateID, subscriptionID, vacancyID string) string {
	return candidateID + "." + subscriptionID + "." + vacancyID
}

func deliverySubject(sub *eventsv1.Subscription) string {
	return "deliveries." + jobs.Name(sub.GetChannel()) + "." + sub.GetId()
}

// wants reports whether sub is to hear of m: not paused, and m passes the
// subscription's own filters, which narrow the profile's.
func wants(sub *eventsv1.Subscription, m *eventsv1.MatchFound) bool {
	v := m.GetVacancy()
	switch {
	case sub.GetPaused():
		return false
	case len(sub.GetRoleFamilies()) > 0 && !slices.Contains(sub.GetRoleFamilies(), v.GetRoleFamily()):
		return false
	case sub.GetMinBand() != eventsv1.Band_BAND_UNSPECIFIED && v.GetBand() < sub.GetMinBand():
		return false
	case len(sub.GetSpecialisms()) > 0 && !slices.ContainsFunc(v.GetSpecialisms(), func(sp eventsv1.Specialism) bool {
		return slices.Contains(sub.GetSpecialisms(), sp)
	}):
		return false
	}
	return true
}

// onMatch fans a match out: an instant subscription gets a delivery, a
// digest subscription a line in its next digest.
func (s *Service) onMatch(ctx context.Context, msg jetstream.Msg) error {
	var m eventsv1.MatchFound
	if err := proto.Unmarshal(msg.Data(), &m); err != nil {
		return bus.Term(fmt.Errorf("decode match: %w", err))
	}
	var subs eventsv1.Subscriptions
	if err := s.readSubscriptions(ctx, m.GetCandidateId(), &subs); errors.Is(err, bus.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	now := s.now()
	var out []bus.Message
	for _, sub := range subs.GetItems() {
		if !wants(sub, &m) {
			continue
		}
		if sub.GetRhythm() != eventsv1.Rhythm_RHYTHM_INSTANT {
			key := digestKey(m.GetCandidateId(), sub.GetId(), m.GetVacancy().GetId())
			_, err := s.digests.Create(ctx, key, "digest."+key, &m)
			if err != nil && !errors.Is(err, bus.ErrExists) {
				return err
			}
			continue
		}
		d := &eventsv1.Delivery{
			Id:              alertID(m.GetCandidateId(), m.GetVacancy().GetId(), sub.GetId()),
			Kind:            eventsv1.DeliveryKind_DELIVERY_KIND_ALERT,
			CandidateId:     m.GetCandidateId(),
			SubscriptionId:  sub.GetId(),
			Channel:         sub.GetChannel(),
			Match:           &m,
			CreatedAtUnixMs: now.UnixMilli(),
		}
		out = append(out, bus.Message{Subject: deliverySubject(sub), ID: d.GetId(), Body: d})
	}
	if len(out) == 0 {
		return nil
	}
	return s.pub.PublishAll(ctx, out)
}
