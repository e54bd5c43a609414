// Package flow reports whether work is flowing: for every stream and durable
// consumer, what waits (pending), what is in hand (unacknowledged), what came
// again (redelivered) and how long the oldest waiting message has waited; and
// how Redis is (reachable, memory, cache hit ratio). It reads broker state,
// never another service's records.
package flow

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
)

// Stream is one stream's state.
type Stream struct {
	Name      string     `json:"name"`
	Subjects  []string   `json:"subjects"`
	Messages  uint64     `json:"messages"`
	Bytes     uint64     `json:"bytes"`
	Replicas  int        `json:"replicas"`
	Leader    string     `json:"leader,omitempty"`
	Consumers []Consumer `json:"consumers"`
}

// Consumer is one durable consumer's state.
type Consumer struct {
	Name           string  `json:"name"`
	Pending        uint64  `json:"pending"`
	Unacknowledged int     `json:"unacknowledged"`
	Redelivered    int     `json:"redelivered"`
	Waiting        int     `json:"waiting_pulls"`
	OldestAgeSecs  float64 `json:"oldest_pending_age_seconds"`
	// Stalled is set when messages wait and none was acknowledged for a minute.
	Stalled bool `json:"stalled"`
}

// Streams returns the state of every stream and its durable consumers.
func Streams(ctx context.Context, js jetstream.JetStream, now time.Time) ([]Stream, error) {
	var out []Stream
	list := js.ListStreams(ctx)
	for info := range list.Info() {
		s := Stream{
			Name: info.Config.Name, Subjects: info.Config.Subjects, Messages: info.State.Msgs,
			Bytes: info.State.Bytes, Replicas: info.Config.Replicas, Consumers: []Consumer{},
		}
		if info.Cluster != nil {
			s.Leader = info.Cluster.Leader
		}
		stream, err := js.Stream(ctx, info.Config.Name)
		if err != nil {
			return nil, fmt.Errorf("stream %s: %w", info.Config.Name, err)
		}
		consumers := stream.ListConsumers(ctx)
		for ci := range consumers.Info() {
			if ci.Config.Durable == "" {
				continue
			}
			s.Consumers = append(s.Consumers, consumerState(ctx, stream, ci, now))
		}
		if err := consumers.Err(); err != nil {
			return nil, fmt.Errorf("consumers of %s: %w", info.Config.Name, err)
		}
		sort.Slice(s.Consumers, func(i, j int) bool { return s.Consumers[i].Name < s.Consumers[j].Name })
		out = append(out, s)
	}
	if err := list.Err(); err != nil {
		return nil, fmt.Errorf("list streams: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func consumerState(ctx context.Context, stream jetstream.Stream, ci *jetstream.ConsumerInfo, now time.Time) Consumer {
	c := Consumer{
		Name: ci.Name, Pending: ci.NumPending, Unacknowledged: ci.NumAckPending,
		Redelivered: ci.NumRedelivered, Waiting: ci.NumWaiting,
	}
	if ci.NumPending == 0 && ci.NumAckPending == 0 {
		return c
	}
	// The oldest message still waiting is the first after the ack floor
	// that the consumer's filter lets through.
	filter := ci.Config.FilterSubject
	if filter == "" && len(ci.Config.FilterSubjects) == 1 {
		filter = ci.Config.FilterSubjects[0]
	}
	var opts []jetstream.GetMsgOpt
	if filter != "" {
		opts = append(opts, jetstream.WithGetMsgSubject(filter))
	}
	if m, err := stream.GetMsg(ctx, ci.AckFloor.Stream+1, opts...); err == nil {
		c.OldestAgeSecs = now.Sub(m.Time).Round(time.Millisecond).Seconds()
	}
	last := ci.AckFloor.Last
	if last == nil {
		last = &ci.Created
	}
	c.Stalled = c.OldestAgeSecs > 60 && now.Sub(*last) > time.Minute
	return c
}

// Redis is the state of the match cache's Redis.
type Redis struct {
	Configured bool    `json:"configured"`
	Reachable  bool    `json:"reachable"`
	Error      string  `json:"error,omitempty"`
	UsedMemory int64   `json:"used_memory_bytes,omitempty"`
	MaxMemory  int64   `json:"max_memory_bytes,omitempty"`
	Keys       int64   `json:"keys,omitempty"`
	Hits       int64   `json:"keyspace_hits,omitempty"`
	Misses     int64   `json:"keyspace_misses,omitempty"`
	HitRatio   float64 `json:"hit_ratio"`
	Version    string  `json:"version,omitempty"`
}

// RedisState reads INFO from client; a nil client is "not configured".
func RedisState(ctx context.Context, client redis.UniversalClient) Redis {
	if client == nil {
		return Redis{}
	}
	r := Redis{Configured: true}
	info, err := client.Info(ctx, "server", "memory", "stats", "keyspace").Result()
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Reachable = true
	fields := parseInfo(info)
	r.Version = fields["redis_version"]
	r.UsedMemory = atoi(fields["used_memory"])
	r.MaxMemory = atoi(fields["maxmemory"])
	r.Hits = atoi(fields["keyspace_hits"])
	r.Misses = atoi(fields["keyspace_misses"])
	if total := r.Hits + r.Misses; total > 0 {
		r.HitRatio = float64(r.Hits) / float64(total)
	}
	for k, v := range fields {
		// db0:keys=12,expires=3,avg_ttl=0
		if strings.HasPrefix(k, "db") {
			for _, part := range strings.Split(v, ",") {
				if n, ok := strings.CutPrefix(part, "keys="); ok {
					r.Keys += atoi(n)
				}
			}
		}
	}
	return r
}

func parseInfo(info string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
