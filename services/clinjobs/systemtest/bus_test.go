package systemtest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"

	"github.com/clinjobs/clinjobs/services/clinjobs/e2etest"
)

// checkBus checks the image's server as the stack runs it: without TLS,
// without credentials or with a wrong password nothing connects, and each
// service's user is held to its own subjects (the whole table runs on an
// embedded server in pkg/natsauth; this is the same configuration in the
// image).
func checkBus(t *testing.T, st *stack) {
	t.Helper()
	ca := nats.RootCAs(filepath.Join(st.secrets, "ca", "ca.pem"))
	refused := map[string][]nats.Option{
		"no credentials": {ca},
		"wrong password": {ca, nats.UserInfo("ingest", "guess")},
		"plaintext":      e2etest.NATSAs(t, st.secrets, "ingest")[:1],
	}
	for name, opts := range refused {
		url := st.nats
		if name == "plaintext" {
			url = strings.Replace(url, "tls://", "nats://", 1)
		}
		nc, err := nats.Connect(url, append(opts, nats.NoReconnect(), nats.Timeout(5*time.Second))...)
		if err == nil {
			nc.Close()
			t.Errorf("%s: connected", name)
		}
	}
	for _, c := range []struct {
		user, subject string
		allowed       bool
	}{
		{"ingest", "clinjobs.ingest.trusts.keys.issue", false},
		{"dashboard", "clinjobs.ingest.trusts.keys.issue", true},
		{"notification", "$KV.vacancies.x", false},
		{"matching", "clinjobs.notification.endpoints.pause", false},
		{"ingest", "$JS.API.STREAM.DELETE.AUDIT", false},
	} {
		// The refusals are expected: not printed as the default handler does.
		quiet := nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})
		nc, err := nats.Connect(st.nats, append(e2etest.NATSAs(t, st.secrets, c.user), nats.NoReconnect(), quiet)...)
		if err != nil {
			t.Fatalf("connect as %s: %v", c.user, err)
		}
		if err := nc.Publish(c.subject, nil); err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		// A refused publish is answered before the pong Flush waits for.
		got := !errors.Is(nc.LastError(), nats.ErrPermissionViolation)
		nc.Close()
		if got != c.allowed {
			t.Errorf("%s publishing %s: allowed %v, want %v", c.user, c.subject, got, c.allowed)
		}
	}
}

// checkRedis checks the image's Redis as the stack runs it: without
// credentials it answers PING (the health check) and nothing else, and each
// service's user reaches only its own keys.
func checkRedis(t *testing.T, st *stack) {
	t.Helper()
	ctx := context.Background()
	client := func(user string) *redis.Client {
		opts := &redis.Options{Addr: st.redis}
		if user != "" {
			pw, err := os.ReadFile(filepath.Join(st.secrets, user, "redis.password"))
			if err != nil {
				t.Fatal(err)
			}
			opts.Username, opts.Password = user, strings.TrimSpace(string(pw))
		}
		c := redis.NewClient(opts)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	anonymous := client("")
	if err := anonymous.Ping(ctx).Err(); err != nil {
		t.Errorf("PING without credentials: %v", err)
	}
	for _, c := range []struct {
		user string
		cmd  []any
		ok   bool
	}{
		{"", []any{"get", "cj:m:c:{x}"}, false},
		{"", []any{"keys", "*"}, false},
		{"", []any{"flushall"}, false},
		{"matching", []any{"zadd", "cj:m:c:{x}", 1, "v"}, true},
		{"matching", []any{"get", "cj:rl:ingest:key:x"}, false},
		{"matching", []any{"flushall"}, false},
		{"ingest", []any{"incr", "cj:rl:ingest:key:x"}, true},
		{"ingest", []any{"incr", "cj:m:c:{x}"}, false},
		{"dashboard", []any{"info", "keyspace"}, true},
		{"dashboard", []any{"zrange", "cj:m:c:{x}", 0, -1}, false},
		{"dashboard", []any{"config", "get", "*"}, false},
	} {
		err := client(c.user).Do(ctx, c.cmd...).Err()
		if ok := err == nil || errors.Is(err, redis.Nil); ok != c.ok {
			t.Errorf("redis %v as %q: %v, want allowed %v", c.cmd, c.user, err, c.ok)
		}
	}
}
