package bus

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/telemetry"
)

// Header names the system sets on its messages.
const (
	// HeaderRequestID carries the id of the HTTP request that caused a
	// message, so the logs of every service it passes through share it.
	HeaderRequestID = "Clinjobs-Request-Id"
)

// Publisher writes events and records to JetStream, retrying a publish whose
// answer did not come with the same message id until its context ends.
type Publisher struct {
	js jetstream.JetStream
	// AttemptTimeout bounds one attempt. Default: 5s.
	AttemptTimeout time.Duration
}

// NewPublisher returns a Publisher on js.
func NewPublisher(js jetstream.JetStream) *Publisher {
	return &Publisher{js: js, AttemptTimeout: 5 * time.Second}
}

// Message is one event or record to publish.
type Message struct {
	Subject string
	// ID is the Nats-Msg-Id JetStream dedupes on within the stream's
	// duplicate window. Required: every write of the system is retried.
	ID string
	// ExpectRevision, when set, makes the write conditional on the subject's
	// latest sequence: 0 means the subject has no message.
	ExpectRevision *uint64
	// Body is encoded as the message data, unless Data is set.
	Body   proto.Message
	Data   []byte
	Header nats.Header
}

// Expect returns a pointer to rev, for Message.ExpectRevision.
func Expect(rev uint64) *uint64 { return &rev }

// Publish stores m and returns its stream sequence (a KV revision for a
// bucket's subject). A write whose expected revision is not the latest
// fails with ErrStale.
func (p *Publisher) Publish(ctx context.Context, m Message) (*jetstream.PubAck, error) {
	msg, err := p.message(ctx, m)
	if err != nil {
		return nil, err
	}
	opts := []jetstream.PublishOpt{jetstream.WithMsgID(m.ID)}
	if m.ExpectRevision != nil {
		opts = append(opts, jetstream.WithExpectLastSequencePerSubject(*m.ExpectRevision))
	}
	attemptTimeout := p.AttemptTimeout
	if attemptTimeout == 0 {
		attemptTimeout = 5 * time.Second
	}
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		ack, err := p.js.PublishMsg(actx, msg, opts...)
		cancel()
		switch {
		case err == nil:
			return ack, nil
		case isStale(err):
			return nil, fmt.Errorf("publish to %s: %w", m.Subject, ErrStale)
		case !retryable(err) && !errors.Is(err, context.DeadlineExceeded):
			return nil, fmt.Errorf("publish to %s: %w", m.Subject, err)
		}
		// The attempt timed out or found no server: the cluster may be
		// electing a leader or the client reconnecting.
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("publish to %s after %d attempts: %w", m.Subject, attempt, err)
		case <-time.After(wait + rand.N(wait)):
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// PublishAll stores every message, pipelining the publishes and waiting for
// every acknowledgement; those that fail are retried one by one with
// Publish. It returns the first error that outlasted its retries.
func (p *Publisher) PublishAll(ctx context.Context, msgs []Message) error {
	if len(msgs) == 1 {
		_, err := p.Publish(ctx, msgs[0])
		return err
	}
	futures := make([]jetstream.PubAckFuture, len(msgs))
	var retry []int
	for i, m := range msgs {
		msg, err := p.message(ctx, m)
		if err != nil {
			return err
		}
		opts := []jetstream.PublishOpt{jetstream.WithMsgID(m.ID)}
		if m.ExpectRevision != nil {
			opts = append(opts, jetstream.WithExpectLastSequencePerSubject(*m.ExpectRevision))
		}
		f, err := p.js.PublishMsgAsync(msg, opts...)
		if err != nil {
			retry = append(retry, i)
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case <-f.Ok():
		case <-f.Err():
			retry = append(retry, i)
		case <-ctx.Done():
			return fmt.Errorf("publish %d messages: %w", len(msgs), ctx.Err())
		}
	}
	for _, i := range retry {
		m := msgs[i]
		if _, err := p.Publish(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// message builds the NATS message of m, with the request id and the trace
// context of ctx in its headers.
func (p *Publisher) message(ctx context.Context, m Message) (*nats.Msg, error) {
	if m.ID == "" {
		return nil, fmt.Errorf("publish to %s: no message id", m.Subject)
	}
	data := m.Data
	if data == nil {
		var err error
		if data, err = proto.Marshal(m.Body); err != nil {
			return nil, fmt.Errorf("publish to %s: encode: %w", m.Subject, err)
		}
	}
	msg := &nats.Msg{Subject: m.Subject, Data: data, Header: nats.Header{}}
	for k, v := range m.Header {
		msg.Header[k] = v
	}
	if id := logging.RequestID(ctx); id != "" {
		msg.Header.Set(HeaderRequestID, id)
	}
	telemetry.Inject(ctx, msg.Header)
	return msg, nil
}
