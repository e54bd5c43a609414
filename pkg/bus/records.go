package bus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
)

// Store keeps one record per key in a KV bucket, written through a Publisher
// so that the write that stores a record is also the event that announces
// it to every consumer of the bucket's stream.
type Store struct {
	kv     jetstream.KeyValue
	stream jetstream.Stream
	pub    *Publisher
	bucket string
	nc     *nats.Conn
}

// NewStore returns a Store over bucket.
func NewStore(ctx context.Context, js jetstream.JetStream, pub *Publisher, bucket string) (*Store, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", bucket, err)
	}
	stream, err := js.Stream(ctx, KVStream(bucket))
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", bucket, err)
	}
	return &Store{kv: kv, stream: stream, pub: pub, bucket: bucket, nc: js.Conn()}, nil
}

// Bucket returns the bucket's name.
func (s *Store) Bucket() string { return s.bucket }

// KV returns the bucket, for watches and listing.
func (s *Store) KV() jetstream.KeyValue { return s.kv }

// Subject returns the stream subject of key.
func (s *Store) Subject(key string) string { return "$KV." + s.bucket + "." + key }

// Get decodes the latest record of key into into and returns its revision.
// A deleted or purged key is ErrNotFound.
func (s *Store) Get(ctx context.Context, key string, into proto.Message) (uint64, error) {
	data, rev, err := s.GetEncoded(ctx, key)
	if err != nil {
		return 0, err
	}
	if err := proto.Unmarshal(data, into); err != nil {
		return 0, fmt.Errorf("decode %s %s: %w", s.bucket, key, err)
	}
	return rev, nil
}

// validKey reports whether a record can have key: one or more tokens of
// letters, digits and - / _ =, separated by dots, as NATS key-value
// buckets take them.
func validKey(key string) bool {
	if key == "" || key[0] == '.' || key[len(key)-1] == '.' {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '/' || c == '_' || c == '=' || c == '.' && key[i-1] != '.'
		if !ok {
			return false
		}
	}
	return true
}

// errNoSuchKey answers a read of a key no record can have. Such keys come
// from outside (a forged credential's owner, a path): they are not found,
// not a failure of the store.
func (s *Store) errNoSuchKey(key string) error {
	return fmt.Errorf("get %s %q: no record can have this key: %w", s.bucket, key, ErrNotFound)
}

// GetEncoded returns the latest record of key as stored, and its revision.
// A key no record can have (see validKey) is ErrNotFound.
func (s *Store) GetEncoded(ctx context.Context, key string) ([]byte, uint64, error) {
	if !validKey(key) {
		return nil, 0, s.errNoSuchKey(key)
	}
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, 0, fmt.Errorf("get %s %s: %w", s.bucket, key, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("get %s %s: %w", s.bucket, key, err)
	}
	return e.Value(), e.Revision(), nil
}

// GetFromLeader is Get, read by the stream's leader. A replicated bucket
// answers Get (a direct get) from any replica, which may not have the
// newest write yet; the leader has every acknowledged one. For a read that
// must see a write another process has just been told succeeded (a
// sign-up's token, checked by another service a moment later). The
// client's stream message API would itself take the direct path, so the
// request is made here. A key no record can have is ErrNotFound; it is
// checked first, because the leader reads a wildcard (p01.*) as any key it
// matches, and would answer with another key's record.
func (s *Store) GetFromLeader(ctx context.Context, key string, into proto.Message) (uint64, error) {
	if !validKey(key) {
		return 0, s.errNoSuchKey(key)
	}
	req, _ := json.Marshal(map[string]string{"last_by_subj": s.Subject(key)})
	msg, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+KVStream(s.bucket), req)
	if err != nil {
		return 0, fmt.Errorf("get %s %s from the leader: %w", s.bucket, key, err)
	}
	var resp struct {
		Message *struct {
			Seq  uint64 `json:"seq"`
			Hdrs []byte `json:"hdrs"`
			Data []byte `json:"data"`
		} `json:"message"`
		Error *struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return 0, fmt.Errorf("get %s %s from the leader: %w", s.bucket, key, err)
	}
	switch {
	case resp.Error != nil && resp.Error.Code == 404:
		return 0, fmt.Errorf("get %s %s: %w", s.bucket, key, ErrNotFound)
	case resp.Error != nil:
		return 0, fmt.Errorf("get %s %s from the leader: %s", s.bucket, key, resp.Error.Description)
	case resp.Message == nil:
		return 0, fmt.Errorf("get %s %s from the leader: no message in the answer", s.bucket, key)
	}
	if h := string(resp.Message.Hdrs); strings.Contains(h, "KV-Operation: DEL") || strings.Contains(h, "KV-Operation: PURGE") {
		return 0, fmt.Errorf("get %s %s: %w", s.bucket, key, ErrNotFound)
	}
	if err := proto.Unmarshal(resp.Message.Data, into); err != nil {
		return 0, fmt.Errorf("decode %s %s: %w", s.bucket, key, err)
	}
	return resp.Message.Seq, nil
}

// GetConfirmed is Get for a read that must see a write just acknowledged
// to someone else: when the replica that answers has no record of key, or
// one that confirm refuses (a token that does not match), the stream's
// leader is asked before the answer is believed. confirm sees into after
// the first read; a nil confirm asks only on not found.
func (s *Store) GetConfirmed(ctx context.Context, key string, into proto.Message, confirm func() bool) (uint64, error) {
	rev, err := s.Get(ctx, key, into)
	if errors.Is(err, ErrNotFound) || err == nil && confirm != nil && !confirm() {
		proto.Reset(into)
		rev, err = s.GetFromLeader(ctx, key, into)
	}
	return rev, err
}

