// Package natstest starts a real nats-server with JetStream inside a test, the
// way the NATS team tests: its own temporary store, a random port, shut down
// when the test ends. Production code never imports it.
package natstest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

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

// StartCluster starts n servers as one JetStream cluster, each with its own
// store and random ports, and waits until the cluster has a leader. They are
// shut down in t.Cleanup; a test may stop one to see the others carry on.
func StartCluster(t testing.TB, n int) []*server.Server {
	t.Helper()
	name := fmt.Sprintf("test-%d", time.Now().UnixNano())
	// Every server must know every route from the start, so the cluster
	// ports are chosen first.
	ports := make([]int, n)
	var routes []string
	for i := range ports {
		ports[i] = freePort(t)
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	servers := make([]*server.Server, n)
	for i := range n {
		ns, err := server.NewServer(&server.Options{
			ServerName: fmt.Sprintf("%s-%d", name, i),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: name, Host: "127.0.0.1", Port: ports[i]},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		})
		if err != nil {
			t.Fatalf("natstest: cluster server %d: %v", i, err)
		}
		t.Cleanup(func() {
			ns.Shutdown()
			ns.WaitForShutdown()
		})
		go ns.Start()
		servers[i] = ns
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready, leader := true, false
		for _, ns := range servers {
			ready = ready && ns.ReadyForConnections(10*time.Millisecond) && ns.NumRoutes() >= n-1
			leader = leader || ns.JetStreamIsLeader()
		}
		if ready && leader {
			return servers
		}
		if time.Now().After(deadline) {
			t.Fatalf("natstest: cluster of %d not formed (ready %v, leader %v)", n, ready, leader)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort returns a TCP port free a moment ago on 127.0.0.1.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// ClusterURL returns a client URL naming every server of a cluster.
func ClusterURL(servers []*server.Server) string {
	urls := make([]string, len(servers))
	for i, ns := range servers {
		urls[i] = ns.ClientURL()
	}
	return strings.Join(urls, ",")
}

// Writes sums the last sequence of every stream that nc sees. Any write, to
// any bucket or stream, moves it, and so does a deletion or a purge: a test
// compares it before and after a request that must change nothing.
func Writes(t testing.TB, nc *nats.Conn) uint64 {
	t.Helper()
	ctx := context.Background()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	var n uint64
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("natstest: stream %s: %v", name, err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatalf("natstest: stream %s: %v", name, err)
		}
		n += info.State.LastSeq
	}
	if err := names.Err(); err != nil {
		t.Fatalf("natstest: streams: %v", err)
	}
	return n
}
