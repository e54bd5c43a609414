package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/webhook"
)

// specVerify is written from the Standard Webhooks specification, not from
// our code: the signed content is "{webhook-id}.{webhook-timestamp}.{body}";
// the key is the base64 part of the whsec_ secret, decoded; the signature is
// HMAC-SHA256 in standard base64 after "v1,"; the header may hold several
// signatures separated by spaces.
func specVerify(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	content := h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(body)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(content))
	expected := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, sig := range strings.Split(h.Get("webhook-signature"), " ") {
		if hmac.Equal([]byte(sig), []byte(expected)) {
			return true
		}
	}
	return false
}

func TestSignaturesMeetTheSpec(t *testing.T) {
	t.Parallel()
	for i := range 20 {
		secret, err := webhook.NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		key, err := webhook.ParseSecret(secret)
		if err != nil {
			t.Fatal(err)
		}
		body := []byte(fmt.Sprintf(`{"type":"vacancy.matched","n":%d}`, i))
		h := webhook.Headers(key, fmt.Sprintf("msg_%d", i), time.Unix(1_790_000_000+int64(i), 0), body)
		if !specVerify(secret, h, body) {
			t.Fatalf("our signature %q fails the spec's check", h.Get("webhook-signature"))
		}
		if specVerify(secret, h, append(body, ' ')) {
			t.Fatal("the spec's check passes a changed body")
		}
	}
}

// TestVector checks the example the specification publishes (secret, id,
// timestamp, body and the signature they give).
func TestVector(t *testing.T) {
	t.Parallel()
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"test": 2432232314}`)
	got := webhook.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), body)
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret, _ := webhook.NewSecret()
	key, _ := webhook.ParseSecret(secret)
	other, _ := webhook.NewSecret()
	otherKey, _ := webhook.ParseSecret(other)
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"ok":true}`)
	good := webhook.Headers(key, "msg_1", now, body)

	tests := []struct {
		name   string
		header func() http.Header
		body   []byte
		want   error
	}{
		{"good", func() http.Header { return good }, body, nil},
		{"changed body", func() http.Header { return good }, []byte(`{"ok":false}`), webhook.ErrBadSignature},
		{"wrong secret", func() http.Header { return webhook.Headers(otherKey, "msg_1", now, body) }, body, webhook.ErrBadSignature},
		{"stale", func() http.Header { return webhook.Headers(key, "msg_1", now.Add(-6*time.Minute), body) }, body, webhook.ErrTimestamp},
		{"from the future", func() http.Header { return webhook.Headers(key, "msg_1", now.Add(6*time.Minute), body) }, body, webhook.ErrTimestamp},
		{"several signatures, one good", func() http.Header {
			h := good.Clone()
			h.Set("webhook-signature", "v1,AAAA v2,whatever "+good.Get("webhook-signature"))
			return h
		}, body, nil},
		{"no id", func() http.Header {
			h := good.Clone()
			h.Del("webhook-id")
			return h
		}, body, webhook.ErrMissingHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := webhook.Verify(key, tt.header(), tt.body, now, 0)
			if !errors.Is(err, tt.want) && !(err == nil && tt.want == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseSecret(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!!", "whsec_c2hvcnQ="} {
		if _, err := webhook.ParseSecret(bad); err == nil {
			t.Errorf("ParseSecret(%q) accepted", bad)
		}
	}
}
