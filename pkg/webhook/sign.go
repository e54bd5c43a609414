package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every signing secret, as the specification writes them.
const SecretPrefix = "whsec_"

// Bounds of a signing key, in bytes, as the specification sets them.
const (
	MinKeyBytes = 24
	MaxKeyBytes = 64
)

// NewSecret returns a new signing secret to give to a subscriber: SecretPrefix
// and the standard base64 of 32 random bytes.
func NewSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new webhook secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:]), nil
}

// ParseSecret returns the HMAC key of a signing secret: the secret must be
// SecretPrefix followed by standard base64 of MinKeyBytes to MaxKeyBytes
// bytes. Its errors never contain the secret.
func ParseSecret(s string) ([]byte, error) {
	enc, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("webhook secret: want the %s prefix", SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, errors.New("webhook secret: not standard base64 after the prefix")
	}
	if len(key) < MinKeyBytes || len(key) > MaxKeyBytes {
		return nil, fmt.Errorf("webhook secret: %d bytes; want %d to %d", len(key), MinKeyBytes, MaxKeyBytes)
	}
	return key, nil
}

// Header names of the specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Sign returns the webhook-signature header value of a message: "v1," and
// the standard base64 of the HMAC-SHA256, under key, of
// msgID + "." + ts in Unix seconds + "." + body.
func Sign(key []byte, msgID string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, msgID, strconv.FormatInt(ts.Unix(), 10), body))
}

// mac is the specification's HMAC of a message. The timestamp is the header
// value as sent, since that is what the sender signed.
func mac(key []byte, msgID, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msgID))
	h.Write([]byte{'.'})
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Headers returns the headers of a signed JSON message: webhook-id,
// webhook-timestamp (Unix seconds), webhook-signature and Content-Type.
// msgID should stay the same when a message is sent again, so receivers
// can drop duplicates.
func Headers(key []byte, msgID string, ts time.Time, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(key, msgID, ts, body))
	h.Set("Content-Type", "application/json")
	return h
}

// Errors of Verify, checked with errors.Is.
var (
	// ErrMissingHeaders is a message without webhook-id, webhook-timestamp
	// or webhook-signature.
	ErrMissingHeaders = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	// ErrTimestamp is a timestamp that is not a number of Unix seconds
	// within the tolerance of now: a stale message, perhaps replayed.
	ErrTimestamp = errors.New("webhook: timestamp outside the tolerance")
	// ErrBadSignature is a message none of whose v1 signatures is right.
	ErrBadSignature = errors.New("webhook: no signature matches")
)

// DefaultTolerance is how far a message's timestamp may be from now.
const DefaultTolerance = 5 * time.Minute

// Verify checks a received message, as receivers (our own tests among them)
// do: the three headers present, the timestamp within tolerance of now
// either way (a tolerance <= 0 means the Default: 5 minutes, DefaultTolerance),
// and at least one of the space-separated signatures a "v1," signature made
// with key, compared in constant time. Signatures of other versions are
// skipped. An empty key verifies nothing.
func Verify(key []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeaders
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not Unix seconds", ErrTimestamp, ts)
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s from now, more than %s", ErrTimestamp, d.Round(time.Second), tolerance)
	}
	if len(key) == 0 {
		return fmt.Errorf("%w: no key to verify with", ErrBadSignature)
	}
	// Compared as text, so that only the one canonical encoding passes.
	want := []byte(base64.StdEncoding.EncodeToString(mac(key, id, ts, body)))
	for sig := range strings.FieldsSeq(sigs) {
		version, enc, ok := strings.Cut(sig, ",")
		if ok && version == "v1" && subtle.ConstantTimeCompare([]byte(enc), want) == 1 {
			return nil
		}
	}
	return ErrBadSignature
}
