// Package ratelimit limits how many requests each key (a credential, or a
// client address for anonymous calls) may make per window. With Redis the
// count is shared by every replica, so the limit holds however many run;
// without it each process counts for itself. If Redis is unreachable the
// request is let through: a cache outage must not stop the API.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Decision is the outcome of one request's check.
type Decision struct {
	Allowed bool
	// RetryAfter is how long until the window resets, when not allowed.
	RetryAfter time.Duration
	Remaining  int
}

// Limiter decides whether a request may proceed.
type Limiter interface {
	// Allow counts a request against key and decides. An error means the
	// count could not be made; the caller lets the request through.
	Allow(ctx context.Context, key string) (Decision, error)
}

// Limit is a number of requests per window.
type Limit struct {
	Requests int
	Window   time.Duration
}

// Redis counts in Redis: INCR and PEXPIRE of one key per window, in one
// script so that the first request of a window sets its end.
type Redis struct {
	client redis.UniversalClient
	limit  Limit
	prefix string
}

// NewRedis returns a limiter sharing its counts through client; prefix
// keeps limiters of different APIs apart.
func NewRedis(client redis.UniversalClient, prefix string, limit Limit) *Redis {
	return &Redis{client: client, limit: limit, prefix: "cj:rl:" + prefix + ":"}
}

var count = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`)

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string) (Decision, error) {
	// The Redis key is a hash: counts must not keep who made them (a
	// candidate's id would outlive their erasure by a window).
	sum := sha256.Sum256([]byte(key))
	res, err := count.Run(ctx, r.client, []string{r.prefix + hex.EncodeToString(sum[:12])}, r.limit.Window.Milliseconds()).Int64Slice()
	if err != nil {
		return Decision{Allowed: true}, fmt.Errorf("rate limit %s: %w", key, err)
	}
	n, ttl := int(res[0]), time.Duration(res[1])*time.Millisecond
	if n > r.limit.Requests {
		return Decision{Allowed: false, RetryAfter: ttl}, nil
	}
	return Decision{Allowed: true, Remaining: r.limit.Requests - n}, nil
}

// Memory counts in this process.
type Memory struct {
	limit Limit
	now   func() time.Time

	mu      sync.Mutex
	windows map[string]window
	swept   time.Time
}

type window struct {
	n   int
	end time.Time
}

// NewMemory returns an in-process limiter on the clock now.
func NewMemory(limit Limit, now func() time.Time) *Memory {
	return &Memory{limit: limit, now: now, windows: map[string]window{}}
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string) (Decision, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.swept) > m.limit.Window {
		for k, w := range m.windows {
			if !now.Before(w.end) {
				delete(m.windows, k)
			}
		}
		m.swept = now
	}
	w := m.windows[key]
	if !now.Before(w.end) {
		w = window{end: now.Add(m.limit.Window)}
	}
	w.n++
	m.windows[key] = w
	if w.n > m.limit.Requests {
		return Decision{Allowed: false, RetryAfter: w.end.Sub(now)}, nil
	}
	return Decision{Allowed: true, Remaining: m.limit.Requests - w.n}, nil
}
