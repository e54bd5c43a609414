package e2etest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Pending returns, for every durable consumer with work left, what is left:
// messages not yet delivered and delivered but not acknowledged.
func Pending(ctx context.Context, js jetstream.JetStream) (map[string]string, error) {
	left := map[string]string{}
	streams := js.ListStreams(ctx)
	for s := range streams.Info() {
		stream, err := js.Stream(ctx, s.Config.Name)
		if err != nil {
			return nil, err
		}
		consumers := stream.ListConsumers(ctx)
		for c := range consumers.Info() {
			if c.Config.Durable == "" {
				continue
			}
			if c.NumPending > 0 || c.NumAckPending > 0 {
				left[s.Config.Name+"/"+c.Name] = fmt.Sprintf("%d pending, %d unacknowledged", c.NumPending, c.NumAckPending)
			}
		}
		if err := consumers.Err(); err != nil {
			return nil, err
		}
	}
	return left, streams.Err()
}

// Settled waits until no durable consumer of the server at natsURL has work
// left, logging what is left whenever that changes, and fails t after
// timeout. opts are the connection's credentials, such as NATSAs gives.
func Settled(t testing.TB, natsURL string, timeout time.Duration, opts ...nats.Option) {
	t.Helper()
	nc, err := nats.Connect(natsURL, opts...)
	if err != nil {
		t.Fatalf("settle: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("settle: %v", err)
	}
	last := ""
	Eventually(t, timeout, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		left, err := Pending(ctx, js)
		now := fmt.Sprint(left)
		if err != nil {
			now = err.Error()
		}
		if err == nil && len(left) == 0 {
			return true, ""
		}
		if now != last {
			t.Logf("waiting for %s", now)
			last = now
		}
		return false, now
	})
}
