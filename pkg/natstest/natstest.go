// Package natstest starts a real nats-server with JetStream inside a test, the
// way the NATS team tests: its own temporary store, a random port, shut down
// when the test ends. Production code never imports it.
package natstest

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/clinjobs/clinjobs/pkg/natsserver"
)

// Start starts a server for t and shuts it down in t.Cleanup.
func Start(t testing.TB) *server.Server {
	t.Helper()
	return StartIn(t, t.TempDir())
}

// StartIn starts a server whose store is dir, so that a test can stop it and
// start another on the same store.
func StartIn(t testing.TB, dir string) *server.Server {
	t.Helper()
	ns, err := natsserver.Start(natsserver.Config{StoreDir: dir, Port: -1}, nil)
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns
}

// Connect returns a client connection to ns, closed in t.Cleanup.
func Connect(t testing.TB, ns *server.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(ns.ClientURL(), nats.Name(t.Name()))
	if err != nil {
		t.Fatalf("natstest: connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}
