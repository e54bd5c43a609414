package ingest_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/services/ingest"
)

// TestHostileCredentials sends a trust route, a candidate route and an
// operator route every kind of credential a stranger has: none, malformed,
// forged, revoked, superseded, erased, another kind's. Each is 401 (with
// its challenge) or, for a live credential of another kind that may not use
// the route, 403; never a 5xx. A forged key of any kind is 401 on every
// route, so that no answer tells whether its trust or candidate exists.
func TestHostileCredentials(t *testing.T) {
	t.Parallel()
	f := start(t)
	key := f.trust("RJ1")
	var list ingest.TrustList
	var spare ingest.KeyIssued
	f.do("POST", "/v1/trusts/RJ1/keys", opKey, map[string]string{"label": "to revoke"}, nil).want(t, 201).json(t, &spare)
	f.do("DELETE", "/v1/trusts/RJ1/keys/"+spare.APIKey.ID, opKey, nil, nil).want(t, 204)
	f.do("GET", "/v1/trusts", opKey, nil, nil).want(t, 200).json(t, &list)
	keyID := list.Trusts[0].APIKeys[0].ID

	cid, old := f.signUp(example(t, "candidate.json"))
	var fresh ingest.NewToken
	f.do("POST", "/v1/candidates/"+cid+"/token", old, nil, nil).want(t, 200).json(t, &fresh)
	gone, goneToken := f.signUp(example(t, "candidate.json"))
	f.do("DELETE", "/v1/candidates/"+gone, goneToken, nil, nil).want(t, 204)

	secret := strings.Repeat("s", 43)
	tests := []struct {
		name          string
		authorization string
		// candidate is the candidate whose route is asked; default cid.
		candidate string
		// want is the status of the trust, candidate and operator route.
		want [3]int
	}{
		{name: "none", want: [3]int{401, 401, 401}},
		{name: "Basic", authorization: "Basic dXNlcjpwYXNzd29yZA==", want: [3]int{401, 401, 401}},
		{name: "Bearer and nothing", authorization: "Bearer ", want: [3]int{401, 401, 401}},
		{name: "garbage", authorization: "Bearer not-a-key-at-all", want: [3]int{401, 401, 401}},
		{name: "overlong", authorization: "Bearer cjt.RJ1." + keyID + "." + strings.Repeat("s", 300), want: [3]int{401, 401, 401}},
		{name: "two credentials", authorization: "Bearer " + key + " " + key, want: [3]int{401, 401, 401}},
		{name: "forged trust key", authorization: "Bearer cjt.RJ1." + keyID + "." + secret, want: [3]int{401, 401, 401}},
		{name: "trust key of no trust", authorization: "Bearer cjt.ZZ9." + keyID + "." + secret, want: [3]int{401, 401, 401}},
		{name: "trust key, owner a wildcard", authorization: "Bearer cjt.*." + keyID + "." + secret, want: [3]int{401, 401, 401}},
		{name: "trust key, owner a full wildcard", authorization: "Bearer cjt.>." + keyID + "." + secret, want: [3]int{401, 401, 401}},
		{name: "trust key, owner not a code", authorization: "Bearer cjt.R J!." + keyID + "." + secret, want: [3]int{401, 401, 401}},
		{name: "revoked trust key", authorization: "Bearer " + spare.APIKey.Key, want: [3]int{401, 401, 401}},
		{name: "forged candidate token", authorization: "Bearer cjc." + cid + "." + secret, want: [3]int{401, 401, 401}},
		{name: "superseded candidate token", authorization: "Bearer " + old, want: [3]int{401, 401, 401}},
		{name: "erased candidate's token", authorization: "Bearer " + goneToken, candidate: gone, want: [3]int{401, 401, 401}},
		{name: "candidate token, id a wildcard", authorization: "Bearer cjc.c*." + secret, candidate: "c*", want: [3]int{401, 401, 401}},
		{name: "candidate token, id not an id", authorization: "Bearer cjc.c x." + secret, candidate: "c%20x", want: [3]int{401, 401, 401}},
		{name: "forged operator key", authorization: "Bearer cjo.test." + secret, want: [3]int{401, 401, 401}},
		{name: "operator key", authorization: "Bearer " + opKey, want: [3]int{403, 401, 200}},
		{name: "trust key", authorization: "Bearer " + key, want: [3]int{200, 401, 403}},
		{name: "candidate token", authorization: "Bearer " + fresh.Token, want: [3]int{403, 200, 403}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			candidate := tt.candidate
			if candidate == "" {
				candidate = cid
			}
			for i, path := range []string{"/v1/trust/vacancies", "/v1/candidates/" + candidate, "/v1/trusts"} {
				a := f.do("GET", path, "", nil, map[string]string{"Authorization": tt.authorization})
				if tt.want[i] == 200 {
					a.want(t, 200)
					continue
				}
				refused(t, a, tt.want[i])
			}
		})
	}
}

