package notification

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/problem"
)

// liveHeartbeat keeps idle connections open through proxies.
const liveHeartbeat = 15 * time.Second

// live streams the candidate's alerts as server-sent events. Each event's
// id is its sequence in the LIVE stream: a client that reconnects with
// Last-Event-ID gets every event after it, from JetStream, and so misses
// nothing the stream still holds (seven days). A new connection without
// one starts with what comes next.
func (s *Service) live(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{liveSubject(rec.GetCandidate().GetId())},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	}
	if last := c.GetHeader("Last-Event-ID"); last != "" {
		seq, err := strconv.ParseUint(last, 10, 64)
		if err != nil {
			httpserver.Fail(c, problem.New(problem.Malformed, "Last-Event-ID %q is not an event id of this stream", last))
			return
		}
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, seq+1
	}
	ctx := c.Request.Context()
	cons, err := s.js.OrderedConsumer(ctx, StreamLive, cfg)
	if err != nil {
		httpserver.Fail(c, fmt.Errorf("open the live stream: %w", err))
		return
	}
	it, err := cons.Messages()
	if err != nil {
		httpserver.Fail(c, fmt.Errorf("open the live stream: %w", err))
		return
	}
	defer it.Stop()
	msgs := make(chan jetstream.Msg)
	go func() {
		defer close(msgs)
		for {
			m, err := it.Next()
			if err != nil {
				return
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	fmt.Fprint(c.Writer, "retry: 3000\n: connected\n\n")
	c.Writer.Flush()
	beat := time.NewTicker(liveHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if _, err := fmt.Fprint(c.Writer, ": keep-alive\n\n"); err != nil {
				return
			}
		case m, ok := <-msgs:
			if !ok {
				return
			}
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			event := m.Headers().Get("Clinjobs-Event")
			if event == "" {
				event = "message"
			}
			if _, err := fmt.Fprintf(c.Writer, "id: %d\nevent: %s\ndata: %s\n\n", md.Sequence.Stream, event, m.Data()); err != nil {
				return
			}
		}
		c.Writer.Flush()
	}
}
