package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The streams and buckets that more than one service uses. Each is declared
// by every service that touches it, with the same configuration, so that no
// service depends on another having started first.
const (
	// BucketTrusts holds one Trust per NHS organisation code.
	BucketTrusts = "trusts"
	// BucketVacancies holds one VacancyChanged per vacancy id.
	BucketVacancies = "vacancies"
	// BucketCandidates holds one CandidateChanged per partition.Key(candidate id).
	BucketCandidates = "candidates"
	// StreamMatches carries MatchFound on matches.found.<candidate id>.
	StreamMatches = "MATCHES"
	// StreamAlerts carries AlertDelivered and AlertFailed on
	// alerts.<delivered|failed>.<channel>.<candidate id>.
	StreamAlerts = "ALERTS"
)

// KVStream returns the name of the stream behind a bucket.
func KVStream(bucket string) string { return "KV_" + bucket }

// KVSubjects returns the subject filter of every key of a bucket.
func KVSubjects(bucket string) string { return "$KV." + bucket + ".>" }

// MatchSubject returns the subject of a match for a candidate.
func MatchSubject(candidateID string) string { return "matches.found." + candidateID }

// AlertSubject returns the subject of an alert outcome.
func AlertSubject(outcome, channel, candidateID string) string {
	return "alerts." + outcome + "." + channel + "." + candidateID
}

// EnsureShared declares every shared stream and bucket with replicas copies.
func EnsureShared(ctx context.Context, js jetstream.JetStream, replicas int) error {
	for _, kv := range []jetstream.KeyValueConfig{
		{Bucket: BucketTrusts, Description: "NHS trusts and their API keys", History: 5},
		{Bucket: BucketVacancies, Description: "vacancies, one VacancyChanged per id", History: 5},
		{Bucket: BucketCandidates, Description: "candidate profiles, one CandidateChanged per key", History: 1},
	} {
		kv.Replicas = replicas
		kv.Storage = jetstream.FileStorage
		if _, err := EnsureKV(ctx, js, kv); err != nil {
			return err
		}
	}
	for _, sc := range []jetstream.StreamConfig{
		{
			Name: StreamMatches, Description: "new (candidate, vacancy) matches",
			Subjects: []string{"matches.>"}, MaxAge: 30 * 24 * time.Hour,
			Duplicates: 10 * time.Minute,
		},
		{
			Name: StreamAlerts, Description: "alerts delivered and failed",
			Subjects: []string{"alerts.>"}, MaxAge: 30 * 24 * time.Hour,
			Duplicates: 10 * time.Minute,
		},
	} {
		sc.Replicas = replicas
		sc.Storage = jetstream.FileStorage
		if _, err := EnsureStream(ctx, js, sc); err != nil {
			return err
		}
	}
	return nil
}

// DeclareTimeout bounds the declaration of one stream or bucket, retried
// while the cluster is still electing its leaders. Default: 2 minutes.
const DeclareTimeout = 2 * time.Minute

// EnsureKV creates the bucket or brings it to cfg.
func EnsureKV(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return declare(ctx, "bucket "+cfg.Bucket, func(ctx context.Context) (jetstream.KeyValue, error) {
		return js.CreateOrUpdateKeyValue(ctx, cfg)
	})
}

// EnsureStream creates the stream or brings it to cfg.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return declare(ctx, "stream "+cfg.Name, func(ctx context.Context) (jetstream.Stream, error) {
		return js.CreateOrUpdateStream(ctx, cfg)
	})
}

// EnsureConsumer creates the durable consumer or brings it to cfg.
func EnsureConsumer(ctx context.Context, js jetstream.JetStream, stream string, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	return declare(ctx, "consumer "+cfg.Durable, func(ctx context.Context) (jetstream.Consumer, error) {
		return js.CreateOrUpdateConsumer(ctx, stream, cfg)
	})
}

// declare runs one declaration, again and again while the error says the
// cluster is not ready (no meta leader yet, no answer in time, too few
// peers up), for up to DeclareTimeout: services of a stack that starts
// together wait for JetStream instead of failing.
func declare[T any](ctx context.Context, what string, do func(context.Context) (T, error)) (T, error) {
	var v T
	err := retry(ctx, 10*time.Second, func(ctx context.Context) error {
		var err error
		v, err = do(ctx)
		return err
	})
	if err != nil {
		var zero T
		return zero, fmt.Errorf("declare %s: %w", what, err)
	}
	return v, nil
}

// Retry runs do again and again while its error says the cluster is not
// ready or did not answer (a leader being elected, a new consumer's
// interest not yet known across the cluster), with a growing pause, for up
// to DeclareTimeout. One attempt is not bounded in time: this is for work
// such as a service's rebuild at start, which may rightly take long.
func Retry(ctx context.Context, do func(context.Context) error) error {
	return retry(ctx, 0, do)
}

// retry is Retry with each attempt bounded by attempt, when it is not 0.
func retry(ctx context.Context, attempt time.Duration, do func(context.Context) error) error {
	deadline := time.Now().Add(DeclareTimeout)
	wait := 250 * time.Millisecond
	for {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if attempt > 0 {
			actx, cancel = context.WithTimeout(ctx, attempt)
		}
		err := do(actx)
		cancel()
		if err == nil || !notReady(err) || ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// notReady reports whether a JetStream API error may pass once the cluster
// has settled.
func notReady(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case jetstream.JSErrCodeJetStreamNotEnabled,
			10005, // no suitable peers for placement: peers still joining
			10006, // JetStream cluster not active
			10008, // JetStream system temporarily unavailable
			10009, // not the leader
			10023: // insufficient resources: peers not yet known
			return true
		}
		return apiErr.Code == 503
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, nats.ErrNoResponders) ||
		retryable(err)
}
