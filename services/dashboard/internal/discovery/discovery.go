// Package discovery finds the running instances of every service through the
// NATS services framework: it asks $SRV.INFO and $SRV.STATS, collects every
// answer that comes within a short window, and joins them by instance id. An
// instance that stops answering is simply not in the next answer.
package discovery

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// Instance is one running instance of a service.
type Instance struct {
	Name        string            `json:"name"`
	ID          string            `json:"id"`
	Version     string            `json:"version"`
	Description string            `json:"description,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Started     time.Time         `json:"started"`
	UptimeSecs  float64           `json:"uptime_seconds"`
	Endpoints   []Endpoint        `json:"endpoints"`
}

// Endpoint is one request-reply endpoint of an instance, with its counters.
type Endpoint struct {
	Name      string  `json:"name"`
	Subject   string  `json:"subject"`
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	LastError string  `json:"last_error,omitempty"`
	AverageMs float64 `json:"average_ms"`
}

// Window is how long Discover waits for answers. Default: 500ms.
const Window = 500 * time.Millisecond

// Discover returns every instance that answers within window, ordered by
// name then id.
func Discover(ctx context.Context, nc *nats.Conn, window time.Duration, now time.Time) ([]Instance, error) {
	if window == 0 {
		window = Window
	}
	var infos []micro.Info
	var stats []micro.Stats
	if err := gather(ctx, nc, "$SRV.INFO", window, &infos); err != nil {
		return nil, err
	}
	if err := gather(ctx, nc, "$SRV.STATS", window, &stats); err != nil {
		return nil, err
	}
	byID := map[string]micro.Stats{}
	for _, s := range stats {
		byID[s.ID] = s
	}
	out := make([]Instance, 0, len(infos))
	for _, info := range infos {
		inst := Instance{
			Name: info.Name, ID: info.ID, Version: info.Version, Description: info.Description,
			Metadata: info.Metadata, Endpoints: []Endpoint{},
		}
		if st, ok := byID[info.ID]; ok {
			inst.Started = st.Started.UTC()
			inst.UptimeSecs = now.Sub(st.Started).Round(time.Second).Seconds()
			for _, e := range st.Endpoints {
				inst.Endpoints = append(inst.Endpoints, Endpoint{
					Name: e.Name, Subject: e.Subject, Requests: e.NumRequests, Errors: e.NumErrors,
					LastError: e.LastError, AverageMs: float64(e.AverageProcessingTime) / float64(time.Millisecond),
				})
			}
		}
		out = append(out, inst)
	}
	slices.SortFunc(out, func(a, b Instance) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// gather sends one request to subject and decodes every reply that comes
// within window into out, a pointer to a slice.
func gather[T any](ctx context.Context, nc *nats.Conn, subject string, window time.Duration, out *[]T) error {
	inbox := nc.NewRespInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return fmt.Errorf("discover %s: %w", subject, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := nc.PublishRequest(subject, inbox, nil); err != nil {
		return fmt.Errorf("discover %s: %w", subject, err)
	}
	ctx, cancel := context.WithTimeout(ctx, window)
	defer cancel()
	for {
		msg, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			// The window closing is the normal end of a scatter-gather.
			return nil
		}
		var v T
		if err := json.Unmarshal(msg.Data, &v); err == nil {
			*out = append(*out, v)
		}
	}
}
