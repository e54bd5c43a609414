package bus

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
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

// MaxDeliver is how often one message is tried before it is given up:
// every consumer of the system sets it, so that a message no handler can
// ever take (one that panics, one whose work the service refuses) does not
// come back for ever. With the default Backoff the tries span about nine
// minutes, inside the ten-minute duplicate window of every stream a
// handler writes to, so a handler that wrote part of its work and failed
// writes nothing twice however late its last try. A message given up is
// terminated with a reason and logged as an error.
const MaxDeliver = 25

// AckWait is the acknowledgement window of every consumer of the system:
// how long a message handed to a process that has gone (killed, cut off,
// or stopped at the moment the server sent it) waits before another
// process may take it. It is short because a handler still at work says
// so (InProgress) every third of the window, however long it takes: the
// window bounds the wait after a loss, never the work.
const AckWait = 10 * time.Second

// fetchWait is how long one pull request stays open at the server. Stop
// waits for the open one to end, so it bounds how long stopping takes
// beyond the handlers at work.
const fetchWait = time.Second

// Consumption is a running consumer. Stop ends it after the messages being
// handled are handled and acknowledged, and gives back at once those
// fetched and not yet begun.
//
// Messages come by pull requests (Fetch), one open at a time, and the
// request's subscription ends only once the server has ended the request.
// A subscription dropped while a request is open (what a consume loop's
// Stop or Drain does) races the server: a message it sends at that moment
// is counted as delivered, reaches no one, and waits out AckWait before
// anyone may take it. That is why a restart used to find a match or a
// delivery held for half a minute (TestRestartAtOnce in the all-in-one).
type Consumption struct {
	name string
	log  *slog.Logger
	work []chan held
	wg   sync.WaitGroup
	// fetching ends when the fetch loop has ended.
	fetching chan struct{}
	// halt is closed by Stop, to end a pause between fetches.
	halt chan struct{}
	// base is the context of handler calls; cancelled only when Stop gives up.
	base   context.Context
	cancel context.CancelFunc
	// stopping is set by Stop: a message not yet begun is given back.
	stopping atomic.Bool
	// maxDeliver is the consumer's MaxDeliver; 0 or less for no limit.
	maxDeliver int
	// ackWait is the consumer's AckWait, which is renewed from the moment
	// a message arrives until it is settled.
	ackWait time.Duration
	// returning holds what Stop gives back while a pull request is still
	// open, until fetchEnded: the server would hand a message given back
	// then straight to that same request, again and again, until
	// MaxDeliver gave it up for good.
	retMu      sync.Mutex
	returning  []held
	fetchEnded bool
	// detached counts the messages whose handlers handed their work on
	// (Detach) and that are not yet settled.
	detached sync.WaitGroup
}

// ErrDetached is what a handler returns after Detach, to free its worker
// while the work goes on elsewhere; the message is settled when the
// finish function Detach gave is called.
var ErrDetached = errors.New("handler detached")

type detachKey struct{}

// detacher is what Detach finds in a handler's context.
type detacher struct {
	c    *Consumption
	m    held
	md   *jetstream.MsgMetadata
	opts ConsumeOptions
	used bool
}

// Detach lets a handler hand the rest of its work on and free its worker:
// it returns a context for that work (not cancelled when the handler
// returns; bounded by HandleTimeout from now) and finish, which settles
// the message with the work's outcome as a handler's return would. The
// handler then returns ErrDetached. The message's acknowledgement window
// is renewed until finish, and Stop waits for detached work as for
// handlers. ok is false outside a handler of Consume.
func Detach(ctx context.Context) (wctx context.Context, finish func(error), ok bool) {
	d, _ := ctx.Value(detachKey{}).(*detacher)
	if d == nil || d.used {
		return nil, nil, false
	}
	d.used = true
	d.c.detached.Add(1)
	wctx, cancel := context.WithTimeout(d.c.base, d.opts.HandleTimeout)
	wctx = trace.ContextWithSpanContext(wctx, trace.SpanContextFromContext(ctx))
	if id := logging.RequestID(ctx); id != "" {
		wctx = logging.WithRequestID(wctx, id)
	}
	var once sync.Once
	return wctx, func(err error) {
		once.Do(func() {
			defer d.c.detached.Done()
			defer cancel()
			if err != nil && d.c.stopping.Load() && d.c.base.Err() != nil {
				d.c.giveBack(d.m)
				return
			}
			d.m.stopRenewing()
			d.c.settle(wctx, d.m.msg, d.md, err, d.opts)
		})
	}, true
}

