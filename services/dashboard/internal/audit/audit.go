// Package audit records every operator action (who, what, on what, when, and
// how it ended) in a JetStream stream the dashboard owns, and lists them,
// newest first.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/ids"
)

// Stream is the audit log.
const Stream = "AUDIT"

// Entry is one recorded action.
type Entry struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
	// Outcome is "done" or "failed".
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// Log is the audit log.
type Log struct {
	js     jetstream.JetStream
	stream jetstream.Stream
}

// Open declares the audit stream (kept a year) and returns the log.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Log, error) {
	s, err := bus.EnsureStream(ctx, js, jetstream.StreamConfig{
		Name:        Stream,
		Description: "operator actions",
		Subjects:    []string{"audit.>"},
		MaxAge:      366 * 24 * time.Hour,
		Replicas:    replicas,
		Storage:     jetstream.FileStorage,
		Duplicates:  time.Minute,
	})
	if err != nil {
		return nil, err
	}
	return &Log{js: js, stream: s}, nil
}

// Record appends e, giving it an id.
func (l *Log) Record(ctx context.Context, e Entry) (Entry, error) {
	e.ID = ids.New("a")
	data, err := json.Marshal(e)
	if err != nil {
		return e, fmt.Errorf("audit %s: %w", e.Action, err)
	}
	if _, err := l.js.Publish(ctx, "audit."+e.Action, data, jetstream.WithMsgID(e.ID)); err != nil {
		return e, fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return e, nil
}

// List returns up to limit entries, newest first.
func (l *Log) List(ctx context.Context, limit int) ([]Entry, error) {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	out := []Entry{}
	for seq := info.State.LastSeq; seq >= info.State.FirstSeq && seq > 0 && len(out) < limit; seq-- {
		m, err := l.stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		var e Entry
		if json.Unmarshal(m.Data, &e) == nil {
			out = append(out, e)
		}
	}
	return out, nil
}
