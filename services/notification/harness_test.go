package notification_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/control"
	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/natstest"
	"github.com/clinjobs/clinjobs/pkg/openapi/openapitest"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/testwait"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/notification"
)

// clock is a settable clock for the service under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// harness is one notification service on a real NATS server, its API on a
// real HTTP server.
type harness struct {
	t     *testing.T
	ns    *server.Server
	nc    *nats.Conn
	js    jetstream.JetStream
	svc   *notification.Service
	api   *httptest.Server
	clock *clock
	// client checks every answer against the OpenAPI document.
	client *http.Client
	cfg    notification.Config
	deps   notification.Deps
}

type option func(*notification.Config, *notification.Deps)

func start(t *testing.T, opts ...option) *harness {
	t.Helper()
	ns := natstest.Start(t)
	h := &harness{t: t, ns: ns, nc: natstest.Connect(t, ns), clock: &clock{t: time.Now()}}
	h.js, _ = jetstream.New(h.nc)
	h.client = &http.Client{Transport: &openapitest.Transport{T: t, Validator: openapitest.NewValidator(t, notification.Document()),
		Requests: openapitest.NewRequestChecker(t, notification.Document())}}
	h.cfg = notification.Config{
		AllowPrivateWebhooks: true, WebhookTimeout: 2 * time.Second, Workers: 8,
		Retries: []time.Duration{20 * time.Millisecond, 20 * time.Millisecond}, DigestEvery: time.Hour,
		PublicURL: "http://unused",
	}
	h.deps = notification.Deps{Log: slog.New(slog.DiscardHandler), Now: h.clock.Now}
	for _, o := range opts {
		o(&h.cfg, &h.deps)
	}
	h.svc = h.run(h.nc)
	return h
}

// run starts a service instance on nc.
func (h *harness) run(nc *nats.Conn) *notification.Service {
	h.t.Helper()
	ctx := h.t.Context()
	deps := h.deps
	deps.NC = nc
	svc, err := notification.New(ctx, h.cfg, deps)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		h.t.Fatal(err)
	}
	api := httptest.NewServer(svc.Handler())
	h.t.Cleanup(func() {
		api.Close()
		_ = svc.Stop(context.Background())
	})
	if h.api == nil {
		h.api = api
	}
	return svc
}

// candidate stores a profile the way ingest does and returns its id and token.
func (h *harness) candidate(email string) (string, string) {
	h.t.Helper()
	id := ids.New("c")
	secret, hash := auth.NewSecret()
	rec := &eventsv1.CandidateChanged{Candidate: &eventsv1.Candidate{Id: id, Email: email}, TokenHash: hash}
	data, _ := proto.Marshal(rec)
	kv, err := h.js.KeyValue(h.t.Context(), bus.BucketCandidates)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := kv.Put(h.t.Context(), partition.Key(id), data); err != nil {
		h.t.Fatal(err)
	}
	return id, auth.Credential{Prefix: auth.CandidateTokenPrefix, Owner: id, Secret: secret}.String()
}

