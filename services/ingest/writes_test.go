package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/natstest"
	"github.com/clinjobs/clinjobs/pkg/partition"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/ingest/internal/idempotency"
)

// TestRetryFinishesAnInterruptedSignUp stores the entry of a sign-up as the
// first attempt would have just before it stopped, before its write: the
// retry makes that very write and answers with the very token first made.
func TestRetryFinishesAnInterruptedSignUp(t *testing.T) {
	t.Parallel()
	ns := natstest.Start(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	s, err := New(ctx, Config{OperatorKey: "cjo.test.0123456789abcdefghijklmnopqrstuvwxyz"},
		Deps{Log: logging.Discard(), NC: natstest.Connect(t, ns), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	body := []byte(`{"email":"kai@example.org","home":{"latitude":51.5,"longitude":-0.12},"travel_radius_km":20,"role_families":["apprentice"]}`)
	const key = "signup-kai"
	ikey := idempotency.Key("signup", key)
	rec := &eventsv1.CandidateChanged{
		Change:    eventsv1.CandidateChange_CANDIDATE_CHANGE_SIGNED_UP,
		Candidate: &eventsv1.Candidate{Id: "cinterruptedxxxxxxxxxx", Email: "kai@example.org"}, TokenHash: auth.Hash("the-first-secret"),
		IdempotencyKeyHash: []byte(ikey),
	}
	data, err := bus.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(append([]byte("POST /v1/candidates\x00"), body...))
	first := []byte(`{"candidate":{"id":"cinterruptedxxxxxxxxxx"},"token":"cjc.cinterruptedxxxxxxxxxx.the-first-secret"}`)
	if _, _, err := s.idem.Begin(ctx, ikey, &idempotency.Entry{
		RequestHash: h[:], Status: 201, Body: first, Header: map[string]string{"Location": "/v1/candidates/cinterruptedxxxxxxxxxx"},
		Write: idempotency.Write{Bucket: bus.BucketCandidates, Key: partition.Key("cinterruptedxxxxxxxxxx"), MsgID: "candidate.signup.cinterruptedxxxxxxxxxx", Record: data},
	}); err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequest("POST", srv.URL+"/v1/candidates", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 || !bytes.Equal(got, first) || resp.Header.Get("ETag") == "" {
		t.Fatalf("retry answered %d %s", resp.StatusCode, got)
	}
	var stored eventsv1.CandidateChanged
	if _, err := s.candidates.Get(ctx, partition.Key("cinterruptedxxxxxxxxxx"), &stored); err != nil {
		t.Fatalf("the interrupted write was not made: %v", err)
	}
	e, _, err := s.idem.Get(ctx, ikey, h[:])
	if err != nil || e == nil || !e.Done {
		t.Fatalf("entry %+v %v, want finished", e, err)
	}
}