// held is a message in this process's hands, its acknowledgement window
// renewed until it is settled.
type held struct {
	msg          jetstream.Msg
	stopRenewing func()
}

// Consume calls h for every message of cons.
func Consume(cons jetstream.Consumer, log *slog.Logger, h Handler, opts ConsumeOptions) (*Consumption, error) {
	opts.setDefaults()
	info := cons.CachedInfo()
	if info == nil {
		return nil, errors.New("consume: consumer without info")
	}
	c := &Consumption{name: info.Name, log: log.With("consumer", info.Name),
		maxDeliver: info.Config.MaxDeliver, ackWait: info.Config.AckWait,
		fetching: make(chan struct{}), halt: make(chan struct{})}
	c.base, c.cancel = context.WithCancel(context.Background())
	dispatch := func(m held) { c.handle(m, h, opts) }
	if opts.Workers > 1 {
		// Unkeyed, every worker takes from one queue; keyed, each has its
		// own.
		queues := 1
		if opts.Key != nil {
			queues = opts.Workers
		}
		for range queues {
			c.work = append(c.work, make(chan held))
		}
		for i := range opts.Workers {
			q := c.work[i%queues]
			c.wg.Go(func() {
				for m := range q {
					c.handle(m, h, opts)
				}
			})
		}
		dispatch = func(m held) { c.work[0] <- m }
		if opts.Key != nil {
			dispatch = func(m held) {
				f := fnv.New32a()
				_, _ = f.Write([]byte(opts.Key(m.msg)))
				c.work[f.Sum32()%uint32(queues)] <- m
			}
		}
	}
	go c.fetch(cons, max(64, 2*opts.Workers), dispatch)
	return c, nil
}

