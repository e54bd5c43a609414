package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/natstest"
	"github.com/clinjobs/clinjobs/pkg/testwait"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

func setup(t *testing.T) (jetstream.JetStream, *bus.Publisher) {
	t.Helper()
	ns := natstest.Start(t)
	nc := natstest.Connect(t, ns)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := bus.EnsureShared(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	// Declaring twice is harmless: every service declares what it touches.
	if err := bus.EnsureShared(ctx, js, 1); err != nil {
		t.Fatalf("second declaration: %v", err)
	}
	return js, bus.NewPublisher(js)
}

func trust(name string) *eventsv1.Trust { return &eventsv1.Trust{Code: "RJ1", Name: name} }

func TestStoreRevisions(t *testing.T) {
	t.Parallel()
	js, pub := setup(t)
	ctx := t.Context()
	s, err := bus.NewStore(ctx, js, pub, bus.BucketTrusts)
	if err != nil {
		t.Fatal(err)
	}

	rev1, err := s.Create(ctx, "RJ1", "create-RJ1", trust("Guy's"))
	if err != nil {
		t.Fatal(err)
	}
	// A retry of the same create (same message id) is the same write.
	again, err := s.Create(ctx, "RJ1", "create-RJ1", trust("Guy's"))
	if err != nil || again != rev1 {
		t.Fatalf("retried create = %d, %v; want %d", again, err, rev1)
	}
	// Another create of the key is refused.
	if _, err := s.Create(ctx, "RJ1", "create-RJ1-other", trust("Other")); !errors.Is(err, bus.ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}

	rev2, err := s.Update(ctx, "RJ1", rev1, trust("Guy's and St Thomas'"))
	if err != nil {
		t.Fatal(err)
	}
	// A concurrent writer that read rev1 is refused, not silently merged.
	if _, err := s.Update(ctx, "RJ1", rev1, trust("Stale")); !errors.Is(err, bus.ErrStale) {
		t.Fatalf("stale update: %v, want ErrStale", err)
	}
	var got eventsv1.Trust
	rev, err := s.Get(ctx, "RJ1", &got)
	if err != nil || rev != rev2 || got.GetName() != "Guy's and St Thomas'" {
		t.Fatalf("get = %d %v %v", rev, got.GetName(), err)
	}

	if err := s.Erase(ctx, "RJ1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "RJ1", &got); !errors.Is(err, bus.ErrNotFound) {
		t.Fatalf("get after erase: %v, want ErrNotFound", err)
	}
	// An erased key can be created again.
	if _, err := s.Create(ctx, "RJ1", "create-RJ1-again", trust("New")); err != nil {
		t.Fatalf("create after erase: %v", err)
	}
}

func TestPublishDedupesRetries(t *testing.T) {
	t.Parallel()
	js, pub := setup(t)
	ctx := t.Context()
	for range 3 {
		if _, err := pub.Publish(ctx, bus.Message{
			Subject: bus.MatchSubject("c1"), ID: "c1.v1",
			Body: &eventsv1.MatchFound{CandidateId: "c1"},
		}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := js.Stream(ctx, bus.StreamMatches)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages, want 1", info.State.Msgs)
	}
}

func TestConsumeContract(t *testing.T) {
	t.Parallel()
	js, pub := setup(t)
	ctx := t.Context()
	for _, id := range []string{"ok", "flaky", "poison"} {
		if _, err := pub.Publish(ctx, bus.Message{Subject: bus.MatchSubject(id), ID: id, Body: &eventsv1.MatchFound{CandidateId: id}}); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, bus.StreamMatches, jetstream.ConsumerConfig{
		Durable: "test", AckPolicy: jetstream.AckExplicitPolicy, MaxDeliver: 5,
	})
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	calls := map[string]int{}
	var done atomic.Int32
	h := func(_ context.Context, msg jetstream.Msg) error {
		var m eventsv1.MatchFound
		if err := proto.Unmarshal(msg.Data(), &m); err != nil {
			return bus.Term(err)
		}
		id := m.GetCandidateId()
		mu.Lock()
		calls[id]++
		n := calls[id]
		mu.Unlock()
		switch {
		case id == "poison":
			done.Add(1)
			return bus.Term(errors.New("cannot be handled"))
		case id == "flaky" && n < 3:
			return errors.New("try again")
		case id == "panics":
			panic("boom")
		}
		done.Add(1)
		return nil
	}
	c, err := bus.Consume(cons, logging.Discard(), h, bus.ConsumeOptions{
		Backoff: func(uint64) time.Duration { return 10 * time.Millisecond },
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for done.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["ok"] != 1 || calls["flaky"] != 3 || calls["poison"] != 1 {
		t.Fatalf("calls = %v, want ok 1, flaky 3, poison 1", calls)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.NumAckPending != 0 || info.NumPending != 0 {
		t.Fatalf("left pending %d, unacknowledged %d", info.NumPending, info.NumAckPending)
	}
}

func TestConsumeWorkers(t *testing.T) {
	t.Parallel()
	js, pub := setup(t)
	ctx := t.Context()
	const n = 200
	for i := range n {
		id := fmt.Sprintf("c%d", i)
		if _, err := pub.Publish(ctx, bus.Message{Subject: bus.MatchSubject(id), ID: id, Body: &eventsv1.MatchFound{CandidateId: id}}); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, bus.StreamMatches, jetstream.ConsumerConfig{Durable: "workers", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	var handled, inFlight, most atomic.Int32
	c, err := bus.Consume(cons, logging.Discard(), func(context.Context, jetstream.Msg) error {
		cur := inFlight.Add(1)
		for {
			m := most.Load()
			if cur <= m || most.CompareAndSwap(m, cur) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		inFlight.Add(-1)
		handled.Add(1)
		return nil
	}, bus.ConsumeOptions{Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for handled.Load() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if handled.Load() != n {
		t.Fatalf("handled %d of %d", handled.Load(), n)
	}
	if most.Load() < 2 || most.Load() > 8 {
		t.Fatalf("at most %d handled at once, want 2 to 8 with 8 workers", most.Load())
	}
}

// TestTraceCrossesNATS checks that a handler runs in the trace of the code
// that published its message.
func TestTraceCrossesNATS(t *testing.T) {
	t.Parallel()
	js, pub := setup(t)
	ctx := t.Context()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	tracer := tp.Tracer("test")

	pctx, parent := tracer.Start(ctx, "post vacancy")
	if _, err := pub.Publish(pctx, bus.Message{Subject: bus.MatchSubject("c1"), ID: "traced", Body: &eventsv1.MatchFound{CandidateId: "c1"}}); err != nil {
		t.Fatal(err)
	}
	parent.End()

	cons, err := js.CreateOrUpdateConsumer(ctx, bus.StreamMatches, jetstream.ConsumerConfig{Durable: "traced", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan trace.SpanContext, 1)
	c, err := bus.Consume(cons, logging.Discard(), func(ctx context.Context, _ jetstream.Msg) error {
		got <- trace.SpanContextFromContext(ctx)
		return nil
	}, bus.ConsumeOptions{Tracer: tracer, Metrics: bus.NewConsumerMetrics(prometheus.NewRegistry())})
	if err != nil {
		t.Fatal(err)
	}
	var sc trace.SpanContext
	select {
	case sc = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if sc.TraceID() != parent.SpanContext().TraceID() {
		t.Fatalf("handler in trace %s, publisher in %s", sc.TraceID(), parent.SpanContext().TraceID())
	}
	var consumeSpan sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == "consume traced" {
			consumeSpan = s
		}
	}
	if consumeSpan == nil || consumeSpan.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Fatalf("consume span %v is not a child of the publishing span", consumeSpan)
	}
}

// TestConsumeKeyedWorkers: messages of one key are handled one after
// another, in stream order, while other keys' go side by side.
func TestConsumeKeyedWorkers(t *testing.T) {
	t.Parallel()
	js, pub := setup(t)
	ctx := t.Context()
	const keys, each = 6, 30
	for i := range each {
		for k := range keys {
			id := fmt.Sprintf("k%d", k)
			if _, err := pub.Publish(ctx, bus.Message{Subject: bus.MatchSubject(id), ID: fmt.Sprintf("%s-%d", id, i),
				Body: &eventsv1.MatchFound{CandidateId: id, Score: int32(i)}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, bus.StreamMatches, jetstream.ConsumerConfig{Durable: "keyed", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string][]int32{}
	busy := map[string]bool{}
	var handled, overlaps, most, inFlight atomic.Int32
	c, err := bus.Consume(cons, logging.Discard(), func(_ context.Context, msg jetstream.Msg) error {
		var m eventsv1.MatchFound
		if err := proto.Unmarshal(msg.Data(), &m); err != nil {
			return err
		}
		mu.Lock()
		if busy[m.CandidateId] {
			overlaps.Add(1)
		}
		busy[m.CandidateId] = true
		mu.Unlock()
		if cur := inFlight.Add(1); cur > most.Load() {
			most.Store(cur)
		}
		time.Sleep(time.Millisecond)
		inFlight.Add(-1)
		mu.Lock()
		busy[m.CandidateId] = false
		seen[m.CandidateId] = append(seen[m.CandidateId], m.Score)
		mu.Unlock()
		handled.Add(1)
		return nil
	}, bus.ConsumeOptions{Workers: 4, Key: bus.BySubject})
	if err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, 10*time.Second, "every message handled", func() bool { return handled.Load() >= keys*each })
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if overlaps.Load() != 0 {
		t.Fatalf("%d messages of a key handled while another of it was", overlaps.Load())
	}
	for k, scores := range seen {
		for i, s := range scores {
			if s != int32(i) {
				t.Fatalf("key %s handled out of order: %v", k, scores)
			}
		}
	}
	if handled.Load() != keys*each || most.Load() < 2 {
		t.Fatalf("handled %d, at most %d at once", handled.Load(), most.Load())
	}
}

// TestGetFromLeader reads records, deletions and purges the way the stream
// leader has them.
func TestGetFromLeader(t *testing.T) {
	t.Parallel()
	js, pub := setup(t)
	ctx := t.Context()
	s, err := bus.NewStore(ctx, js, pub, bus.BucketCandidates)
	if err != nil {
		t.Fatal(err)
	}
	var got eventsv1.CandidateChanged
	if _, err := s.GetFromLeader(ctx, "p01.cnone", &got); !errors.Is(err, bus.ErrNotFound) {
		t.Fatalf("a key never written: %v", err)
	}
	rev, err := s.Create(ctx, "p01.cone", "create-one", &eventsv1.CandidateChanged{Candidate: &eventsv1.Candidate{Id: "cone"}})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.GetFromLeader(ctx, "p01.cone", &got); err != nil || r != rev || got.GetCandidate().GetId() != "cone" {
		t.Fatalf("read %v %d %v, want revision %d", err, r, &got, rev)
	}
	if err := s.Erase(ctx, "p01.cone"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetFromLeader(ctx, "p01.cone", &got); !errors.Is(err, bus.ErrNotFound) {
		t.Fatalf("an erased key: %v", err)
	}
}

// TestKeysNoRecordCanHave: a key that no record can have (a wildcard, a
// space, an empty token), as a forged credential or a hostile path brings
// it, is not found by every read, and never reads another key's record.
func TestKeysNoRecordCanHave(t *testing.T) {
	t.Parallel()
	js, pub := setup(t)
	ctx := t.Context()
	s, err := bus.NewStore(ctx, js, pub, bus.BucketCandidates)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "p01.cone", "create-one", &eventsv1.CandidateChanged{Candidate: &eventsv1.Candidate{Id: "cone"}}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"p01.*", "p01.>", "*", ">", "*.cone", "p01.c one", "", ".", "p01.", ".p01.cone", "p01..cone", "p01.cone\x00", "p01.cöne", "p01.cone\n"} {
		reads := map[string]func(*eventsv1.CandidateChanged) error{
			"Get": func(into *eventsv1.CandidateChanged) error { _, err := s.Get(ctx, key, into); return err },
			"GetFromLeader": func(into *eventsv1.CandidateChanged) error {
				_, err := s.GetFromLeader(ctx, key, into)
				return err
			},
			"GetConfirmed": func(into *eventsv1.CandidateChanged) error {
				_, err := s.GetConfirmed(ctx, key, into, func() bool { return false })
				return err
			},
		}
		for name, read := range reads {
			var got eventsv1.CandidateChanged
			if err := read(&got); !errors.Is(err, bus.ErrNotFound) || got.GetCandidate().GetId() != "" {
				t.Errorf("%s(%q) = %v, %v; want ErrNotFound and nothing read", name, key, err, &got)
			}
		}
	}
}
