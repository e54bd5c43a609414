package bus

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/telemetry"
)

// Handler does the work a message asks for. Returning nil acknowledges the
// message; an error asks for redelivery after a delay; an error made with
// Term gives up on the message for good.
type Handler func(ctx context.Context, msg jetstream.Msg) error

// termError marks an error after which redelivery cannot help.
type termError struct{ err error }

func (e termError) Error() string { return e.err.Error() }
func (e termError) Unwrap() error { return e.err }

// Term wraps err so that the consumer terminates the message instead of
// asking for it again: for a message that can never be handled, such as one
// that does not decode.
func Term(err error) error { return termError{err} }

// Delay wraps err so that the message is redelivered after exactly d.
func Delay(err error, d time.Duration) error { return delayError{err, d} }

type delayError struct {
	err error
	d   time.Duration
}

func (e delayError) Error() string { return e.err.Error() }
func (e delayError) Unwrap() error { return e.err }

// ConsumeOptions tune a Consumption.
type ConsumeOptions struct {
	// Workers handle messages side by side; 1 handles them in stream order.
	// Default: 1.
	Workers int
	// Backoff is the delay before redelivering a message whose handler failed
	// for the attempt'th time. Default: 100ms doubling to 30s.
	Backoff func(attempt uint64) time.Duration
	// HandleTimeout bounds one handler call. Default: 30s.
	HandleTimeout time.Duration
	// Tracer, when set, makes a span of each handler call, in the trace the
	// message's headers carry. The trace id reaches the logs either way.
	Tracer trace.Tracer
	// Metrics, when set, measures the consumer.
	Metrics *ConsumerMetrics
	// Key, when set with Workers > 1, sends the messages of one key to one
	// worker, so that they are handled one after another in stream order
	// while other keys' go side by side. The subject of a KV change is the
	// natural key.
	Key func(jetstream.Msg) string
}

// BySubject keys messages by subject.
func BySubject(msg jetstream.Msg) string { return msg.Subject() }

func (o *ConsumeOptions) setDefaults() {
	if o.Workers < 1 {
		o.Workers = 1
	}
	if o.Backoff == nil {
		o.Backoff = func(attempt uint64) time.Duration {
			d := 100 * time.Millisecond << min(attempt-1, 9)
			return min(d, 30*time.Second)
		}
	}
	if o.HandleTimeout == 0 {
		o.HandleTimeout = 30 * time.Second
	}
}

// Consumption is a running consumer. Stop ends it after the messages in hand
// are handled and acknowledged.
type Consumption struct {
	name string
	log  *slog.Logger
	cc   jetstream.ConsumeContext
	work []chan jetstream.Msg
	wg   sync.WaitGroup
	// base is the context of handler calls; cancelled only when Stop gives up.
	base   context.Context
	cancel context.CancelFunc
}

// Consume calls h for every message of cons.
func Consume(cons jetstream.Consumer, log *slog.Logger, h Handler, opts ConsumeOptions) (*Consumption, error) {
	opts.setDefaults()
	name := cons.CachedInfo().Name
	c := &Consumption{name: name, log: log.With("consumer", name)}
	c.base, c.cancel = context.WithCancel(context.Background())
	handle := func(msg jetstream.Msg) { c.handle(msg, h, opts) }
	if opts.Workers > 1 {
		// Unkeyed, every worker takes from one queue; keyed, each has its
		// own.
		queues := 1
		if opts.Key != nil {
			queues = opts.Workers
		}
		for range queues {
			c.work = append(c.work, make(chan jetstream.Msg))
		}
		for i := range opts.Workers {
			q := c.work[i%queues]
			c.wg.Go(func() {
				for msg := range q {
					c.handle(msg, h, opts)
				}
			})
		}
		handle = func(msg jetstream.Msg) { c.work[0] <- msg }
		if opts.Key != nil {
			handle = func(msg jetstream.Msg) {
				f := fnv.New32a()
				_, _ = f.Write([]byte(opts.Key(msg)))
				c.work[f.Sum32()%uint32(queues)] <- msg
			}
		}
	}
	cc, err := cons.Consume(handle,
		jetstream.PullMaxMessages(max(64, 2*opts.Workers)),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if !errors.Is(err, jetstream.ErrNoHeartbeat) {
				c.log.Debug("consume", "err", err)
				return
			}
			c.log.Warn("consume: missed heartbeats; reconnecting", "err", err)
		}))
	if err != nil {
		c.cancel()
		c.closeWork()
		return nil, fmt.Errorf("consume %s: %w", name, err)
	}
	c.cc = cc
	return c, nil
}

