package bus_test

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/natstest"
)

// TestStoreOnReplicatedStreams checks the record store where it runs in
// production: on a three-node cluster with every bucket replicated three
// times, where JetStream reports a conflicting update differently.
func TestStoreOnReplicatedStreams(t *testing.T) {
	t.Parallel()
	servers := natstest.StartCluster(t, 3)
	ctx := t.Context()
	nc, err := bus.Connect(ctx, bus.Config{URLs: []string{natstest.ClusterURL(servers)}, Replicas: 3}, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.EnsureShared(ctx, js, 3); err != nil {
		t.Fatal(err)
	}
	s, err := bus.NewStore(ctx, js, bus.NewPublisher(js), bus.BucketTrusts)
	if err != nil {
		t.Fatal(err)
	}
	rev1, err := s.Create(ctx, "RJ1", "create-RJ1", trust("one"))
	if err != nil {
		t.Fatal(err)
	}
	if again, err := s.Create(ctx, "RJ1", "create-RJ1", trust("one")); err != nil || again != rev1 {
		t.Fatalf("retried create = %d, %v", again, err)
	}
	if _, err := s.Create(ctx, "RJ1", "create-other", trust("two")); !errors.Is(err, bus.ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	if _, err := s.Update(ctx, "RJ1", rev1, trust("three")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, "RJ1", rev1, trust("stale")); !errors.Is(err, bus.ErrStale) {
		t.Fatalf("stale update on R3: %v, want ErrStale", err)
	}
	info, err := js.Stream(ctx, bus.KVStream(bus.BucketTrusts))
	if err != nil {
		t.Fatal(err)
	}
	if r := info.CachedInfo().Config.Replicas; r != 3 {
		t.Fatalf("bucket has %d replicas", r)
	}
}
