package ingest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"

	"github.com/clinjobs/clinjobs/pkg/httpserver/httpservertest"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/natstest"
	"github.com/clinjobs/clinjobs/pkg/openapi/openapitest"
	"github.com/clinjobs/clinjobs/services/ingest"
)

const opKey = "cjo.test.0123456789abcdefghijklmnopqrstuvwxyz"

// clock is a settable clock; it starts on 26 November 2026, so that the
// example vacancy (closing 31 January 2027) is open.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

type fixture struct {
	t      *testing.T
	svc    *ingest.Service
	srv    *httptest.Server
	client *http.Client
	clock  *clock
	nc     *nats.Conn
}

type option func(*ingest.Config, *ingest.Deps)

// start runs an ingest service on its own embedded NATS server; every
// answer its client gets is checked against the OpenAPI document.
func start(t *testing.T, opts ...option) *fixture {
	t.Helper()
	ns := natstest.Start(t)
	return startOn(t, natstest.Connect(t, ns), opts...)
}

func startOn(t *testing.T, nc *nats.Conn, opts ...option) *fixture {
	t.Helper()
	clk := &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	cfg := ingest.Config{OperatorKey: opKey, CloseEvery: time.Hour, RateLimit: 1e6, RateLimitAnonymous: 1e6}
	deps := ingest.Deps{Log: logging.Discard(), NC: nc, Now: clk.Now}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	ctx := context.Background()
	svc, err := ingest.New(ctx, cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	v := openapitest.NewValidator(t, ingest.Document())
	f := &fixture{t: t, svc: svc, srv: srv, clock: clk, nc: nc,
		client: &http.Client{Transport: &openapitest.Transport{T: t, Validator: v, Requests: openapitest.NewRequestChecker(t, ingest.Document())}}}
	f.eventually(func() bool { return f.do("GET", "/readyz", "", nil, nil).Status == 200 }, "ready")
	return f
}

func withRedis(r redis.UniversalClient) option {
	return func(_ *ingest.Config, d *ingest.Deps) { d.Redis = r }
}

func withLimits(perKey, perAddr int) option {
	return func(c *ingest.Config, _ *ingest.Deps) { c.RateLimit, c.RateLimitAnonymous = perKey, perAddr }
}

// withTrustedProxies believes X-Forwarded-For from these addresses, so that
// one test process can speak as many clients.
func withTrustedProxies(cidrs ...string) option {
	return func(c *ingest.Config, _ *ingest.Deps) { c.TrustedProxies = cidrs }
}

type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

func (a answer) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.Body, v); err != nil {
		t.Fatalf("decode %d %s: %v", a.Status, a.Body, err)
	}
}

func (a answer) want(t *testing.T, status int) answer {
	t.Helper()
	if a.Status != status {
		t.Fatalf("status %d, want %d: %s", a.Status, status, a.Body)
	}
	return a
}

// do sends a request; body is a value to encode, raw bytes or a string, or
// an io.Reader, sent without a length (chunked) as a client that does not
// say how much it will send.
func (f *fixture) do(method, path, bearer string, body any, header map[string]string) answer {
	f.t.Helper()
	rd := httpservertest.Body(f.t, body)
	ct := "application/json"
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", ct)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range header {
		if k == "Content-Type" && v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

func (f *fixture) eventually(cond func() bool, what string) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("not so after 10s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// trust onboards a trust and returns its key.
func (f *fixture) trust(code string) string {
	f.t.Helper()
	var out ingest.TrustCreated
	f.do("POST", "/v1/trusts", opKey, map[string]string{"code": code, "name": "Trust " + code}, nil).want(f.t, 201).json(f.t, &out)
	return out.APIKey.Key
}

// example returns a testdata document as a map, to edit.
func example(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../../pkg/jobs/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func vacancy(t *testing.T, ref string) map[string]any {
	v := example(t, "vacancy.json")
	v["reference"] = ref
	return v
}

// signUp signs a candidate up and returns id and token.
func (f *fixture) signUp(profile map[string]any) (string, string) {
	f.t.Helper()
	var out ingest.SignedUp
	f.do("POST", "/v1/candidates", "", profile, nil).want(f.t, 201).json(f.t, &out)
	return out.Candidate.ID, out.Token
}

func engine(f *fixture) *gin.Engine { return f.svc.Handler().(*gin.Engine) }
