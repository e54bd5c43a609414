package matching

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/match"
	"github.com/clinjobs/clinjobs/pkg/partition"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/matching/internal/index"
	"github.com/clinjobs/clinjobs/services/matching/internal/matchcache"
)

// rebuild loads the latest record of every vacancy and of every candidate
// this replica owns into the index. JetStream is the only store: nothing
// else survives a restart. Matches are not published here; the durable
// consumers that follow redeliver whatever was not finished.
func (s *Service) rebuild(ctx context.Context) error {
	start := time.Now()
	nv, err := s.load(ctx, bus.KVStream(bus.BucketVacancies), []string{bus.KVSubjects(bus.BucketVacancies)}, s.applyVacancy)
	if err != nil {
		return fmt.Errorf("rebuild vacancies: %w", err)
	}
	nc, err := s.load(ctx, bus.KVStream(bus.BucketCandidates), s.cfg.Partitions.Subjects("$KV."+bus.BucketCandidates+"."), s.applyCandidate)
	if err != nil {
		return fmt.Errorf("rebuild candidates: %w", err)
	}
	s.log.Info("index rebuilt", "vacancies", nv, "candidates", nc, "seconds", time.Since(start).Seconds())
	return nil
}

// load reads the last message of every subject of a stream through a
// temporary consumer, which says at its creation how many there are.
func (s *Service) load(ctx context.Context, stream string, subjects []string, apply func(bus.KVChange) error) (int, error) {
	cons, err := s.js.CreateConsumer(ctx, stream, jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverLastPerSubjectPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		FilterSubjects:    subjects,
		InactiveThreshold: time.Minute,
		MemoryStorage:     true,
	})
	if err != nil {
		return 0, err
	}
	defer func() {
		_ = s.js.DeleteConsumer(context.WithoutCancel(ctx), stream, cons.CachedInfo().Name)
	}()
	pending := cons.CachedInfo().NumPending
	total, loaded := pending, 0
	lastLog := time.Now()
	for pending > 0 {
		batch, err := cons.Fetch(int(min(pending, 1000)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return loaded, err
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			ch, err := bus.ParseKV(bucketOf(stream), msg)
			if err != nil {
				return loaded, err
			}
			if err := apply(ch); err != nil {
				s.log.Warn("skipping a record that cannot be read", "stream", stream, "key", ch.Key, "err", err)
			}
			loaded++
			if md, err := msg.Metadata(); err == nil {
				pending = md.NumPending
			}
		}
		if err := batch.Error(); err != nil {
			return loaded, err
		}
		if got == 0 {
			return loaded, fmt.Errorf("%s: %d records still pending, none delivered", stream, pending)
		}
		if time.Since(lastLog) > 5*time.Second {
			s.log.Info("rebuilding index", "stream", stream, "loaded", loaded, "of", total)
			lastLog = time.Now()
		}
	}
	return loaded, nil
}

func bucketOf(stream string) string { return stream[len("KV_"):] }

// applyVacancy records a vacancy change in the index.
func (s *Service) applyVacancy(ch bus.KVChange) error {
	if ch.Deleted {
		return nil
	}
	var rec eventsv1.VacancyChanged
	if err := proto.Unmarshal(ch.Value, &rec); err != nil {
		return fmt.Errorf("decode vacancy %s: %w", ch.Key, err)
	}
	s.index.PutVacancy(rec.GetVacancy(), ch.Revision)
	return nil
}

// applyCandidate records a candidate change in the index.
func (s *Service) applyCandidate(ch bus.KVChange) error {
	id, ok := partition.IDFromKey(ch.Key)
	if !ok {
		return fmt.Errorf("candidate key %q", ch.Key)
	}
	if ch.Deleted {
		s.index.RemoveCandidate(id)
		return nil
	}
	var rec eventsv1.CandidateChanged
	if err := proto.Unmarshal(ch.Value, &rec); err != nil {
		return fmt.Errorf("decode candidate %s: %w", id, err)
	}
	s.index.PutCandidate(rec.GetCandidate(), ch.Revision)
	return nil
}