// call makes a request to the API and decodes a JSON answer into out.
func (h *harness) call(method, path, token string, body any, out any) int {
	h.t.Helper()
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = bytes.NewReader(data)
	}
	req, _ := http.NewRequestWithContext(h.t.Context(), method, h.api.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		h.t.Errorf("%s %s: %d with %s, want a problem document", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			h.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

type subscribed struct {
	Subscription notification.SubscriptionView `json:"subscription"`
	Secret       string                        `json:"secret"`
}

func (h *harness) subscribe(cid, token string, in map[string]any) subscribed {
	h.t.Helper()
	var out subscribed
	if code := h.call(http.MethodPost, "/v1/candidates/"+cid+"/subscriptions", token, in, &out); code != http.StatusCreated {
		h.t.Fatalf("subscribe %v: %d", in, code)
	}
	return out
}

var vacancySeq struct {
	sync.Mutex
	n int
}

// vacancy returns a summary of a fresh vacancy.
func vacancy(family eventsv1.RoleFamily, band eventsv1.Band, closes time.Time) *eventsv1.VacancySummary {
	vacancySeq.Lock()
	vacancySeq.n++
	n := vacancySeq.n
	vacancySeq.Unlock()
	return &eventsv1.VacancySummary{
		Id: ids.New("v"), Title: fmt.Sprintf("Clinical engineer %d", n), TrustName: "Leeds Teaching Hospitals NHS Trust",
		RoleFamily: family, Band: band, SalaryMin: 37338, SalaryMax: 44962, SiteName: "St James's University Hospital",
		ClosingDate: closes.Format(time.DateOnly), ClosesAtUnixMs: closes.UnixMilli(), ApplyUrl: "https://jobs.example.nhs.uk/apply",
		Specialisms: []eventsv1.Specialism{eventsv1.Specialism_SPECIALISM_EQUIPMENT_MANAGEMENT},
	}
}

// match announces a match as the matching service does; msgID lets a test
// announce the same match twice past the duplicate window.
func (h *harness) match(cid string, v *eventsv1.VacancySummary, msgID string) {
	h.t.Helper()
	m := &eventsv1.MatchFound{CandidateId: cid, Vacancy: v, Score: 80, Reasons: []string{"14 km from home, within your 30 km"},
		DistanceKm: 14, MatchedAtUnixMs: h.clock.Now().UnixMilli()}
	data, _ := proto.Marshal(m)
	if msgID == "" {
		msgID = "match." + cid + "." + v.GetId()
	}
	if _, err := h.js.Publish(h.t.Context(), bus.MatchSubject(cid), data, jetstream.WithMsgID(msgID)); err != nil {
		h.t.Fatal(err)
	}
}

// storeVacancy writes an open vacancy record, as ingest does.
func (h *harness) storeVacancy(v *eventsv1.VacancySummary) {
	h.t.Helper()
	rec := &eventsv1.VacancyChanged{Vacancy: &eventsv1.Vacancy{Id: v.GetId(), Title: v.GetTitle(),
		Status: eventsv1.VacancyStatus_VACANCY_STATUS_OPEN, ClosingDate: v.GetClosingDate(), ClosesAtUnixMs: v.GetClosesAtUnixMs()}}
	data, _ := proto.Marshal(rec)
	kv, err := h.js.KeyValue(h.t.Context(), bus.BucketVacancies)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := kv.Put(h.t.Context(), v.GetId(), data); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) control(subject string, req, resp any) error {
	return control.New(h.nc).Request(h.t.Context(), subject, "test operator", req, resp)
}

// settled waits until the service has nothing in hand or waiting.
func (h *harness) settled() {
	h.t.Helper()
	testwait.Until(h.t, 30*time.Second, "the service settles", func() bool {
		// In the order work flows: a match is acknowledged only after its
		// deliveries are stored, so once no match is left, every delivery
		// to come is already stored. Each consumer is compared with its
		// stream's last message, not only asked what it has pending: a
		// consumer learns of a message just stored a moment after the
		// publisher does.
		// Deliveries waiting under a schedule for their next try are not
		// the consumer's until due; a work queue drops what is
		// acknowledged, so no message on deliveries.> means none in hand
		// or on its way.
		st, err := h.js.Stream(h.t.Context(), notification.StreamDeliveries)
		if err != nil {
			return false
		}
		sinfo, err := st.Info(h.t.Context(), jetstream.WithSubjectFilter("deliveries.>"))
		if err != nil || len(sinfo.State.Subjects) > 0 {
			return false
		}
		for _, c := range []struct{ stream, durable string }{
			{bus.StreamMatches, "notification-matches"}, {notification.StreamDeliveries, "notification-deliveries"},
		} {
			st, err := h.js.Stream(h.t.Context(), c.stream)
			if err != nil {
				return false
			}
			sinfo, err := st.Info(h.t.Context())
			if err != nil {
				return false
			}
			cons, err := st.Consumer(h.t.Context(), c.durable)
			if err != nil {
				return false
			}
			info, err := cons.Info(h.t.Context())
			if err != nil || info.NumPending > 0 || info.NumAckPending > 0 ||
				c.stream == bus.StreamMatches && info.Delivered.Stream < sinfo.State.LastSeq {
				return false
			}
		}
		return true
	})
}

// hook is one request a webhook receiver got.
type hook struct {
	ID, Timestamp, Signature string
	Body                     []byte
	Payload                  notification.Payload
}

// receiver is a webhook endpoint: it answers with answer (204 when nil)
// and keeps every request.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	hooks  []hook
	answer func(n int) int
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hk := hook{ID: r.Header.Get("webhook-id"), Timestamp: r.Header.Get("webhook-timestamp"),
			Signature: r.Header.Get("webhook-signature"), Body: body}
		_ = json.Unmarshal(body, &hk.Payload)
		rc.mu.Lock()
		rc.hooks = append(rc.hooks, hk)
		n := len(rc.hooks)
		answer := rc.answer
		rc.mu.Unlock()
		code := http.StatusNoContent
		if answer != nil {
			code = answer(n)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []hook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hook(nil), rc.hooks...)
}

func (rc *receiver) setAnswer(f func(int) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = f
}

// verifyStandardWebhook checks a request's signature the way the Standard
// Webhooks specification says a receiver must, written here from the
// specification and not with our signer: the secret is base64 after the
// "whsec_" prefix; the signed content is "<webhook-id>.<webhook-timestamp>.<body>";
// the signature is HMAC-SHA256, base64 (standard alphabet, padded), after
// "v1,", one of a space-separated list.
func verifyStandardWebhook(secret string, hk hook) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return fmt.Errorf("secret: %w", err)
	}
	if hk.ID == "" || hk.Timestamp == "" {
		return fmt.Errorf("missing webhook-id or webhook-timestamp")
	}
	var ts int64
	if _, err := fmt.Sscan(hk.Timestamp, &ts); err != nil {
		return fmt.Errorf("webhook-timestamp %q is not whole seconds", hk.Timestamp)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(hk.ID + "." + hk.Timestamp + "."))
	mac.Write(hk.Body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(hk.Signature) {
		version, value, ok := strings.Cut(sig, ",")
		if ok && version == "v1" && hmac.Equal([]byte(value), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("no v1 signature in %q matches", hk.Signature)
}
