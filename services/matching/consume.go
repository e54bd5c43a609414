package matching

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/match"
	"github.com/clinjobs/clinjobs/pkg/match/index"
	"github.com/clinjobs/clinjobs/pkg/partition"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/matching/internal/matchcache"
)

// rebuild loads the latest record of every vacancy and of every candidate
// this replica owns into the index. JetStream is the only store: nothing
// else survives a restart. Matches are not announced here; the durable
// consumers that follow redeliver whatever was not finished.
func (s *Service) rebuild(ctx context.Context) error {
	start := time.Now()
	nv, err := s.load(ctx, bus.KVStream(bus.BucketVacancies), []string{bus.KVSubjects(bus.BucketVacancies)}, s.applyVacancy)
	if err != nil {
		return fmt.Errorf("rebuild vacancies: %w", err)
	}
	// Candidates are gathered and loaded at once, in geographic order,
	// which makes the index's queries read memory in runs.
	var b index.Builder
	nc, err := s.load(ctx, bus.KVStream(bus.BucketCandidates), s.cfg.Partitions.Subjects("$KV."+bus.BucketCandidates+"."), func(ch bus.KVChange) error {
		id, ok := partition.IDFromKey(ch.Key)
		if !ok {
			return fmt.Errorf("candidate key %q", ch.Key)
		}
		if ch.Deleted {
			return nil
		}
		var rec eventsv1.CandidateChanged
		if err := proto.Unmarshal(ch.Value, &rec); err != nil {
			return fmt.Errorf("decode candidate %s: %w", id, err)
		}
		b.Add(rec.GetCandidate(), ch.Revision)
		return nil
	})
	if err != nil {
		return fmt.Errorf("rebuild candidates: %w", err)
	}
	s.index.Load(&b)
	took := time.Since(start)
	s.metrics.rebuild.Set(took.Seconds())
	s.log.Info("index rebuilt", "vacancies", nv, "candidates", nc, "seconds", took.Seconds())
	return nil
}

// Rebuild loads the index from JetStream, as Start does, and reports how
// long it took: for benchmarks.
func (s *Service) Rebuild(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	err := s.rebuild(ctx)
	return time.Since(start), err
}

