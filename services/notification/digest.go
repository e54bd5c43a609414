package notification

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/clinjobs/clinjobs/pkg/bus"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/notification/internal/schedule"
)

func (s *Service) digestSlot(sub *eventsv1.Subscription, now time.Time) time.Time {
	return schedule.Slot(now, s.london, int(sub.GetHour()), sub.GetRhythm() == eventsv1.Rhythm_RHYTHM_WEEKLY, time.Weekday(sub.GetWeekday()))
}

func (s *Service) nextDigest(sub *eventsv1.Subscription, now time.Time) time.Time {
	return schedule.Next(now, s.london, int(sub.GetHour()), sub.GetRhythm() == eventsv1.Rhythm_RHYTHM_WEEKLY, time.Weekday(sub.GetWeekday()))
}

// digestLoop sends due digests every DigestEvery until ctx ends. Every
// replica runs it: the digest's id is derived from its subscription and
// period, so two replicas make one delivery.
func (s *Service) digestLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.DigestEvery)
	defer t.Stop()
	for {
		if err := s.SendDueDigests(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "send due digests", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SendDueDigests turns every subscription's waiting matches into a digest
// once its slot has come: the matches that arrived before the slot, less
// any the candidate already heard of. It returns the digests made.
func (s *Service) SendDueDigests(ctx context.Context) error {
	keys, err := s.digests.KV().ListKeys(ctx)
	if err != nil {
		return err
	}
	waiting := map[[2]string][]string{} // (candidate, subscription) -> keys
	for k := range keys.Keys() {
		parts := strings.Split(k, ".")
		if len(parts) != 3 {
			continue
		}
		id := [2]string{parts[0], parts[1]}
		waiting[id] = append(waiting[id], k)
	}
	now := s.now()
	var errs []error
	for id, keys := range waiting {
		if err := s.digestFor(ctx, id[0], id[1], keys, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) digestFor(ctx context.Context, candidateID, sid string, keys []string, now time.Time) error {
	sub, err := s.subscription(ctx, candidateID, sid)
	if errors.Is(err, bus.ErrNotFound) {
		return s.eraseKeys(ctx, s.digests, candidateID+"."+sid+".>")
	}
	if err != nil || sub.GetPaused() {
		return err
	}
	// A subscription changed to instant sends what waited for it at once.
	slot := now
	if sub.GetRhythm() != eventsv1.Rhythm_RHYTHM_INSTANT {
		slot = s.digestSlot(sub, now)
	}
	period := schedule.Period(slot, s.london)
	id := digestID(candidateID, sid, period)
	// A marker says this period's digest is on its way: later ticks, on
	// this replica or another, leave it alone.
	if _, _, err := s.states.GetEncoded(ctx, "digest."+id); err == nil {
		return nil
	}
	var items []*eventsv1.MatchFound
	for _, k := range keys {
		var m eventsv1.MatchFound
		if _, err := s.digests.Get(ctx, k, &m); errors.Is(err, bus.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if !time.UnixMilli(m.GetMatchedAtUnixMs()).Before(slot) {
			continue // for the next digest
		}
		if _, _, err := s.alerts.GetEncoded(ctx, alertKey(candidateID, m.GetVacancy().GetId(), sid)); err == nil {
			_ = s.digests.Erase(ctx, k) // told already, by a digest that stopped half way
			continue
		}
		items = append(items, &m)
	}
	if len(items) == 0 {
		return nil
	}
	d := &eventsv1.Delivery{
		Id: id, Kind: eventsv1.DeliveryKind_DELIVERY_KIND_DIGEST, CandidateId: candidateID, SubscriptionId: sid,
		Channel: sub.GetChannel(), Items: items, Period: period, CreatedAtUnixMs: now.UnixMilli(),
	}
	if _, err := s.states.CreateEncoded(ctx, "digest."+id, "digest-marker."+id, []byte(period)); err != nil {
		if errors.Is(err, bus.ErrExists) {
			return nil
		}
		return err
	}
	_, err = s.pub.Publish(ctx, bus.Message{Subject: deliverySubject(sub), ID: id, Body: d})
	return err
}
