package rates

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/bus"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// The names of the series the follower fills.
const (
	VacanciesPosted = "vacancies_posted"
	MatchesFound    = "matches_found"
	// Alert series are "alerts_<outcome>_<channel>", such as alerts_delivered_webhook.
	alertsPrefix = "alerts_"
)

// AlertSeries names the series of alerts with an outcome (delivered or
// failed) on a channel.
func AlertSeries(outcome, channel string) string { return alertsPrefix + outcome + "_" + channel }

// Follower feeds a Board from the streams.
type Follower struct {
	js    jetstream.JetStream
	board *Board
	log   *slog.Logger
	ccs   []jetstream.ConsumeContext
}

// NewFollower returns a follower of js's streams into board.
func NewFollower(js jetstream.JetStream, board *Board, log *slog.Logger) *Follower {
	return &Follower{js: js, board: board, log: log}
}

// Start follows the vacancies bucket, MATCHES and ALERTS from Window ago.
func (f *Follower) Start(ctx context.Context, now time.Time) error {
	from := now.Add(-Window)
	for _, s := range []struct {
		stream string
		handle func(jetstream.Msg)
	}{
		{bus.KVStream(bus.BucketVacancies), f.onVacancy},
		{bus.StreamMatches, f.onMatch},
		{bus.StreamAlerts, f.onAlert},
	} {
		cons, err := f.js.OrderedConsumer(ctx, s.stream, jetstream.OrderedConsumerConfig{
			DeliverPolicy: jetstream.DeliverByStartTimePolicy,
			OptStartTime:  &from,
		})
		if err != nil {
			return errors.Join(fmt.Errorf("follow %s: %w", s.stream, err), f.Stop())
		}
		cc, err := cons.Consume(s.handle)
		if err != nil {
			return errors.Join(fmt.Errorf("follow %s: %w", s.stream, err), f.Stop())
		}
		f.ccs = append(f.ccs, cc)
	}
	return nil
}

// Stop stops following.
func (f *Follower) Stop() error {
	for _, cc := range f.ccs {
		cc.Stop()
	}
	f.ccs = nil
	return nil
}

func stamp(msg jetstream.Msg) time.Time {
	md, err := msg.Metadata()
	if err != nil {
		return time.Now()
	}
	return md.Timestamp
}

func (f *Follower) onVacancy(msg jetstream.Msg) {
	if op := msg.Headers().Get("KV-Operation"); op != "" {
		return
	}
	var rec eventsv1.VacancyChanged
	if err := proto.Unmarshal(msg.Data(), &rec); err != nil {
		f.log.Warn("unreadable vacancy record", "subject", msg.Subject(), "err", err)
		return
	}
	if rec.GetChange() == eventsv1.VacancyChange_VACANCY_CHANGE_POSTED {
		f.board.Series(VacanciesPosted).Add(stamp(msg), 1)
	}
}

func (f *Follower) onMatch(msg jetstream.Msg) {
	f.board.Series(MatchesFound).Add(stamp(msg), 1)
}

// onAlert counts alerts.<outcome>.<channel>.<candidate>, and for delivered
// alerts notes the posting-to-alert time.
func (f *Follower) onAlert(msg jetstream.Msg) {
	parts := strings.SplitN(msg.Subject(), ".", 4)
	if len(parts) < 3 {
		return
	}
	at := stamp(msg)
	f.board.Series(AlertSeries(parts[1], parts[2])).Add(at, 1)
	if parts[1] != "delivered" {
		return
	}
	var d eventsv1.AlertDelivered
	if err := proto.Unmarshal(msg.Data(), &d); err != nil {
		return
	}
	if ms := d.GetVacancyPostedAtUnixMs(); ms > 0 {
		f.board.Alerted(d.GetVacancyId(), time.UnixMilli(ms), time.UnixMilli(d.GetDeliveredAtUnixMs()))
	}
}