// onVacancy handles a vacancy change: the vacancy as it stands now (a
// redelivered old revision changes nothing in the index) is matched, cached
// and its matches published, then the change is acknowledged.
func (s *Service) onVacancy(ctx context.Context, msg jetstream.Msg) error {
	ch, err := bus.ParseKV(bus.BucketVacancies, msg)
	if err != nil {
		return bus.Term(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.applyVacancy(ch); err != nil {
		return bus.Term(err)
	}
	v, ok := s.index.Vacancy(ch.Key)
	if !ok {
		return nil
	}
	now := s.now()
	if !jobs.IsOpen(v, now) {
		s.cacheFailed(ctx, "uncache closed vacancy", s.cache.RemoveVacancy(ctx, v.GetId()))
		return nil
	}
	matches := s.index.MatchVacancy(v, now)
	members := make([]matchcache.Member, len(matches))
	for i, m := range matches {
		members[i] = matchcache.Member{CandidateID: m.CandidateID, Score: m.Result.Score}
	}
	s.cacheFailed(ctx, "cache vacancy matches", s.cache.PutVacancy(ctx, v.GetId(), v.GetClosesAtUnixMs(), members))
	return s.publish(ctx, v, matches, now)
}

// onCandidate handles a candidate change: the candidate as they stand now is
// matched against every open vacancy, cached and published.
func (s *Service) onCandidate(ctx context.Context, msg jetstream.Msg) error {
	ch, err := bus.ParseKV(bus.BucketCandidates, msg)
	if err != nil {
		return bus.Term(err)
	}
	id, ok := partition.IDFromKey(ch.Key)
	if !ok {
		return bus.Term(fmt.Errorf("candidate key %q", ch.Key))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.applyCandidate(ch); err != nil {
		return bus.Term(err)
	}
	c, ok := s.index.Candidate(id)
	if !ok {
		s.cacheFailed(ctx, "uncache erased candidate", s.cache.RemoveCandidate(ctx, id))
		return nil
	}
	now := s.now()
	matches := s.index.MatchCandidate(c, now)
	ranked := make([]match.Ranked, len(matches))
	for i, m := range matches {
		ranked[i] = m.Ranked()
	}
	s.cacheFailed(ctx, "cache candidate matches", s.cache.PutCandidate(ctx, id, ranked))
	for _, m := range matches {
		v, _ := s.index.Vacancy(m.VacancyID)
		if err := s.publish(ctx, v, []index.Match{m}, now); err != nil {
			return err
		}
	}
	return nil
}

// publish announces each match. The message id is the pair, so that
// republishing a match (an edit that keeps it, a redelivery) is taken for a
// duplicate, and notification, which also keeps a durable record per alert,
// alerts once.
func (s *Service) publish(ctx context.Context, v *eventsv1.Vacancy, matches []index.Match, now time.Time) error {
	if len(matches) == 0 {
		return nil
	}
	summary := jobs.Summarize(v)
	msgs := make([]bus.Message, len(matches))
	for i, m := range matches {
		msgs[i] = bus.Message{
			Subject: bus.MatchSubject(m.CandidateID),
			ID:      "match." + m.CandidateID + "." + m.VacancyID,
			Body: &eventsv1.MatchFound{
				CandidateId:     m.CandidateID,
				Vacancy:         summary,
				Score:           int32(m.Result.Score),
				Reasons:         m.Result.Reasons,
				DistanceKm:      m.Result.DistanceKm,
				MatchedAtUnixMs: now.UnixMilli(),
			},
		}
	}
	if err := s.pub.PublishAll(ctx, msgs); err != nil {
		return fmt.Errorf("publish %d matches of %s: %w", len(msgs), v.GetId(), err)
	}
	return nil
}

// cacheFailed notes a cache write that failed: reads will miss and fall
// back to the index, so the change itself goes on.
func (s *Service) cacheFailed(ctx context.Context, what string, err error) {
	if err != nil {
		s.log.WarnContext(ctx, what+" failed; reads fall back to the index", "err", err)
	}
}
