// Package idempotency makes a POST with an Idempotency-Key answer a retry
// with the first answer (draft-ietf-httpapi-idempotency-key-header).
//
// The entry of a key holds the request's hash, the answer, and the write the
// answer stands for, and is stored before that write: a retry that finds it
// finished replays the answer; one that finds it unfinished (the first
// attempt stopped between storing the entry and finishing) redoes the very
// same write and then replays the answer. So a crash at any point neither
// loses the write nor makes a second one, and the answer, a candidate's
// token included, is never made twice. Entries live 24 hours.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/problem"
)

// Bucket holds the entries.
const Bucket = "idempotency"

// TTL is how long a key is remembered.
const TTL = 24 * time.Hour

// MaxKeyLength bounds an Idempotency-Key.
const MaxKeyLength = 255

// Entry is what a key remembers.
type Entry struct {
	RequestHash []byte            `json:"request_hash"`
	Status      int               `json:"status"`
	Body        json.RawMessage   `json:"body"`
	Header      map[string]string `json:"header,omitempty"`
	// Write is the write the answer stands for, redone by a retry that
	// finds Done false.
	Write Write `json:"write"`
	Done  bool  `json:"done"`
}

// Write is a record to create in a bucket.
type Write struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	MsgID  string `json:"msg_id"`
	Record []byte `json:"record"`
}

// Store keeps entries in a KV bucket.
type Store struct {
	kv jetstream.KeyValue
}

// Open declares the bucket and returns the store.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Store, error) {
	kv, err := bus.EnsureKV(ctx, js, jetstream.KeyValueConfig{
		Bucket: Bucket, Description: "answers to requests with an Idempotency-Key, kept a day",
		TTL: TTL, History: 1, Replicas: replicas, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, err
	}
	return &Store{kv: kv}, nil
}

// Key returns the bucket key of an Idempotency-Key in a scope (a trust, or
// sign-up): a hash, so that any key the client sends is a valid KV key.
func Key(scope, idempotencyKey string) string {
	h := sha256.Sum256([]byte(scope + "\x00" + idempotencyKey))
	return hex.EncodeToString(h[:])
}

// Check validates an Idempotency-Key header value.
func Check(key string) error {
	if len(key) == 0 || len(key) > MaxKeyLength {
		return problem.Fields([]problem.FieldError{{Field: "Idempotency-Key", Detail: fmt.Sprintf("must be 1 to %d characters", MaxKeyLength)}})
	}
	for _, r := range key {
		if r < 0x20 || r > 0x7e {
			return problem.Fields([]problem.FieldError{{Field: "Idempotency-Key", Detail: "must be printable ASCII"}})
		}
	}
	return nil
}

// ErrReused is a key used again with another request body.
var ErrReused = problem.New(problem.Invalid, "this Idempotency-Key was used with another request; send a new key for a new request")

// Get returns the entry of key, or nil and its absence. An entry whose
// request differs from reqHash is ErrReused.
func (s *Store) Get(ctx context.Context, key string, reqHash []byte) (*Entry, uint64, error) {
	kve, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("idempotency entry: %w", err)
	}
	var e Entry
	if err := json.Unmarshal(kve.Value(), &e); err != nil {
		return nil, 0, fmt.Errorf("idempotency entry: %w", err)
	}
	if hex.EncodeToString(e.RequestHash) != hex.EncodeToString(reqHash) {
		return nil, 0, ErrReused
	}
	return &e, kve.Revision(), nil
}

// Begin stores a new, unfinished entry. If another request with the key got
// there first, it returns that request's entry.
func (s *Store) Begin(ctx context.Context, key string, e *Entry) (*Entry, uint64, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return nil, 0, fmt.Errorf("idempotency entry: %w", err)
	}
	rev, err := s.kv.Create(ctx, key, data)
	if errors.Is(err, jetstream.ErrKeyExists) {
		other, orev, gerr := s.Get(ctx, key, e.RequestHash)
		if gerr == nil && other == nil {
			return nil, 0, problem.New(problem.Conflict, "a request with this Idempotency-Key is in progress; try again")
		}
		return other, orev, gerr
	}
	if err != nil {
		return nil, 0, fmt.Errorf("idempotency entry: %w", err)
	}
	return e, rev, nil
}

// Finish marks the entry done.
func (s *Store) Finish(ctx context.Context, key string, e *Entry, rev uint64) error {
	e.Done = true
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("idempotency entry: %w", err)
	}
	if _, err := s.kv.Update(ctx, key, data, rev); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("finish idempotency entry: %w", err)
	}
	return nil
}

// Forget removes an entry (a candidate's, at erasure).
func (s *Store) Forget(ctx context.Context, key string) error {
	if err := s.kv.Purge(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("forget idempotency entry: %w", err)
	}
	return nil
}
