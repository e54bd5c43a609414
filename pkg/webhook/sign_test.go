package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/webhook"
)

// The functions below are written from the Standard Webhooks specification,
// not from our code, and call nothing of package webhook: the secret is
// "whsec_" and the standard base64 of the key; the signed content is
// "{webhook-id}.{webhook-timestamp}.{body}"; the signature is the standard
// base64 of its HMAC-SHA256, after "v1,"; the webhook-signature header holds
// one or more signatures separated by spaces.

// specKey decodes a whsec_ secret.
func specKey(t testing.TB, secret string) []byte {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	return key
}

// specSign signs the raw pieces of a message.
func specSign(key []byte, id, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + timestamp + "." + string(body)))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// specVerify reports whether one of the header's signatures is right.
func specVerify(key []byte, h http.Header, body []byte) bool {
	expected := specSign(key, h.Get("webhook-id"), h.Get("webhook-timestamp"), body)
	for _, sig := range strings.Split(h.Get("webhook-signature"), " ") {
		if hmac.Equal([]byte(sig), []byte(expected)) {
			return true
		}
	}
	return false
}

// The example the specification's reference libraries test against.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	// vectorSignature is what specSign gives for the above (and what
	// openssl dgst -sha256 -mac HMAC gives too).
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestVector(t *testing.T) {
	t.Parallel()
	if got := specSign(specKey(t, vectorSecret), vectorID, strconv.Itoa(vectorTimestamp), []byte(vectorBody)); got != vectorSignature {
		t.Fatalf("the independent signer gives %s, want %s", got, vectorSignature)
	}
	key, err := webhook.ParseSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := webhook.Sign(key, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody)); got != vectorSignature {
		t.Fatalf("Sign gives %s, want %s", got, vectorSignature)
	}
	h := webhook.Headers(key, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))
	want := map[string]string{
		"webhook-id": vectorID, "webhook-timestamp": "1614265330",
		"webhook-signature": vectorSignature, "Content-Type": "application/json",
	}
	for name, v := range want {
		if got := h.Get(name); got != v {
			t.Errorf("header %s = %q, want %q", name, got, v)
		}
	}
}

