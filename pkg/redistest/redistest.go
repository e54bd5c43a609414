// Package redistest starts a real Redis for a test, in a container made from
// the image `make images` builds (nothing can be pulled where we run; see
// imagetest), and
// removes it when the test ends. Production code never imports it.
//
// testcontainers-go must not start its reaper (the image cannot be pulled)
// and, in a sandbox that has a /.dockerenv, must be told the Docker host is
// local: the Makefile sets TESTCONTAINERS_RYUK_DISABLED=true and
// TESTCONTAINERS_HOST_OVERRIDE=localhost for every test run.
package redistest

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/clinjobs/clinjobs/pkg/imagetest"
)

// Redis is a running Redis container.
type Redis struct {
	Container testcontainers.Container
	// Addr is host:port of the server as the test process reaches it.
	Addr string
}

// Start starts Redis for t; it is removed in t.Cleanup.
func Start(t testing.TB) *Redis {
	t.Helper()
	ctx := context.Background()
	ctr, err := testcontainers.Run(ctx, imagetest.Name("redis"),
		testcontainers.WithLogger(log.TestLogger(t)),
		testcontainers.WithExposedPorts("6379/tcp"),
		// A throwaway server for one test, reached from this process only:
		// without the stack's ACL file, which the image's own command needs.
		testcontainers.WithCmd("--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no", "--dir", "/data"),
		testcontainers.WithWaitStrategy(
			wait.ForLog("Ready to accept connections"),
			// The image has no shell for the in-container port check.
			wait.ForListeningPort("6379/tcp").SkipInternalCheck(),
		),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("redistest: start %s: %v", imagetest.Name("redis"), err)
	}
	addr, err := ctr.PortEndpoint(ctx, "6379/tcp", "")
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return &Redis{Container: ctr, Addr: addr}
}

// Client returns a client of r, closed in t.Cleanup.
func (r *Redis) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}