// IndexSizes returns how many candidates and open vacancies the index holds.
func (s *Service) IndexSizes() (candidates, vacancies int) { return s.index.Sizes() }

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
		batch, err := cons.Fetch(int(min(pending, 4096)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return loaded, err
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			ch, err := bus.ParseKV(stream[len("KV_"):], msg)
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

// applyVacancy records a vacancy change in the index.
func (s *Service) applyVacancy(ch bus.KVChange) error {
	if ch.Deleted {
		s.index.RemoveVacancy(ch.Key)
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

// onVacancy handles a vacancy change. The vacancy as it stands now (a
// redelivered old revision changes nothing in the index) is matched; the
// pairs that are new are announced before the cache records them, so that
// stopping half way announces again rather than never; then the change is
// acknowledged.
func (s *Service) onVacancy(ctx context.Context, msg jetstream.Msg) error {
	ch, err := bus.ParseKV(bus.BucketVacancies, msg)
	if err != nil {
		return bus.Term(err)
	}
	if err := s.applyVacancy(ch); err != nil {
		return bus.Term(err)
	}
	now := s.now()
	v, ok := s.index.Vacancy(ch.Key)
	if !ok || !jobs.IsOpen(v, now) {
		s.cacheWrite(ctx, "uncache a vacancy that is not open", s.cache.RemoveVacancy(ctx, ch.Key))
		return nil
	}
	hits := s.index.MatchVacancy(v, now)
	prev, err := s.cache.VacancyMembers(ctx, v.GetId())
	s.cacheRead(ctx, err)
	var fresh []pair
	for _, h := range hits {
		if prev[h.ID] {
			continue
		}
		if c, _, ok := s.index.Candidate(h.ID); ok {
			fresh = append(fresh, pair{c, v})
		}
	}
	if err := s.announce(ctx, fresh, now); err != nil {
		return err
	}
	members := make([]matchcache.Member, len(hits))
	for i, h := range hits {
		members[i] = matchcache.Member{CandidateID: h.ID, Score: h.Score}
	}
	s.cacheWrite(ctx, "cache a vacancy's matches", s.cache.PutVacancy(ctx, v.GetId(), v.GetClosesAtUnixMs(), members))
	return nil
}

// onCandidate handles a candidate change: the candidate as they stand now
// is matched against every open vacancy; the new pairs are announced, then
// the list is cached.
func (s *Service) onCandidate(ctx context.Context, msg jetstream.Msg) error {
	ch, err := bus.ParseKV(bus.BucketCandidates, msg)
	if err != nil {
		return bus.Term(err)
	}
	id, ok := partition.IDFromKey(ch.Key)
	if !ok {
		return bus.Term(fmt.Errorf("candidate key %q", ch.Key))
	}
	if err := s.applyCandidate(ch); err != nil {
		return bus.Term(err)
	}
	c, _, ok := s.index.Candidate(id)
	if !ok {
		s.cacheWrite(ctx, "uncache an erased candidate", s.cache.RemoveCandidate(ctx, id))
		return nil
	}
	now := s.now()
	hits := s.index.MatchCandidate(c, now)
	prev, err := s.cache.CandidateVacancies(ctx, id)
	s.cacheRead(ctx, err)
	var fresh []pair
	for _, h := range hits {
		if prev[h.ID] {
			continue
		}
		if v, ok := s.index.Vacancy(h.ID); ok {
			fresh = append(fresh, pair{c, v})
		}
	}
	if err := s.announce(ctx, fresh, now); err != nil {
		return err
	}
	s.cacheWrite(ctx, "cache a candidate's matches", s.putCandidate(ctx, c, rankedOf(hits)))
	return nil
}

// putCandidate caches a candidate's list computed from the index, then
// computes it again and, if it changed, writes it again. A vacancy indexed
// while the list was being computed adds itself only to a list already
// cached, and this write may have replaced that list with one made before
// it: looking after the write sees every vacancy indexed before it, so the
// cached list never stays without one. (A candidate and a vacancy changed
// at the same moment left the candidate's cached list without the vacancy.)
func (s *Service) putCandidate(ctx context.Context, c *eventsv1.Candidate, ranked []match.Ranked) error {
	for range 3 {
		if err := s.cache.PutCandidate(ctx, c.GetId(), ranked); err != nil {
			return err
		}
		again := rankedOf(s.index.MatchCandidate(c, s.now()))
		if slices.EqualFunc(again, ranked, func(a, b match.Ranked) bool { return a.ID == b.ID }) {
			return nil
		}
		ranked = again
	}
	return nil
}

func rankedOf(hits []index.Hit) []match.Ranked {
	ranked := make([]match.Ranked, len(hits))
	for i, h := range hits {
		ranked[i] = h.Ranked()
	}
	return ranked
}

// pair is a candidate and a vacancy that match.
type pair struct {
	c *eventsv1.Candidate
	v *eventsv1.Vacancy
}

// announce publishes a MatchFound for each pair, all in one pipelined
// batch. The message id is the pair, so a pair announced twice within the
// stream's duplicate window is stored once.
func (s *Service) announce(ctx context.Context, pairs []pair, now time.Time) error {
	if len(pairs) == 0 {
		return nil
	}
	summaries := map[string]*eventsv1.VacancySummary{}
	msgs := make([]bus.Message, 0, len(pairs))
	for _, p := range pairs {
		r := match.Evaluate(p.c, p.v, now)
		if !r.Eligible {
			// The index and the rules disagree: the rules decide, and the
			// differential test should have caught it.
			s.log.ErrorContext(ctx, "index matched a pair the rules refuse", "candidate", p.c.GetId(), "vacancy", p.v.GetId())
			continue
		}
		summary, ok := summaries[p.v.GetId()]
		if !ok {
			summary = jobs.Summarize(p.v)
			summaries[p.v.GetId()] = summary
		}
		msgs = append(msgs, bus.Message{
			Subject: bus.MatchSubject(p.c.GetId()),
			ID:      "match." + p.c.GetId() + "." + p.v.GetId(),
			Body: &eventsv1.MatchFound{
				CandidateId: p.c.GetId(), Vacancy: summary, Score: int32(r.Score), Reasons: r.Reasons,
				DistanceKm: r.DistanceKm, MatchedAtUnixMs: now.UnixMilli(),
			},
		})
	}
	if err := s.pub.PublishAll(ctx, msgs); err != nil {
		return fmt.Errorf("announce %d matches: %w", len(msgs), err)
	}
	s.metrics.matches.Add(float64(len(msgs)))
	return nil
}

// cacheRead counts a read of the cache.
func (s *Service) cacheRead(ctx context.Context, err error) {
	switch {
	case err == nil:
		s.metrics.cacheReads.WithLabelValues("hit").Inc()
	case errors.Is(err, matchcache.ErrMiss):
		s.metrics.cacheReads.WithLabelValues("miss").Inc()
	default:
		s.metrics.cacheReads.WithLabelValues("error").Inc()
		s.log.WarnContext(ctx, "match cache unreachable; announcing every match (notification keeps them to one alert)", "err", err)
	}
}

// cacheWrite notes a cache write. A failed one leaves the cache behind the
// index: reads skip it and it is flushed once it can be, so it never serves
// a list that missed this change.
func (s *Service) cacheWrite(ctx context.Context, what string, err error) {
	if err == nil {
		s.metrics.cacheWrites.WithLabelValues("ok").Inc()
		return
	}
	s.metrics.cacheWrites.WithLabelValues("error").Inc()
	if !s.dirty.Swap(true) {
		s.log.WarnContext(ctx, what+" failed; reads come from the index until the cache is mended", "err", err)
	}
}
