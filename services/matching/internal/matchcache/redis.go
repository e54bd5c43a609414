package matchcache

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clinjobs/clinjobs/pkg/match"
)

// Redis keeps the lists in Redis, shared by every matching replica:
//
//	cj:m:c:{candidate}  sorted set of vacancy ids, best first by rank score
//	cj:m:v:{vacancy}    set of candidate ids
//
// Each key also holds the member "" (the sentinel), so that an empty list is
// told apart from a missing one: a key without it is a miss. A candidate
// list expires when its first vacancy closes; a vacancy set when it closes.
// Keys of one candidate or one vacancy share a hash slot, so it works on a
// Redis Cluster too.
type Redis struct {
	client redis.UniversalClient
	now    func() time.Time
}

// NewRedis returns a cache on client.
func NewRedis(client redis.UniversalClient, now func() time.Time) *Redis {
	return &Redis{client: client, now: now}
}

const sentinel = ""

func candidateKey(id string) string { return "cj:m:c:{" + id + "}" }
func vacancyKey(id string) string   { return "cj:m:v:{" + id + "}" }

// rankScore orders a sorted set ascending in match.Less order: higher
// score first, then sooner closing; equal ranks fall back to the member
// (the vacancy id) ascending, as Less does. Closing times count in minutes,
// which keeps the number exact in a float64.
func rankScore(r match.Ranked) float64 {
	minutes := r.ClosesAtUnixMs / 60_000
	return -float64(r.Score)*(1<<32) + float64(minutes)
}

// addIfCached adds a member to a cached sorted set only: a list that is not
// cached must stay a miss, not become a list of one. The scripts are sent
// whole (EVAL) inside pipelines, where a script cache emptied by a restart
// of Redis could not be refilled.
var addIfCached = redis.NewScript(`
if redis.call('ZSCORE', KEYS[1], '') then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 or tonumber(ARGV[3]) < ttl then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
end
return 0`)

// linkIfCached adds a member to a cached set only.
var linkIfCached = redis.NewScript(`
if redis.call('SISMEMBER', KEYS[1], '') == 1 then redis.call('SADD', KEYS[1], ARGV[1]) end
return 0`)

// PutVacancy implements Cache.
func (r *Redis) PutVacancy(ctx context.Context, vacancyID string, closesAtUnixMs int64, members []Member) error {
	old, err := r.client.SMembers(ctx, vacancyKey(vacancyID)).Result()
	if err != nil {
		return fmt.Errorf("cache vacancy %s: %w", vacancyID, err)
	}
	matched := make(map[string]bool, len(members))
	for _, m := range members {
		matched[m.CandidateID] = true
	}
	ttl := max(time.UnixMilli(closesAtUnixMs).Sub(r.now()), time.Second)
	pipe := r.client.Pipeline()
	for _, id := range old {
		if id != sentinel && !matched[id] {
			pipe.ZRem(ctx, candidateKey(id), vacancyID)
		}
	}
	set := make([]any, 0, len(members)+1)
	set = append(set, sentinel)
	for _, m := range members {
		score := rankScore(match.Ranked{ID: vacancyID, Score: m.Score, ClosesAtUnixMs: closesAtUnixMs})
		addIfCached.Eval(ctx, pipe, []string{candidateKey(m.CandidateID)}, score, vacancyID, ttl.Milliseconds())
		set = append(set, m.CandidateID)
	}
	pipe.Del(ctx, vacancyKey(vacancyID))
	pipe.SAdd(ctx, vacancyKey(vacancyID), set...)
	pipe.PExpire(ctx, vacancyKey(vacancyID), ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("cache vacancy %s: %w", vacancyID, err)
	}
	return nil
}

// RemoveVacancy implements Cache.
func (r *Redis) RemoveVacancy(ctx context.Context, vacancyID string) error {
	ids, err := r.client.SMembers(ctx, vacancyKey(vacancyID)).Result()
	if err != nil {
		return fmt.Errorf("uncache vacancy %s: %w", vacancyID, err)
	}
	pipe := r.client.Pipeline()
	for _, id := range ids {
		if id != sentinel {
			pipe.ZRem(ctx, candidateKey(id), vacancyID)
		}
	}
	pipe.Del(ctx, vacancyKey(vacancyID))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("uncache vacancy %s: %w", vacancyID, err)
	}
	return nil
}

