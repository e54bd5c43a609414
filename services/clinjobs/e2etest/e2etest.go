// Package e2etest drives the running system from outside, over its HTTP APIs,
// the way trusts, candidates and operators do: the kit of the end-to-end,
// system, fault and load tests. It holds a client of every API, builders of
// vacancies and profiles that match each other, a webhook receiver that
// verifies and counts alerts, and a wait for JetStream to settle.
// Production code never imports it.
package e2etest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// API is the system as clients see it: the base URL of each service.
type API struct {
	Ingest, Matching, Notification, Dashboard string
	// OperatorKey is the operator's key.
	OperatorKey string
	HTTP        *http.Client
}

// Response is an answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %d answer %q: %v", r.Status, r.Body, err)
	}
}

// Do sends a request with an optional bearer credential and JSON body (a
// []byte or string is sent as it is), and reads the whole answer.
func (a API) Do(t testing.TB, method, url, bearer string, body any) Response {
	t.Helper()
	r, err := a.Try(method, url, bearer, body, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

// Try is Do without a test: for load generators and polls that tolerate errors.
func (a API) Try(method, url, bearer string, body any, header http.Header) (Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return Response{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return Response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	client := a.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// Expect fails t unless r has status want.
func (r Response) Expect(t testing.TB, want int) Response {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
	return r
}

// CreateTrust onboards a trust and returns its API key.
func (a API) CreateTrust(t testing.TB, code, name string) string {
	t.Helper()
	var out struct {
		APIKey struct {
			Key string `json:"key"`
		} `json:"api_key"`
	}
	a.Do(t, http.MethodPost, a.Ingest+"/v1/trusts", a.OperatorKey, map[string]string{"code": code, "name": name}).
		Expect(t, http.StatusCreated).JSON(t, &out)
	return out.APIKey.Key
}

// PostVacancy posts a vacancy for the trust whose key is given and returns its id.
func (a API) PostVacancy(t testing.TB, key string, v any) string {
	t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	a.Do(t, http.MethodPost, a.Ingest+"/v1/vacancies", key, v).Expect(t, http.StatusCreated).JSON(t, &out)
	return out.ID
}

// SignUp signs a candidate up and returns their id and token.
func (a API) SignUp(t testing.TB, profile any) (id, token string) {
	t.Helper()
	var out struct {
		Candidate struct {
			ID string `json:"id"`
		} `json:"candidate"`
		Token string `json:"token"`
	}
	a.Do(t, http.MethodPost, a.Ingest+"/v1/candidates", "", profile).Expect(t, http.StatusCreated).JSON(t, &out)
	return out.Candidate.ID, out.Token
}

// SubscribeWebhook subscribes a candidate's webhook and returns the
// subscription id and its signing secret.
func (a API) SubscribeWebhook(t testing.TB, candidateID, token, url string) (id, secret string) {
	t.Helper()
	var out struct {
		Subscription struct {
			ID string `json:"id"`
		} `json:"subscription"`
		Secret string `json:"secret"`
	}
	a.retryUnavailable(t, func() Response {
		return a.Do(t, http.MethodPost, fmt.Sprintf("%s/v1/candidates/%s/subscriptions", a.Notification, candidateID), token,
			map[string]string{"channel": "webhook", "url": url})
	}).Expect(t, http.StatusCreated).JSON(t, &out)
	return out.Subscription.ID, out.Secret
}

// retryUnavailable sends again, as a client should, while the answer is
// 503: a replica whose NATS connection is coming back after a partition
// cannot check a token for a moment, and says so rather than guess (the
// fault suite met this right after a replica was reconnected). It gives up
// after 30 seconds with the last answer.
func (a API) retryUnavailable(t testing.TB, send func() Response) Response {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := send()
		if r.Status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return r
		}
		wait := 200 * time.Millisecond
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = min(time.Duration(s)*time.Second, 2*time.Second)
		}
		time.Sleep(wait)
	}
}

// Eventually polls cond every 20ms until it holds, failing t after timeout
// with the last thing cond said.
func Eventually(t testing.TB, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not so after %s: %s", timeout, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