// TestAnotherOwnersIDsAreNotFound: a trust asking after another trust's
// vacancy, or a candidate after another candidate, hears what it would of
// an id that does not exist (404, the same words), and changes nothing.
func TestAnotherOwnersIDsAreNotFound(t *testing.T) {
	t.Parallel()
	f := start(t)
	owner, other := f.trust("RJ1"), f.trust("RW3")
	var v jobs.VacancyView
	posted := f.do("POST", "/v1/vacancies", owner, vacancy(t, "O-1"), nil).want(t, 201)
	posted.json(t, &v)
	etag := posted.Header.Get("ETag")
	a, aToken := f.signUp(example(t, "candidate.json"))
	_, bToken := f.signUp(example(t, "candidate.json"))
	aETag := f.do("GET", "/v1/candidates/"+a, aToken, nil, nil).want(t, 200).Header.Get("ETag")

	same := func(t *testing.T, theirs, none answer, theirID, noneID string) {
		t.Helper()
		d, n := refused(t, theirs, 404), refused(t, none, 404)
		if d.Type != n.Type || d.Title != n.Title ||
			strings.ReplaceAll(d.Detail, theirID, "{id}") != strings.ReplaceAll(n.Detail, noneID, "{id}") {
			t.Errorf("another's id answers %+v, an id that does not exist %+v", d, n)
		}
	}
	before := f.streamWrites()
	const noVacancy = "vnosuchvacancyxxxxxxx"
	for _, r := range []struct {
		method, suffix string
		body           any
	}{
		{"PUT", "", vacancy(t, "O-1")},
		{"POST", "/close", nil},
		{"POST", "/withdraw", map[string]string{"reason": "Not theirs to withdraw"}},
		{"GET", "/stats", nil},
	} {
		// Ownership comes before any precondition: whatever If-Match
		// says (right, a wildcard, wrong, absent), the answer is 404.
		for _, match := range []string{etag, "*", `"999"`, ""} {
			t.Run("vacancy "+r.method+r.suffix+" If-Match "+match, func(t *testing.T) {
				h := map[string]string{}
				if match != "" {
					h["If-Match"] = match
				}
				same(t, f.do(r.method, "/v1/vacancies/"+v.ID+r.suffix, other, r.body, h),
					f.do(r.method, "/v1/vacancies/"+noVacancy+r.suffix, other, r.body, h), v.ID, noVacancy)
			})
		}
	}
	const noCandidate = "cnosuchcandidatexxxxx"
	for _, r := range []struct {
		method, suffix string
		body           any
	}{
		{"GET", "", nil},
		{"PUT", "", example(t, "candidate.json")},
		{"DELETE", "", nil},
		{"POST", "/token", nil},
		{"GET", "/export", nil},
	} {
		for _, match := range []string{aETag, "*", `"999"`, ""} {
			t.Run("candidate "+r.method+r.suffix+" If-Match "+match, func(t *testing.T) {
				h := map[string]string{}
				if match != "" {
					h["If-Match"] = match
				}
				same(t, f.do(r.method, "/v1/candidates/"+a+r.suffix, bToken, r.body, h),
					f.do(r.method, "/v1/candidates/"+noCandidate+r.suffix, bToken, r.body, h), a, noCandidate)
			})
		}
	}
	if after := f.streamWrites(); after != before {
		t.Errorf("refused requests wrote %d messages", after-before)
	}
	var still jobs.VacancyView
	got := f.do("GET", "/v1/vacancies/"+v.ID, "", nil, nil).want(t, 200)
	got.json(t, &still)
	if got.Header.Get("ETag") != etag || still.Status != "open" {
		t.Errorf("the vacancy changed: %s %+v", got.Header.Get("ETag"), still)
	}
	if f.do("GET", "/v1/candidates/"+a, aToken, nil, nil).want(t, 200).Header.Get("ETag") != aETag {
		t.Error("the candidate's profile changed")
	}
}