// fetch pulls batches of messages and dispatches them until Stop; the
// request open when Stop comes is let run out, and what it brings is given
// back.
func (c *Consumption) fetch(cons jetstream.Consumer, batch int, dispatch func(held)) {
	defer close(c.fetching)
	defer c.returnHeld()
	pause := 100 * time.Millisecond
	for !c.stopping.Load() {
		b, err := cons.Fetch(batch, jetstream.FetchMaxWait(fetchWait))
		if err == nil {
			for msg := range b.Messages() {
				m := held{msg: msg, stopRenewing: c.renew(msg)}
				if c.giveBack(m) {
					continue
				}
				dispatch(m)
			}
			err = b.Error()
		}
		if err == nil {
			pause = 100 * time.Millisecond
			continue
		}
		// No server, a connection being re-made, a consumer being
		// re-created: ask again after a growing pause.
		c.log.Debug("fetch", "err", err)
		select {
		case <-c.halt:
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// giveBack hands m back to the server at once if the consumption is
// stopping, and reports whether it did. Without it a message fetched
// before Stop and not yet begun would be handled on the way out (and a
// batch of them can outlast the shut-down time-out), or left to wait out
// AckWait before anyone else may take it.
func (c *Consumption) giveBack(m held) bool {
	if !c.stopping.Load() {
		return false
	}
	c.retMu.Lock()
	if !c.fetchEnded {
		c.returning = append(c.returning, m)
		c.retMu.Unlock()
		return true
	}
	c.retMu.Unlock()
	m.stopRenewing()
	_ = m.msg.NakWithDelay(giveBackDelay)
	return true
}

// giveBackDelay is the delay of the Nak that gives a message back: next to
// nothing, yet a Nak with a delay, because that one the server writes to
// the consumer's stored state (a plain Nak only queues the message in
// memory). A server restarted with its services, as in the all-in-one,
// then hands the message out within a second of starting instead of
// after its acknowledgement window.
const giveBackDelay = time.Millisecond

// returnHeld gives back what giveBack held while a pull request was open,
// now that none is.
func (c *Consumption) returnHeld() {
	c.retMu.Lock()
	c.fetchEnded = true
	held := c.returning
	c.returning = nil
	c.retMu.Unlock()
	for _, m := range held {
		m.stopRenewing()
		_ = m.msg.NakWithDelay(giveBackDelay)
	}
}

func (c *Consumption) handle(m held, h Handler, opts ConsumeOptions) {
	if c.giveBack(m) {
		return
	}
	msg := m.msg
	md, err := msg.Metadata()
	if err != nil {
		c.log.Error("message without metadata; terminating it", "subject", msg.Subject(), "err", err)
		m.stopRenewing()
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
	ctx = context.WithValue(ctx, detachKey{}, &detacher{c: c, m: m, md: md, opts: opts})
	err = safeHandle(ctx, h, msg)
	if errors.Is(err, ErrDetached) {
		// The work goes on; its finish settles the message.
		return
	}
	if err != nil && c.stopping.Load() && c.base.Err() != nil {
		// Stop gave up waiting and cancelled the handler: the message
		// goes back at once, for a process that is running.
		c.giveBack(m)
		return
	}
	m.stopRenewing()
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
	case err != nil && !errors.As(err, &term) && c.maxDeliver > 0 && md.NumDelivered >= uint64(c.maxDeliver):
		c.log.ErrorContext(ctx, "message failed on every try; given up", "subject", msg.Subject(), "seq", md.Sequence.Stream,
			"attempts", md.NumDelivered, "err", err)
		_ = msg.TermWithReason(fmt.Sprintf("failed %d times: %v", md.NumDelivered, err))
		return "given_up"
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

// renew tells the server, every third of the acknowledgement window while
// msg waits for a worker or its handler runs, that the message is still
// being worked on, so that a short window hands another process only what
// a lost process held, never what a busy one holds. It returns the
// function that stops it.
func (c *Consumption) renew(msg jetstream.Msg) (stop func()) {
	if c.ackWait <= 0 {
		return func() {}
	}
	every := c.ackWait / 3
	var mu sync.Mutex
	stopped := false
	var t *time.Timer
	mu.Lock()
	t = time.AfterFunc(every, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		_ = msg.InProgress()
		t.Reset(every)
	})
	mu.Unlock()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		t.Stop()
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

// Stop stops fetching, gives back at once (a Nak without delay) every
// message fetched and not yet begun, and waits until those being handled
// are handled, or ctx ends, in which case their handlers are cancelled and
// they are given back too. What is given back goes at once to another
// process of the consumer, or to this one's successor. The pull request
// open at the server is let run out (at most fetchWait), so that nothing
// it sends is lost on the way.
func (c *Consumption) Stop(ctx context.Context) error {
	c.stopping.Store(true)
	close(c.halt)
	var err error
	select {
	case <-c.fetching:
	case <-ctx.Done():
		c.cancel()
		<-c.fetching
		err = fmt.Errorf("stop %s: %w", c.name, ctx.Err())
	}
	done := make(chan struct{})
	go func() {
		c.closeWork()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		c.cancel()
		<-done
		if err == nil {
			err = fmt.Errorf("stop %s: %w", c.name, ctx.Err())
		}
	}
	c.cancel()
	return err
}

// StopAll stops every consumption side by side: each waits for its open
// pull request to run out, which is better done at once than in turn.
func StopAll(ctx context.Context, cs ...*Consumption) error {
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() { errs[i] = c.Stop(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// closeWork ends the workers once they have handled what is queued.
func (c *Consumption) closeWork() {
	for _, q := range c.work {
		close(q)
	}
	c.wg.Wait()
	c.detached.Wait()
}
