package notification

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/webhook"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// deliveryID is the same for a (candidate, vacancy, subscription) however
// often the match is announced: the webhook-id receivers dedupe on.
func deliveryID(candidateID, vacancyID, subscriptionID string) string {
	return ids.Derived("msg_", candidateID, vacancyID, subscriptionID)
}

func alertKey(d *eventsv1.Delivery) string {
	return d.GetCandidateId() + "." + d.GetMatch().GetVacancy().GetId() + "." + d.GetSubscriptionId()
}

// wants reports whether sub is to hear of m now.
func wants(sub *eventsv1.Subscription, m *eventsv1.MatchFound) bool {
	return !sub.GetPaused() && sub.GetRhythm() == eventsv1.Rhythm_RHYTHM_INSTANT
}

// onMatch fans a match out into one delivery per subscription that wants it.
func (s *Service) onMatch(ctx context.Context, msg jetstream.Msg) error {
	var m eventsv1.MatchFound
	if err := proto.Unmarshal(msg.Data(), &m); err != nil {
		return bus.Term(fmt.Errorf("decode match: %w", err))
	}
	var subs eventsv1.Subscriptions
	if _, err := s.subscriptions.Get(ctx, m.GetCandidateId(), &subs); errors.Is(err, bus.ErrNotFound) {
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
		d := &eventsv1.Delivery{
			Id:              deliveryID(m.GetCandidateId(), m.GetVacancy().GetId(), sub.GetId()),
			CandidateId:     m.GetCandidateId(),
			SubscriptionId:  sub.GetId(),
			Channel:         sub.GetChannel(),
			Match:           &m,
			CreatedAtUnixMs: now.UnixMilli(),
		}
		out = append(out, bus.Message{Subject: "deliveries." + jobs.Name(sub.GetChannel()) + "." + sub.GetId(), ID: d.GetId(), Body: d})
	}
	if len(out) == 0 {
		return nil
	}
	return s.pub.PublishAll(ctx, out)
}

// alertPayload is the body of a webhook alert, in the Standard Webhooks
// shape: a type, a timestamp and the data.
type alertPayload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      alertData `json:"data"`
}

type alertData struct {
	CandidateID string           `json:"candidate_id"`
	Vacancy     jobs.SummaryView `json:"vacancy"`
	Score       int32            `json:"score"`
	DistanceKm  float64          `json:"distance_km"`
	Reasons     []string         `json:"reasons"`
}

// onWebhookDelivery sends one webhook alert, unless it was sent already.
func (s *Service) onWebhookDelivery(ctx context.Context, msg jetstream.Msg) error {
	var d eventsv1.Delivery
	if err := proto.Unmarshal(msg.Data(), &d); err != nil {
		return bus.Term(fmt.Errorf("decode delivery: %w", err))
	}
	var done eventsv1.AlertDelivered
	if _, err := s.alerts.Get(ctx, alertKey(&d), &done); err == nil {
		return nil
	} else if !errors.Is(err, bus.ErrNotFound) {
		return err
	}
	sub, err := s.subscription(ctx, d.GetCandidateId(), d.GetSubscriptionId())
	if errors.Is(err, bus.ErrNotFound) {
		s.log.InfoContext(ctx, "subscription gone; delivery dropped", "delivery", d.GetId())
		return nil
	}
	if err != nil {
		return err
	}
	md, _ := msg.Metadata()
	attempt := 1
	if md != nil {
		attempt = int(md.NumDelivered)
	}
	if err := s.post(ctx, sub, &d); err != nil {
		return fmt.Errorf("deliver %s (attempt %d): %w", d.GetId(), attempt, err)
	}
	now := s.now()
	rec := &eventsv1.AlertDelivered{
		DeliveryId: d.GetId(), CandidateId: d.GetCandidateId(), VacancyId: d.GetMatch().GetVacancy().GetId(),
		SubscriptionId: d.GetSubscriptionId(), Channel: d.GetChannel(), Attempts: int32(attempt),
		DeliveredAtUnixMs: now.UnixMilli(), VacancyPostedAtUnixMs: d.GetMatch().GetVacancy().GetPostedAtUnixMs(),
	}
	// The record comes before the acknowledgement: if we stop between the
	// two, the redelivered message finds the record and sends nothing.
	if _, err := s.alerts.Create(ctx, alertKey(&d), "alert."+d.GetId(), rec); err != nil && !errors.Is(err, bus.ErrExists) {
		return err
	}
	_, err = s.pub.Publish(ctx, bus.Message{
		Subject: bus.AlertSubject("delivered", jobs.Name(d.GetChannel()), d.GetCandidateId()),
		ID:      "delivered." + d.GetId(),
		Body:    rec,
	})
	return err
}

func (s *Service) subscription(ctx context.Context, candidateID, id string) (*eventsv1.Subscription, error) {
	var list eventsv1.Subscriptions
	if _, err := s.subscriptions.Get(ctx, candidateID, &list); err != nil {
		return nil, err
	}
	for _, sub := range list.GetItems() {
		if sub.GetId() == id {
			return sub, nil
		}
	}
	return nil, bus.ErrNotFound
}

// post sends the signed alert; any answer but 2xx is a failure to retry.
func (s *Service) post(ctx context.Context, sub *eventsv1.Subscription, d *eventsv1.Delivery) error {
	m := d.GetMatch()
	body, err := json.Marshal(alertPayload{
		Type:      "vacancy.matched",
		Timestamp: time.UnixMilli(m.GetMatchedAtUnixMs()).UTC(),
		Data: alertData{
			CandidateID: d.GetCandidateId(), Vacancy: jobs.ViewSummary(m.GetVacancy()),
			Score: m.GetScore(), DistanceKm: m.GetDistanceKm(), Reasons: m.GetReasons(),
		},
	})
	if err != nil {
		return bus.Term(err)
	}
	secret, err := webhook.ParseSecret(sub.GetSecret())
	if err != nil {
		return bus.Term(fmt.Errorf("subscription %s: %w", sub.GetId(), err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.GetUrl(), bytes.NewReader(body))
	if err != nil {
		return bus.Term(err)
	}
	req.Header = webhook.Headers(secret, d.GetId(), s.now(), body)
	req.Header.Set("User-Agent", "clinjobs-notification")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}