// TestFloods: a client over its limit gets 429 with Retry-After and writes
// nothing, while other clients go on; changing address does not shake off
// a credential's limit, guessing keys is limited by address, and a client
// cannot choose its address with X-Forwarded-For unless it is a trusted
// proxy. (TestRateLimitsHoldAcrossReplicas holds the limits across
// replicas through Redis.)
func TestFloods(t *testing.T) {
	t.Parallel()
	f := start(t, withLimits(3, 5), withTrustedProxies("127.0.0.1/32", "::1/128"))
	key, other := f.trust("RJ1"), f.trust("RW3")
	from := func(addr string) map[string]string { return map[string]string{"X-Forwarded-For": addr} }
	limited := func(t *testing.T, a answer) {
		t.Helper()
		refused(t, a, 429)
		// The clock stands still: the whole window is left.
		if ra, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || ra != 60 {
			t.Errorf("Retry-After %q, want 60", a.Header.Get("Retry-After"))
		}
	}

	t.Run("anonymous", func(t *testing.T) {
		for range 5 {
			f.do("GET", "/v1/vacancies", "", nil, from("198.51.100.1")).want(t, 200)
		}
		limited(t, f.do("GET", "/v1/vacancies", "", nil, from("198.51.100.1")))
		limited(t, f.do("POST", "/v1/candidates", "", example(t, "candidate.json"), from("198.51.100.1")))
		f.do("GET", "/v1/vacancies", "", nil, from("198.51.100.2")).want(t, 200)
	})
	t.Run("a credential from many addresses", func(t *testing.T) {
		for i := range 3 {
			f.do("GET", "/v1/trust/vacancies", key, nil, from("203.0.113."+strconv.Itoa(10+i))).want(t, 200)
		}
		before := f.streamWrites()
		limited(t, f.do("POST", "/v1/vacancies", key, vacancy(t, "F-1"), from("203.0.113.20")))
		if f.streamWrites() != before {
			t.Error("a limited post wrote")
		}
		f.do("GET", "/v1/trust/vacancies", other, nil, from("203.0.113.21")).want(t, 200)
	})
	t.Run("guessing keys", func(t *testing.T) {
		for i := range 5 {
			guess := "Bearer cjt.RJ1.k" + strconv.Itoa(i) + "." + strings.Repeat("g", 43)
			refused(t, f.do("GET", "/v1/trust/vacancies", "", nil, map[string]string{"Authorization": guess, "X-Forwarded-For": "192.0.2.7"}), 401)
		}
		limited(t, f.do("GET", "/v1/trust/vacancies", other, nil, from("192.0.2.7")))
	})
	t.Run("the window passes", func(t *testing.T) {
		f.clock.Set(f.clock.Now().Add(time.Minute))
		f.do("GET", "/v1/vacancies", "", nil, from("198.51.100.1")).want(t, 200)
		f.do("GET", "/v1/trust/vacancies", key, nil, from("203.0.113.22")).want(t, 200)
	})

	t.Run("X-Forwarded-For from a client", func(t *testing.T) {
		g := start(t, withLimits(1000, 3))
		for i := range 3 {
			g.do("GET", "/v1/vacancies", "", nil, from("198.51.100."+strconv.Itoa(i))).want(t, 200)
		}
		limited(t, g.do("GET", "/v1/vacancies", "", nil, from("198.51.100.99")))
	})
}
