package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/ratelimit"
	"github.com/clinjobs/clinjobs/pkg/redistest"
	"github.com/redis/go-redis/v9"
)

func TestMemory(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	m := ratelimit.NewMemory(ratelimit.Limit{Requests: 3, Window: time.Minute}, func() time.Time { return now })
	ctx := context.Background()
	for i := range 3 {
		if d, _ := m.Allow(ctx, "k"); !d.Allowed || d.Remaining != 2-i {
			t.Fatalf("request %d: %+v", i+1, d)
		}
	}
	d, _ := m.Allow(ctx, "k")
	if d.Allowed || d.RetryAfter != time.Minute {
		t.Fatalf("fourth: %+v", d)
	}
	if d, _ := m.Allow(ctx, "other"); !d.Allowed {
		t.Fatal("another key was limited")
	}
	now = now.Add(time.Minute)
	if d, _ := m.Allow(ctx, "k"); !d.Allowed {
		t.Fatal("a new window is still limited")
	}
}

// TestRedisSharedAcrossReplicas: two limiters (two replicas) on one Redis
// share one count.
func TestRedisSharedAcrossReplicas(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t)
	limit := ratelimit.Limit{Requests: 4, Window: time.Minute}
	a := ratelimit.NewRedis(r.Client(t), "test", limit)
	b := ratelimit.NewRedis(r.Client(t), "test", limit)
	ctx := context.Background()
	for i := range 4 {
		l := a
		if i%2 == 1 {
			l = b
		}
		if d, err := l.Allow(ctx, "trust:RJ1"); err != nil || !d.Allowed {
			t.Fatalf("request %d: %+v %v", i+1, d, err)
		}
	}
	d, err := b.Allow(ctx, "trust:RJ1")
	if err != nil || d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
		t.Fatalf("fifth, on the other replica: %+v %v", d, err)
	}
	if d, _ := a.Allow(ctx, "trust:RW3"); !d.Allowed {
		t.Fatal("another trust was limited")
	}
}

func TestRedisDownLetsThrough(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = client.Close() })
	l := ratelimit.NewRedis(client, "test", ratelimit.Limit{Requests: 1, Window: time.Minute})
	d, err := l.Allow(context.Background(), "k")
	if err == nil || !d.Allowed {
		t.Fatalf("with Redis away: %+v %v; want allowed with an error", d, err)
	}
}