func TestSignaturesMeetTheSpec(t *testing.T) {
	t.Parallel()
	for i := range 50 {
		secret, err := webhook.NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		key, err := webhook.ParseSecret(secret)
		if err != nil {
			t.Fatal(err)
		}
		if len(key) != 32 {
			t.Fatalf("NewSecret made a %d-byte key, want 32", len(key))
		}
		body := fmt.Appendf(nil, `{"type":"vacancy.matched","n":%d}`, i)
		id := fmt.Sprintf("msg_%d", i)
		h := webhook.Headers(key, id, time.Unix(1_790_000_000+int64(i), 0), body)
		if !specVerify(specKey(t, secret), h, body) {
			t.Fatalf("our signature %q fails the spec's check", h.Get("webhook-signature"))
		}
		if specVerify(specKey(t, secret), h, append(body, ' ')) {
			t.Fatal("the spec's check passes a changed body")
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	key := specKey(t, vectorSecret)
	otherKey := specKey(t, "whsec_"+base64.StdEncoding.EncodeToString([]byte("another key of 32 bytes, exactly")))
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"ok":true}`)
	// headers builds a message's headers with the spec's signer.
	headers := func(key []byte, id string, ts string, sigs ...string) http.Header {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		if len(sigs) == 0 {
			sigs = []string{specSign(key, id, ts, body)}
		}
		h.Set("webhook-signature", strings.Join(sigs, " "))
		return h
	}
	nowTS := strconv.FormatInt(now.Unix(), 10)
	good := specSign(key, "msg_1", nowTS, body)
	without := func(name string) http.Header {
		h := headers(key, "msg_1", nowTS)
		h.Del(name)
		return h
	}

	tests := []struct {
		name      string
		key       []byte
		header    http.Header
		body      []byte
		tolerance time.Duration
		want      error
	}{
		{name: "good", header: headers(key, "msg_1", nowTS), body: body},
		{name: "our own headers", header: webhook.Headers(key, "msg_1", now, body), body: body},
		{name: "tampered body", header: headers(key, "msg_1", nowTS), body: []byte(`{"ok":false}`), want: webhook.ErrBadSignature},
		{name: "tampered id", header: headers(key, "msg_1", nowTS, specSign(key, "msg_2", nowTS, body)), body: body, want: webhook.ErrBadSignature},
		{name: "wrong secret", header: headers(otherKey, "msg_1", nowTS), body: body, want: webhook.ErrBadSignature},
		{name: "no key", key: []byte{}, header: headers(nil, "msg_1", nowTS), body: body, want: webhook.ErrBadSignature},
		{name: "stale", header: headers(key, "msg_1", strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)), body: body, want: webhook.ErrTimestamp},
		{name: "from the future", header: headers(key, "msg_1", strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10)), body: body, want: webhook.ErrTimestamp},
		{name: "just inside the tolerance", header: headers(key, "msg_1", strconv.FormatInt(now.Add(-5*time.Minute).Unix(), 10)), body: body},
		{name: "stale under a tighter tolerance", header: headers(key, "msg_1", strconv.FormatInt(now.Add(-time.Minute).Unix(), 10)), body: body, tolerance: 30 * time.Second, want: webhook.ErrTimestamp},
		{name: "timestamp not a number", header: headers(key, "msg_1", "yesterday"), body: body, want: webhook.ErrTimestamp},
		{name: "timestamp checked as sent", header: headers(key, "msg_1", "0"+nowTS), body: body},
		{name: "several signatures, the last good", header: headers(key, "msg_1", nowTS, "v1,AAAA", "v1a,c2lnbmVk", good), body: body},
		{name: "several signatures, the first good", header: headers(key, "msg_1", nowTS, good, specSign(otherKey, "msg_1", nowTS, body)), body: body},
		{name: "several signatures, none good", header: headers(key, "msg_1", nowTS, "v1,AAAA", specSign(otherKey, "msg_1", nowTS, body)), body: body, want: webhook.ErrBadSignature},
		{name: "right value, other version", header: headers(key, "msg_1", nowTS, "v2"+strings.TrimPrefix(good, "v1")), body: body, want: webhook.ErrBadSignature},
		{name: "not base64", header: headers(key, "msg_1", nowTS, "v1,!!!"), body: body, want: webhook.ErrBadSignature},
		{name: "no id", header: without("webhook-id"), body: body, want: webhook.ErrMissingHeaders},
		{name: "no timestamp", header: without("webhook-timestamp"), body: body, want: webhook.ErrMissingHeaders},
		{name: "no signature", header: without("webhook-signature"), body: body, want: webhook.ErrMissingHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := key
			if tt.key != nil {
				k = tt.key
			}
			err := webhook.Verify(k, tt.header, tt.body, now, tt.tolerance)
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseSecret(t *testing.T) {
	t.Parallel()
	bytesOf := func(n int) string { return "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, n)) }
	tests := []struct {
		name   string
		secret string
		ok     bool
	}{
		{"spec example", vectorSecret, true},
		{"24 bytes", bytesOf(24), true},
		{"64 bytes", bytesOf(64), true},
		{"empty", "", false},
		{"no prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false},
		{"other prefix", "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false},
		{"not base64", "whsec_!!!", false},
		{"url-safe base64", "whsec_" + base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe}), false},
		{"23 bytes", bytesOf(23), false},
		{"65 bytes", bytesOf(65), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key, err := webhook.ParseSecret(tt.secret)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseSecret(%q) = %v, want ok %v", tt.secret, err, tt.ok)
			}
			if err != nil && len(tt.secret) > 6 && strings.Contains(err.Error(), tt.secret[6:]) {
				t.Errorf("the error %q shows the secret", err)
			}
			if tt.ok && specSign(key, "m", "1", nil) != specSign(specKey(t, tt.secret), "m", "1", nil) {
				t.Error("the key is not the decoded secret")
			}
		})
	}
}

// FuzzVerify checks that Verify, which reads what anyone may send, never
// panics and never passes a message the spec's own check refuses.
func FuzzVerify(f *testing.F) {
	f.Add(vectorID, "1614265330", vectorSignature, []byte(vectorBody))
	f.Add("msg", "1614265330", "v1,AAAA v1a,xyz v1,", []byte("{}"))
	f.Add("", "-1", " ", []byte(nil))
	key := specKey(f, vectorSecret)
	now := time.Unix(vectorTimestamp, 0)
	f.Fuzz(func(t *testing.T, id, ts, sigs string, body []byte) {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sigs)
		if webhook.Verify(key, h, body, now, 0) != nil {
			return
		}
		want := specSign(key, h.Get("webhook-id"), h.Get("webhook-timestamp"), body)
		if !strings.Contains(h.Get("webhook-signature"), want) {
			t.Fatalf("Verify passed %q without the signature %s", h.Get("webhook-signature"), want)
		}
	})
}
