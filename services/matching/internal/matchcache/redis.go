package matchcache

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clinjobs/clinjobs/pkg/match"
	"github.com/clinjobs/clinjobs/pkg/partition"
)

// Redis keeps the lists in Redis, shared by every matching replica:
//
//	cj:m:c:{candidate}     sorted set of vacancy ids, best first by rank score
//	cj:m:v:{vacancy}:<p>   set of the candidates of partition p it matches
//
// Each key also holds the member "" (the sentinel), so that an empty list is
// told apart from a missing one: a key without it is a miss. A candidate
// list expires when its first vacancy closes; a vacancy set when it closes.
// A vacancy's sets are split by partition so that replicas owning different
// partitions never overwrite each other's; the braces keep a candidate's or
// a vacancy's keys in one hash slot, so it works on a Redis Cluster too.
type Redis struct {
	client redis.UniversalClient
	now    func() time.Time
	owned  partition.Set
}

// NewRedis returns a cache on client writing the partitions owned.
func NewRedis(client redis.UniversalClient, now func() time.Time, owned partition.Set) *Redis {
	return &Redis{client: client, now: now, owned: owned}
}

const sentinel = ""

func candidateKey(id string) string { return "cj:m:c:{" + id + "}" }

func vacancyKey(id string, p int) string { return "cj:m:v:{" + id + "}:" + strconv.Itoa(p) }

// rankScore orders a sorted set ascending in match.Less order: higher
// score first, then sooner closing; equal ranks fall back to the member
// (the vacancy id) ascending, as Less does. Closing times count in minutes
// (vacancies close at midnight), which keeps the number exact in a float64.
func rankScore(r match.Ranked) float64 {
	minutes := r.ClosesAtUnixMs / 60_000
	return -float64(r.Score)*(1<<32) + float64(minutes)
}

// unrank recovers score and closing minute from a rank score.
func unrank(id string, s float64) match.Ranked {
	score := int(math.Ceil(-s / (1 << 32)))
	minutes := s + float64(score)*(1<<32)
	return match.Ranked{ID: id, Score: score, ClosesAtUnixMs: int64(minutes) * 60_000}
}

// addIfCached adds a member to a cached sorted set only: a list that is not
// cached must stay a miss, not become a list of one. Pipelines call the
// scripts by hash (EVALSHA), thousands a vacancy; see execScripts for a
// script cache emptied by a restart of Redis.
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

// vacancySets reads the owned partitions' sets of a vacancy: the candidates
// in them, and whether every set was cached.
func (r *Redis) vacancySets(ctx context.Context, vacancyID string) (map[string]bool, bool, error) {
	read := r.client.Pipeline()
	cmds := make([]*redis.StringSliceCmd, len(r.owned))
	for i, p := range r.owned {
		cmds[i] = read.SMembers(ctx, vacancyKey(vacancyID, p))
	}
	if _, err := read.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, false, err
	}
	ids, known := map[string]bool{}, true
	for _, cmd := range cmds {
		members := cmd.Val()
		known = known && slices.Contains(members, sentinel)
		for _, id := range members {
			if id != sentinel {
				ids[id] = true
			}
		}
	}
	return ids, known, nil
}

// VacancyMembers implements Cache.
func (r *Redis) VacancyMembers(ctx context.Context, vacancyID string) (map[string]bool, error) {
	ids, known, err := r.vacancySets(ctx, vacancyID)
	if err != nil {
		return nil, fmt.Errorf("read matches of %s: %w", vacancyID, err)
	}
	if !known {
		return nil, ErrMiss
	}
	return ids, nil
}

// PutVacancy implements Cache.
func (r *Redis) PutVacancy(ctx context.Context, vacancyID string, closesAtUnixMs int64, members []Member) error {
	prev, _, err := r.vacancySets(ctx, vacancyID)
	if err != nil {
		return fmt.Errorf("cache vacancy %s: %w", vacancyID, err)
	}
	matched := make(map[string]bool, len(members))
	for _, m := range members {
		matched[m.CandidateID] = true
	}
	ttl := max(time.UnixMilli(closesAtUnixMs).Sub(r.now()), time.Second)
	grouped := byPartition(members)
	err = r.execScripts(ctx, func(pipe redis.Pipeliner) {
		for id := range prev {
			if !matched[id] {
				pipe.ZRem(ctx, candidateKey(id), vacancyID)
			}
		}
		for _, p := range r.owned {
			set := []any{sentinel}
			for _, m := range grouped[p] {
				score := rankScore(match.Ranked{ID: vacancyID, Score: m.Score, ClosesAtUnixMs: closesAtUnixMs})
				pipe.EvalSha(ctx, addIfCached.Hash(), []string{candidateKey(m.CandidateID)}, score, vacancyID, ttl.Milliseconds())
				set = append(set, m.CandidateID)
			}
			key := vacancyKey(vacancyID, p)
			pipe.Del(ctx, key)
			pipe.SAdd(ctx, key, set...)
			pipe.PExpire(ctx, key, ttl)
		}
	})
	if err != nil {
		return fmt.Errorf("cache vacancy %s: %w", vacancyID, err)
	}
	return nil
}