// Create stores rec under key if no live record has it, and returns the new
// revision, or ErrExists. A key whose last record was deleted may be created
// again. msgID makes a retry of the same create land once.
func (s *Store) Create(ctx context.Context, key, msgID string, rec proto.Message) (uint64, error) {
	data, err := Encode(rec)
	if err != nil {
		return 0, fmt.Errorf("encode %s %s: %w", s.bucket, key, err)
	}
	return s.CreateEncoded(ctx, key, msgID, data)
}

// Encode returns the bytes a record is stored as: deterministic, so that the
// same record is always the same bytes.
func Encode(rec proto.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(rec)
}

// CreateEncoded is Create of a record already encoded.
func (s *Store) CreateEncoded(ctx context.Context, key, msgID string, data []byte) (uint64, error) {
	rev, err := s.put(ctx, key, msgID, 0, data)
	if !errors.Is(err, ErrStale) {
		return rev, err
	}
	// The key has a history: creating is allowed only over a deletion.
	m, gerr := s.stream.GetLastMsgForSubject(ctx, s.Subject(key))
	if errors.Is(gerr, jetstream.ErrMsgNotFound) {
		// Purged between the two calls; the caller may try again.
		return 0, fmt.Errorf("create %s %s: %w", s.bucket, key, ErrStale)
	}
	if gerr != nil {
		return 0, fmt.Errorf("create %s %s: %w", s.bucket, key, gerr)
	}
	if op := m.Header.Get("KV-Operation"); op == "DEL" || op == "PURGE" {
		return s.put(ctx, key, msgID, m.Sequence, data)
	}
	return 0, fmt.Errorf("create %s %s: %w", s.bucket, key, ErrExists)
}

// Update stores rec under key if its latest revision is rev, and returns the
// new revision, or ErrStale.
func (s *Store) Update(ctx context.Context, key string, rev uint64, rec proto.Message) (uint64, error) {
	data, err := Encode(rec)
	if err != nil {
		return 0, fmt.Errorf("encode %s %s: %w", s.bucket, key, err)
	}
	return s.put(ctx, key, "", rev, data)
}

// put writes rec if key's latest revision is rev. Without a msgID the id is
// made of the key, the revision and the content, so that only a retry of this
// very write is taken for a duplicate; another writer's update from the same
// revision is refused as stale, never mistaken for this one.
func (s *Store) put(ctx context.Context, key, msgID string, rev uint64, data []byte) (uint64, error) {
	if msgID == "" {
		sum := sha256.Sum256(data)
		msgID = s.bucket + "." + key + "." + strconv.FormatUint(rev, 10) + "." + hex.EncodeToString(sum[:12])
	}
	ack, err := s.pub.Publish(ctx, Message{
		Subject:        s.Subject(key),
		ID:             msgID,
		ExpectRevision: Expect(rev),
		Data:           data,
	})
	if errors.Is(err, ErrStale) {
		// JetStream checks the expected revision before the message id, so
		// a retry of a write that landed (its answer lost) looks stale: it
		// is ours if the latest message carries our id.
		if seq, ok := s.landed(ctx, key, msgID); ok {
			return seq, nil
		}
	}
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// landed reports whether the latest message of key is the one with msgID.
func (s *Store) landed(ctx context.Context, key, msgID string) (uint64, bool) {
	m, err := s.stream.GetLastMsgForSubject(ctx, s.Subject(key))
	if err != nil || m.Header.Get(jetstream.MsgIDHeader) != msgID {
		return 0, false
	}
	return m.Sequence, true
}

// Erase removes every revision of key: the purge is announced on the bucket's
// stream like any other change, and nothing of the record stays on disk.
func (s *Store) Erase(ctx context.Context, key string) error {
	if err := s.kv.Purge(ctx, key); err != nil {
		return fmt.Errorf("erase %s %s: %w", s.bucket, key, err)
	}
	return nil
}

// Creation is one record to create with CreateMany.
type Creation struct {
	Key   string
	MsgID string
	Data  []byte
}

// Created is the outcome of one Creation: its revision, or an error
// (ErrExists when a live record has the key).
type Created struct {
	Revision uint64
	Err      error
}

// CreateMany creates many records at once: the publishes are pipelined, not
// sent one round trip at a time, and each outcome is its own. Those the
// pipeline could not settle (a stale expectation, a lost answer) go through
// CreateEncoded one by one.
func (s *Store) CreateMany(ctx context.Context, cs []Creation) []Created {
	out := make([]Created, len(cs))
	futures := make([]jetstream.PubAckFuture, len(cs))
	for i, c := range cs {
		msg, err := s.pub.message(ctx, Message{Subject: s.Subject(c.Key), ID: c.MsgID, Data: c.Data})
		if err != nil {
			out[i].Err = err
			continue
		}
		f, err := s.pub.js.PublishMsgAsync(msg, jetstream.WithMsgID(c.MsgID), jetstream.WithExpectLastSequencePerSubject(0))
		if err == nil {
			futures[i] = f
		}
	}
	for i, f := range futures {
		if out[i].Err != nil {
			continue
		}
		if f != nil {
			select {
			case ack := <-f.Ok():
				out[i].Revision = ack.Sequence
				continue
			case <-f.Err():
			case <-ctx.Done():
				out[i].Err = ctx.Err()
				continue
			}
		}
		out[i].Revision, out[i].Err = s.CreateEncoded(ctx, cs[i].Key, cs[i].MsgID, cs[i].Data)
	}
	return out
}