// PutCandidate implements Cache.
func (r *Redis) PutCandidate(ctx context.Context, candidateID string, vs []match.Ranked) error {
	key := candidateKey(candidateID)
	old, err := r.client.ZRange(ctx, key, 0, -1).Result()
	if err != nil {
		return fmt.Errorf("cache candidate %s: %w", candidateID, err)
	}
	now := r.now()
	members := make([]redis.Z, 0, len(vs)+1)
	members = append(members, redis.Z{Score: math.Inf(1), Member: sentinel})
	current := make(map[string]bool, len(vs))
	for _, v := range vs {
		members = append(members, redis.Z{Score: rankScore(v), Member: v.ID})
		current[v.ID] = true
	}
	pipe := r.client.TxPipeline()
	pipe.Del(ctx, key)
	pipe.ZAdd(ctx, key, members...)
	pipe.PExpire(ctx, key, max(expiry(vs, now).Sub(now), time.Second))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("cache candidate %s: %w", candidateID, err)
	}
	links := r.client.Pipeline()
	for _, id := range old {
		if id != sentinel && !current[id] {
			links.SRem(ctx, vacancyKey(id), candidateID)
		}
	}
	for _, v := range vs {
		linkIfCached.Eval(ctx, links, []string{vacancyKey(v.ID)}, candidateID)
	}
	if _, err := links.Exec(ctx); err != nil {
		return fmt.Errorf("cache candidate %s: %w", candidateID, err)
	}
	return nil
}

// RemoveCandidate implements Cache.
func (r *Redis) RemoveCandidate(ctx context.Context, candidateID string) error {
	key := candidateKey(candidateID)
	ids, err := r.client.ZRange(ctx, key, 0, -1).Result()
	if err != nil {
		return fmt.Errorf("uncache candidate %s: %w", candidateID, err)
	}
	pipe := r.client.Pipeline()
	for _, id := range ids {
		if id != sentinel {
			pipe.SRem(ctx, vacancyKey(id), candidateID)
		}
	}
	pipe.Del(ctx, key)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("uncache candidate %s: %w", candidateID, err)
	}
	return nil
}

// CandidateMatches implements Cache.
func (r *Redis) CandidateMatches(ctx context.Context, candidateID string, offset, limit int) ([]match.Ranked, int, error) {
	key := candidateKey(candidateID)
	pipe := r.client.Pipeline()
	card := pipe.ZCard(ctx, key)
	rng := pipe.ZRangeWithScores(ctx, key, int64(offset), int64(offset+limit))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, fmt.Errorf("read matches of %s: %w", candidateID, err)
	}
	if card.Val() == 0 {
		return nil, 0, ErrMiss
	}
	out := make([]match.Ranked, 0, limit)
	for _, z := range rng.Val() {
		id, _ := z.Member.(string)
		if id == sentinel || len(out) == limit {
			continue
		}
		out = append(out, unrank(id, z.Score))
	}
	return out, int(card.Val()) - 1, nil
}

// unrank recovers score and closing minute from a rank score.
func unrank(id string, s float64) match.Ranked {
	score := int(math.Ceil(-s / (1 << 32)))
	minutes := s + float64(score)*(1<<32)
	return match.Ranked{ID: id, Score: score, ClosesAtUnixMs: int64(minutes) * 60_000}
}

// VacancyCount implements Cache.
func (r *Redis) VacancyCount(ctx context.Context, vacancyID string) (int, error) {
	n, err := r.client.SCard(ctx, vacancyKey(vacancyID)).Result()
	if err != nil {
		return 0, fmt.Errorf("count matches of %s: %w", vacancyID, err)
	}
	if n == 0 {
		return 0, ErrMiss
	}
	return int(n) - 1, nil
}

// Flush implements Cache: it deletes every match key, scanning rather than
// flushing the database, which may hold other things.
func (r *Redis) Flush(ctx context.Context) error {
	var errs []error
	del := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, "cj:m:*", 1000).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	switch c := r.client.(type) {
	case *redis.ClusterClient:
		errs = append(errs, c.ForEachMaster(ctx, del))
	case *redis.Client:
		errs = append(errs, del(ctx, c))
	default:
		errs = append(errs, fmt.Errorf("flush: unsupported client %T", c))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("flush match cache: %w", err)
	}
	return nil
}
