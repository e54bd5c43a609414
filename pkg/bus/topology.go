package bus

import (
	"context"
	"fmt"
	"time"

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

// EnsureKV creates the bucket or brings it to cfg.
func EnsureKV(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("declare bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// EnsureStream creates the stream or brings it to cfg.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("declare stream %s: %w", cfg.Name, err)
	}
	return s, nil
}