// execScripts runs the pipeline fill makes, whose scripts are called by
// hash. Redis forgets its scripts when it restarts: then every EVALSHA is
// answered NOSCRIPT while the pipeline's other commands ran, so the scripts
// are loaded and the whole pipeline runs again, which its commands bear (each
// sets a state, none adds to one).
func (r *Redis) execScripts(ctx context.Context, fill func(redis.Pipeliner)) error {
	for attempt := 0; ; attempt++ {
		pipe := r.client.Pipeline()
		fill(pipe)
		cmds, err := pipe.Exec(ctx)
		if err == nil || attempt > 0 || !slices.ContainsFunc(cmds, func(c redis.Cmder) bool { return redis.HasErrorPrefix(c.Err(), "NOSCRIPT") }) {
			return err
		}
		for _, s := range []*redis.Script{addIfCached, linkIfCached} {
			if err := s.Load(ctx, r.client).Err(); err != nil {
				return fmt.Errorf("load script: %w", err)
			}
		}
	}
}

// RemoveVacancy implements Cache.
func (r *Redis) RemoveVacancy(ctx context.Context, vacancyID string) error {
	ids, _, err := r.vacancySets(ctx, vacancyID)
	if err != nil {
		return fmt.Errorf("uncache vacancy %s: %w", vacancyID, err)
	}
	pipe := r.client.Pipeline()
	for id := range ids {
		pipe.ZRem(ctx, candidateKey(id), vacancyID)
	}
	for _, p := range r.owned {
		pipe.Del(ctx, vacancyKey(vacancyID, p))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("uncache vacancy %s: %w", vacancyID, err)
	}
	return nil
}

// list reads a candidate's list: its vacancies and whether it is cached.
func (r *Redis) list(ctx context.Context, candidateID string) (map[string]bool, bool, error) {
	old, err := r.client.ZRange(ctx, candidateKey(candidateID), 0, -1).Result()
	if err != nil {
		return nil, false, err
	}
	ids := make(map[string]bool, len(old))
	for _, id := range old {
		if id != sentinel {
			ids[id] = true
		}
	}
	return ids, slices.Contains(old, sentinel), nil
}

// CandidateVacancies implements Cache.
func (r *Redis) CandidateVacancies(ctx context.Context, candidateID string) (map[string]bool, error) {
	ids, known, err := r.list(ctx, candidateID)
	if err != nil {
		return nil, fmt.Errorf("read matches of %s: %w", candidateID, err)
	}
	if !known {
		return nil, ErrMiss
	}
	return ids, nil
}

// PutCandidate implements Cache.
func (r *Redis) PutCandidate(ctx context.Context, candidateID string, vs []match.Ranked) error {
	key := candidateKey(candidateID)
	prev, _, err := r.list(ctx, candidateID)
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
	p := partition.Of(candidateID)
	err = r.execScripts(ctx, func(links redis.Pipeliner) {
		for id := range prev {
			if !current[id] {
				links.SRem(ctx, vacancyKey(id, p), candidateID)
			}
		}
		for _, v := range vs {
			links.EvalSha(ctx, linkIfCached.Hash(), []string{vacancyKey(v.ID, p)}, candidateID)
		}
	})
	if err != nil {
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
	p := partition.Of(candidateID)
	pipe := r.client.Pipeline()
	for _, id := range ids {
		if id != sentinel {
			pipe.SRem(ctx, vacancyKey(id, p), candidateID)
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

// Flush implements Cache: it deletes the match keys of the partitions owned,
// scanning rather than flushing the database, which may hold other things
// (and other replicas' partitions).
func (r *Redis) Flush(ctx context.Context) error {
	del := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, "cj:m:*", 1000).Iterator()
		var batch []string
		for iter.Next(ctx) {
			if r.owns(iter.Val()) {
				batch = append(batch, iter.Val())
			}
			if len(batch) == 500 {
				if err := deleteKeys(ctx, c, batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return deleteKeys(ctx, c, batch)
	}
	var err error
	switch c := r.client.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, del)
	case *redis.Client:
		err = del(ctx, c)
	default:
		err = fmt.Errorf("unsupported client %T", c)
	}
	if err != nil {
		return fmt.Errorf("flush match cache: %w", err)
	}
	return nil
}

// deleteKeys deletes keys in a pipeline, one DEL each: on a cluster, keys of
// different slots cannot go in one DEL.
func deleteKeys(ctx context.Context, c *redis.Client, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	pipe := c.Pipeline()
	for _, k := range keys {
		pipe.Del(ctx, k)
	}
	_, err := pipe.Exec(ctx)
	return err
}

// owns reports whether a match key is of a partition this cache writes.
func (r *Redis) owns(key string) bool {
	open, end := strings.IndexByte(key, '{'), strings.IndexByte(key, '}')
	if open < 0 || end < open {
		return false
	}
	id := key[open+1 : end]
	switch {
	case strings.HasPrefix(key, "cj:m:c:"):
		return r.owned.Owns(partition.Of(id))
	case strings.HasPrefix(key, "cj:m:v:"):
		p, err := strconv.Atoi(strings.TrimPrefix(key[end+1:], ":"))
		return err == nil && r.owned.Owns(p)
	}
	return false
}
