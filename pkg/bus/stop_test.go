package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/testwait"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// TestStopGivesBackAtOnce: a consumption stopped while its one handler is
// stuck and more messages wait in its buffer gives every one of them back
// at once, for the next process of the consumer to take, long before
// their acknowledgement window ends; the messages fetched and not begun
// are not handled on the way out. Without this they waited out AckWait (a
// minute here, half a minute in the services): a restarted process got
// them late.
func TestStopGivesBackAtOnce(t *testing.T) {
	t.Parallel()
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			t.Parallel()
			js, pub := setup(t)
			ctx := t.Context()
			const n = 20
			for i := range n {
				id := fmt.Sprintf("c%d", i)
				if _, err := pub.Publish(ctx, bus.Message{Subject: bus.MatchSubject(id), ID: id, Body: &eventsv1.MatchFound{CandidateId: id}}); err != nil {
					t.Fatal(err)
				}
			}
			cons, err := js.CreateOrUpdateConsumer(ctx, bus.StreamMatches, jetstream.ConsumerConfig{
				Durable: "stop", AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Minute, MaxDeliver: bus.MaxDeliver,
			})
			if err != nil {
				t.Fatal(err)
			}
			// The first process's handlers are stuck until Stop gives up
			// on them.
			var mu sync.Mutex
			began := 0
			first, err := bus.Consume(cons, logging.Discard(), func(ctx context.Context, _ jetstream.Msg) error {
				mu.Lock()
				began++
				mu.Unlock()
				<-ctx.Done()
				return ctx.Err()
			}, bus.ConsumeOptions{Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			testwait.Until(t, 10*time.Second, "every worker at work", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return began == workers
			})
			// The rest are fetched: the consumer has them all out.
			testwait.Until(t, 10*time.Second, "every message fetched", func() bool {
				info, err := cons.Info(ctx)
				return err == nil && info.NumAckPending == n
			})
			sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			if err := first.Stop(sctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("stop: %v, want the deadline", err)
			}
			mu.Lock()
			if began != workers {
				t.Errorf("%d messages begun by a stopping process, want %d", began, workers)
			}
			mu.Unlock()

			seen := map[string]bool{}
			second, err := bus.Consume(cons, logging.Discard(), func(_ context.Context, msg jetstream.Msg) error {
				mu.Lock()
				defer mu.Unlock()
				seen[msg.Subject()] = true
				return nil
			}, bus.ConsumeOptions{Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = second.Stop(context.Background()) })
			// Well inside the minute of AckWait.
			testwait.Until(t, 10*time.Second, "every message at the next process", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(seen) == n
			})
		})
	}
}

// TestSlowHandlerKeepsItsMessage: a handler that works for several
// acknowledgement windows renews the window as it goes, so its message is
// not handed to a second worker meanwhile; the window bounds only the wait
// for a message whose process has gone.
func TestSlowHandlerKeepsItsMessage(t *testing.T) {
	t.Parallel()
	js, pub := setup(t)
	ctx := t.Context()
	const ackWait = 300 * time.Millisecond
	if _, err := pub.Publish(ctx, bus.Message{Subject: bus.MatchSubject("slow"), ID: "slow", Body: &eventsv1.MatchFound{CandidateId: "slow"}}); err != nil {
		t.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, bus.StreamMatches, jetstream.ConsumerConfig{
		Durable: "slow", AckPolicy: jetstream.AckExplicitPolicy, AckWait: ackWait, MaxDeliver: bus.MaxDeliver,
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls := 0
	c, err := bus.Consume(cons, logging.Discard(), func(context.Context, jetstream.Msg) error {
		mu.Lock()
		calls++
		mu.Unlock()
		// The work itself, five windows long.
		time.Sleep(5 * ackWait)
		return nil
	}, bus.ConsumeOptions{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	testwait.Until(t, 10*time.Second, "the slow message acknowledged", func() bool {
		info, err := cons.Info(ctx)
		return err == nil && info.AckFloor.Stream == 1 && info.NumAckPending == 0
	})
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Fatalf("handled %d times, want once", calls)
	}
}
