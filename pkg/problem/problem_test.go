package problem_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/problem"
)

func TestDetailsOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantDetail string
	}{
		{"not found", problem.New(problem.NotFound, "vacancy %s", "v1"), 404, "vacancy v1"},
		{"wrapped", fmt.Errorf("get vacancy: %w", problem.New(problem.Conflict, "reference taken")), 409, "reference taken"},
		{"plain error is hidden", errors.New("dial tcp 10.0.0.1: refused"), 500, "internal error"},
		{"internal kind is hidden", problem.Wrap(problem.Internal, errors.New("secret"), "oops"), 500, "internal error"},
		{"stale", problem.New(problem.PreconditionFailed, "revision 3 is not the latest"), 412, "revision 3 is not the latest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := problem.DetailsOf(tt.err)
			if d.Status != tt.wantStatus || d.Detail != tt.wantDetail {
				t.Errorf("got %d %q, want %d %q", d.Status, d.Detail, tt.wantStatus, tt.wantDetail)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	err := &problem.Error{Kind: problem.RateLimited, Detail: "slow down", RetryAfter: 1500 * time.Millisecond}
	problem.Write(rec, problem.DetailsOf(err))
	if rec.Code != http.StatusTooManyRequests {
		t.Errorf("status %d", rec.Code)
	}
	if got := rec.Header().Get("Content-Type"); got != problem.ContentType {
		t.Errorf("content type %q", got)
	}
	if got := rec.Header().Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2 (rounded up)", got)
	}
	var d problem.Details
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Type != "urn:clinjobs:problem:rate-limited" || d.Title == "" || d.Status != 429 {
		t.Errorf("document %+v", d)
	}
}

func TestWriteHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		err           error
		header, value string
	}{
		{"a window that ends now still says when", &problem.Error{Kind: problem.RateLimited}, "Retry-After", "1"},
		{"under a second rounds up", &problem.Error{Kind: problem.RateLimited, RetryAfter: time.Millisecond}, "Retry-After", "1"},
		{"unavailable without a time says none", problem.New(problem.Unavailable, "down"), "Retry-After", ""},
		{"401 carries its challenge", problem.New(problem.Unauthenticated, "no key"), "WWW-Authenticate", `Bearer realm="clinjobs"`},
		{"403 does not", problem.New(problem.Forbidden, "not yours"), "WWW-Authenticate", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			problem.Write(rec, problem.DetailsOf(tt.err))
			if got := rec.Header().Get(tt.header); got != tt.value {
				t.Errorf("%s %q, want %q", tt.header, got, tt.value)
			}
		})
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	if problem.Fields(nil) != nil {
		t.Error("no fields should be no error")
	}
	err := problem.Fields([]problem.FieldError{{Field: "/band", Detail: "unknown band"}})
	d := problem.DetailsOf(err)
	if d.Status != 422 || len(d.Errors) != 1 || d.Errors[0].Field != "/band" {
		t.Errorf("document %+v", d)
	}
}
