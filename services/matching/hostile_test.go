package matching_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/httpserver/httpservertest"
	"github.com/clinjobs/clinjobs/pkg/partition"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/matching"
)

// send makes a GET with the Authorization header given as it is.
func (r *replica) send(t *testing.T, path, authorization string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+path, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

func cursor(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestHostileMatchQueries: paging out of range and cursors this API never
// gave are refused with 422, never served as some other page.
func TestHostileMatchQueries(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.start("", nil)
	c, tok := w.candidate(1, 51.50, -0.12)
	for i := range 3 {
		w.vacancy(i, 51.50, -0.12)
	}
	settle(t, w)
	bearer := "Bearer " + tok
	for _, route := range []string{"/matches", "/near-misses"} {
		for _, q := range []string{
			"limit=0", "limit=-1", "limit=101", "limit=1e2", "limit=abc", "limit=99999999999999999999", "limit=%00", "limit=0x10",
			"cursor=!!", "cursor=%ff%fe", "cursor=" + strings.Repeat("A", 5000),
			"cursor=" + cursor("o:-1"), "cursor=" + cursor("o:1000001"), "cursor=" + cursor("o:99999999999999999999"),
			"cursor=" + cursor("o:"), "cursor=" + cursor("x:5"), "cursor=" + cursor("o:5 "), "cursor=" + cursor("o:1e3"),
		} {
			t.Run(route+"?"+q[:min(len(q), 40)], func(t *testing.T) {
				code, h, body := r.send(t, "/v1/candidates/"+c.GetId()+route+"?"+q, bearer)
				httpservertest.Refused(t, code, h, body, http.StatusUnprocessableEntity)
			})
		}
	}
	// A cursor past the end is a page with nothing on it, not an error.
	var list matching.MatchList
	if code := r.get(t, "/v1/candidates/"+c.GetId()+"/matches?cursor="+cursor("o:1000000"), tok, &list); code != 200 ||
		len(list.Matches) != 0 || list.Total != 3 || list.NextCursor != "" {
		t.Fatalf("past the end: %d %+v", code, list)
	}
}

// TestHostileMatchCredentials: a candidate's matches refuse strangers'
// credentials with 401, and another candidate's token with 404 in the
// words an id that does not exist gets.
func TestHostileMatchCredentials(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.start("", nil)
	c, tok := w.candidate(1, 51.50, -0.12)
	_, otherTok := w.candidate(2, 51.50, -0.12)
	gone, goneTok := w.candidate(3, 51.50, -0.12)
	if err := w.candidates.Erase(context.Background(), partition.Key(gone.GetId())); err != nil {
		t.Fatal(err)
	}
	// A new token supersedes the one handed out first.
	var rec eventsv1.CandidateChanged
	rev, err := w.candidates.Get(context.Background(), partition.Key(c.GetId()), &rec)
	if err != nil {
		t.Fatal(err)
	}
	secret, hash := auth.NewSecret()
	rec.TokenHash = hash
	if _, err := w.candidates.Update(context.Background(), partition.Key(c.GetId()), rev, &rec); err != nil {
		t.Fatal(err)
	}
	fresh := auth.Credential{Prefix: auth.CandidateTokenPrefix, Owner: c.GetId(), Secret: secret}.String()
	settle(t, w)

	forged := strings.Repeat("s", 43)
	for _, s := range []struct{ name, authorization, candidate string }{
		{"none", "", c.GetId()},
		{"Basic", "Basic dXNlcjpwYXNzd29yZA==", c.GetId()},
		{"garbage", "Bearer not-a-token", c.GetId()},
		{"overlong", "Bearer cjc." + c.GetId() + "." + strings.Repeat("s", 300), c.GetId()},
		{"forged", "Bearer cjc." + c.GetId() + "." + forged, c.GetId()},
		{"superseded", "Bearer " + tok, c.GetId()},
		{"erased candidate's", "Bearer " + goneTok, gone.GetId()},
		{"id a wildcard", "Bearer cjc.c*." + forged, "c*"},
		{"id with a space", "Bearer cjc.c x." + forged, "c%20x"},
		{"a trust key", "Bearer cjt.RJ1.k1." + forged, c.GetId()},
		{"an operator key", "Bearer cjo.ops." + forged, c.GetId()},
	} {
		for _, route := range []string{"/matches", "/near-misses"} {
			t.Run(s.name+route, func(t *testing.T) {
				code, h, body := r.send(t, "/v1/candidates/"+s.candidate+route, s.authorization)
				httpservertest.Refused(t, code, h, body, http.StatusUnauthorized)
			})
		}
	}
	const none = "cnosuchcandidatexxxxx"
	for _, route := range []string{"/matches", "/near-misses"} {
		t.Run("another candidate's token"+route, func(t *testing.T) {
			c1, h1, b1 := r.send(t, "/v1/candidates/"+c.GetId()+route, "Bearer "+otherTok)
			c2, h2, b2 := r.send(t, "/v1/candidates/"+none+route, "Bearer "+otherTok)
			theirs := httpservertest.Refused(t, c1, h1, b1, http.StatusNotFound)
			nothing := httpservertest.Refused(t, c2, h2, b2, http.StatusNotFound)
			if theirs.Type != nothing.Type || strings.ReplaceAll(theirs.Detail, c.GetId(), "{id}") != strings.ReplaceAll(nothing.Detail, none, "{id}") {
				t.Errorf("another's id answers %+v, an id that does not exist %+v", theirs, nothing)
			}
		})
	}
	if code := r.get(t, "/v1/candidates/"+c.GetId()+"/matches", fresh, nil); code != 200 {
		t.Fatalf("the candidate's own new token: %d", code)
	}
}