func (c *Consumption) handle(msg jetstream.Msg, h Handler, opts ConsumeOptions) {
	md, err := msg.Metadata()
	if err != nil {
		c.log.Error("message without metadata; terminating it", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(c.base, opts.HandleTimeout)
	defer cancel()
	if id := msg.Headers().Get(HeaderRequestID); id != "" {
		ctx = logging.WithRequestID(ctx, id)
	}
	ctx = telemetry.Extract(ctx, msg.Headers())
	var span trace.Span
	if opts.Tracer != nil {
		ctx, span = opts.Tracer.Start(ctx, "consume "+c.name, trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(
				attribute.String("messaging.system", "nats"),
				attribute.String("messaging.destination.name", msg.Subject()),
				attribute.Int64("messaging.nats.stream_sequence", int64(md.Sequence.Stream)),
				attribute.Int64("messaging.nats.delivered", int64(md.NumDelivered)),
			))
		defer span.End()
	}
	err = safeHandle(ctx, h, msg)
	outcome := c.settle(ctx, msg, md, err, opts)
	if span != nil && err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, outcome)
	}
	if m := opts.Metrics; m != nil {
		m.duration.WithLabelValues(c.name).Observe(time.Since(start).Seconds())
		m.outcomes.WithLabelValues(c.name, outcome).Inc()
		if md.NumDelivered > 1 {
			m.redeliveries.WithLabelValues(c.name).Inc()
		}
	}
}

// settle acknowledges, retries or terminates msg as err says, and names
// what it did.
func (c *Consumption) settle(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, err error, opts ConsumeOptions) string {
	var term termError
	var delay delayError
	switch {
	case err == nil:
		// DoubleAck waits for the server to confirm, so the work is never
		// taken for done while the acknowledgement is still in flight.
		if aerr := msg.DoubleAck(ctx); aerr != nil {
			c.log.WarnContext(ctx, "ack not confirmed; the message may come again", "subject", msg.Subject(), "seq", md.Sequence.Stream, "err", aerr)
		}
		return "ack"
	case errors.As(err, &term):
		c.log.ErrorContext(ctx, "message cannot be handled; terminated", "subject", msg.Subject(), "seq", md.Sequence.Stream, "err", err)
		_ = msg.TermWithReason(err.Error())
		return "term"
	case errors.As(err, &delay):
		c.log.DebugContext(ctx, "message deferred", "subject", msg.Subject(), "seq", md.Sequence.Stream, "delay", delay.d, "err", err)
		_ = msg.NakWithDelay(delay.d)
		return "delay"
	default:
		d := opts.Backoff(md.NumDelivered)
		c.log.WarnContext(ctx, "handler failed; will retry", "subject", msg.Subject(), "seq", md.Sequence.Stream,
			"attempt", md.NumDelivered, "retry_in", d, "err", err)
		_ = msg.NakWithDelay(d)
		return "retry"
	}
}

// safeHandle turns a panicking handler into a failed one, so one bad message
// cannot take the service down; it is retried like any other failure.
func safeHandle(ctx context.Context, h Handler, msg jetstream.Msg) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return h(ctx, msg)
}

// Stop stops fetching and waits until the messages in hand are handled, or
// ctx ends, in which case their handlers are cancelled and they will be
// redelivered.
func (c *Consumption) Stop(ctx context.Context) error {
	c.cc.Drain()
	var err error
	select {
	case <-c.cc.Closed():
	case <-ctx.Done():
		c.cc.Stop()
		c.cancel()
		<-c.cc.Closed()
		err = fmt.Errorf("stop %s: %w", c.name, ctx.Err())
	}
	c.closeWork()
	c.cancel()
	return err
}

// closeWork ends the workers once they have handled what is queued.
func (c *Consumption) closeWork() {
	for _, q := range c.work {
		close(q)
	}
	c.wg.Wait()
}
