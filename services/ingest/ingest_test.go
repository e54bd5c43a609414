package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/openapi/openapitest"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/services/ingest"
)

func TestEveryRouteIsDocumented(t *testing.T) {
	t.Parallel()
	f := start(t)
	openapitest.CheckRoutes(t, engine(f), ingest.Document())
	var doc map[string]any
	f.do("GET", "/openapi.json", "", nil, nil).want(t, 200).json(t, &doc)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
}

func TestTrusts(t *testing.T) {
	t.Parallel()
	f := start(t)
	key := f.trust("RJ1")
	f.do("POST", "/v1/trusts", opKey, map[string]string{"code": "RJ1", "name": "Again"}, nil).want(t, 409)
	var p problem.Details
	f.do("POST", "/v1/trusts", opKey, map[string]string{"code": "r!", "name": "x"}, nil).want(t, 422).json(t, &p)
	if len(p.Errors) != 2 {
		t.Errorf("errors %+v, want code and name", p.Errors)
	}
	f.do("POST", "/v1/trusts", "", map[string]string{"code": "RJ2", "name": "No key"}, nil).want(t, 401)
	f.do("POST", "/v1/trusts", "cjo.x.wrongwrongwrongwrongwrongwrongwrong", map[string]string{"code": "RJ2", "name": "Bad"}, nil).want(t, 401)
	f.do("POST", "/v1/trusts", key, map[string]string{"code": "RJ2", "name": "Trust key"}, nil).want(t, 403)

	var issued ingest.KeyIssued
	f.do("POST", "/v1/trusts/RJ1/keys", opKey, map[string]string{"label": "payroll system"}, nil).want(t, 201).json(t, &issued)
	var list ingest.TrustList
	f.do("GET", "/v1/trusts", opKey, nil, nil).want(t, 200).json(t, &list)
	if len(list.Trusts) != 1 || len(list.Trusts[0].APIKeys) != 2 || strings.Contains(string(f.do("GET", "/v1/trusts", opKey, nil, nil).Body), "cjt.") {
		t.Fatalf("trusts %+v (secrets must not show)", list)
	}
	// Both keys work; a revoked one stops at once.
	f.do("GET", "/v1/trust/vacancies", key, nil, nil).want(t, 200)
	f.do("GET", "/v1/trust/vacancies", issued.APIKey.Key, nil, nil).want(t, 200)
	oldID := list.Trusts[0].APIKeys[0].ID
	f.do("DELETE", "/v1/trusts/RJ1/keys/"+oldID, opKey, nil, nil).want(t, 204)
	f.do("GET", "/v1/trust/vacancies", key, nil, nil).want(t, 401)
	f.do("GET", "/v1/trust/vacancies", issued.APIKey.Key, nil, nil).want(t, 200)
	f.do("DELETE", "/v1/trusts/RJ1/keys/knope", opKey, nil, nil).want(t, 404)
	f.do("POST", "/v1/trusts/NOPE/keys", opKey, map[string]string{}, nil).want(t, 404)
}

func TestVacancyLifecycle(t *testing.T) {
	t.Parallel()
	f := start(t)
	key := f.trust("RJ1")
	other := f.trust("RW3")

	posted := f.do("POST", "/v1/vacancies", key, vacancy(t, "CE-1"), nil).want(t, 201)
	var v jobs.VacancyView
	posted.json(t, &v)
	if posted.Header.Get("Location") != "/v1/vacancies/"+v.ID || posted.Header.Get("ETag") == "" || v.Status != "open" || v.Trust.Code != "RJ1" {
		t.Fatalf("posted %v %+v", posted.Header, v)
	}
	etag := posted.Header.Get("ETag")
	got := f.do("GET", "/v1/vacancies/"+v.ID, "", nil, nil).want(t, 200)
	if got.Header.Get("ETag") != etag {
		t.Fatalf("ETag %s on read, %s on post", got.Header.Get("ETag"), etag)
	}
	f.do("POST", "/v1/vacancies", key, vacancy(t, "CE-1"), nil).want(t, 409)
	// Another trust may use the same reference for its own vacancy.
	f.do("POST", "/v1/vacancies", other, vacancy(t, "CE-1"), nil).want(t, 201)

	edit := vacancy(t, "CE-1")
	edit["title"] = "Senior Clinical Technologist, Medical Equipment Management"
	edit["band"] = "6"
	f.do("PUT", "/v1/vacancies/"+v.ID, key, edit, nil).want(t, 428)
	f.do("PUT", "/v1/vacancies/"+v.ID, key, edit, map[string]string{"If-Match": `"999"`}).want(t, 412)
	renamed := vacancy(t, "CE-2")
	f.do("PUT", "/v1/vacancies/"+v.ID, key, renamed, map[string]string{"If-Match": etag}).want(t, 422)
	f.do("PUT", "/v1/vacancies/"+v.ID, other, edit, map[string]string{"If-Match": etag}).want(t, 404)
	updated := f.do("PUT", "/v1/vacancies/"+v.ID, key, edit, map[string]string{"If-Match": etag}).want(t, 200)
	var u jobs.VacancyView
	updated.json(t, &u)
	if u.Band != "6" || u.PostedDate != v.PostedDate || updated.Header.Get("ETag") == etag {
		t.Fatalf("updated %+v", u)
	}
	// The first writer's ETag is stale now: a second writer is refused.
	f.do("PUT", "/v1/vacancies/"+v.ID, key, edit, map[string]string{"If-Match": etag}).want(t, 412)

	f.do("POST", "/v1/vacancies/"+v.ID+"/close", other, nil, nil).want(t, 404)
	var closed jobs.VacancyView
	f.do("POST", "/v1/vacancies/"+v.ID+"/close", key, nil, nil).want(t, 200).json(t, &closed)
	if closed.Status != "closed" {
		t.Fatalf("status %s", closed.Status)
	}
	f.do("POST", "/v1/vacancies/"+v.ID+"/close", key, nil, nil).want(t, 409)
	f.do("PUT", "/v1/vacancies/"+v.ID, key, edit, map[string]string{"If-Match": f.do("GET", "/v1/vacancies/"+v.ID, "", nil, nil).Header.Get("ETag")}).want(t, 409)
	f.do("POST", "/v1/vacancies/"+v.ID+"/withdraw", key, map[string]string{"reason": "x"}, nil).want(t, 422)
	var w jobs.VacancyView
	f.do("POST", "/v1/vacancies/"+v.ID+"/withdraw", key, map[string]string{"reason": "Post filled internally"}, nil).want(t, 200).json(t, &w)
	if w.Status != "withdrawn" || w.WithdrawnReason != "Post filled internally" {
		t.Fatalf("withdrawn %+v", w)
	}
	f.do("GET", "/v1/vacancies/vnotavacancyatallxxxxx", "", nil, nil).want(t, 404)
}

func TestIdempotentPosts(t *testing.T) {
	t.Parallel()
	f := start(t)
	key := f.trust("RJ1")
	h := map[string]string{"Idempotency-Key": "post-0142"}
	first := f.do("POST", "/v1/vacancies", key, vacancy(t, "CE-9"), h).want(t, 201)
	again := f.do("POST", "/v1/vacancies", key, vacancy(t, "CE-9"), h).want(t, 201)
	if string(first.Body) != string(again.Body) || first.Header.Get("ETag") != again.Header.Get("ETag") {
		t.Fatalf("a retry answered differently:\n%s\n%s", first.Body, again.Body)
	}
	f.do("POST", "/v1/vacancies", key, vacancy(t, "CE-10"), h).want(t, 422)
	// The same key from another trust is another key.
	f.do("POST", "/v1/vacancies", f.trust("RW3"), vacancy(t, "CE-9"), h).want(t, 201)
	f.do("POST", "/v1/vacancies", key, vacancy(t, "CE-9"), map[string]string{"Idempotency-Key": strings.Repeat("k", 300)}).want(t, 422)

	p := example(t, "candidate.json")
	sh := map[string]string{"Idempotency-Key": "signup-asha"}
	var a, b ingest.SignedUp
	f.do("POST", "/v1/candidates", "", p, sh).want(t, 201).json(t, &a)
	f.do("POST", "/v1/candidates", "", p, sh).want(t, 201).json(t, &b)
	if a.Candidate.ID != b.Candidate.ID {
		t.Fatalf("retried sign-up made %s and %s", a.Candidate.ID, b.Candidate.ID)
	}
	// The token is shown once: a replay of the key and body (by anyone who
	// has them) answers without it, and it is kept nowhere in plaintext.
	if a.Token == "" || b.Token != "" {
		t.Fatalf("sign-up answered token %q, its replay %q; want one, then none", a.Token, b.Token)
	}
	f.do("GET", "/v1/candidates/"+a.Candidate.ID, a.Token, nil, nil).want(t, 200)
	secret := a.Token[strings.LastIndexByte(a.Token, '.')+1:]
	js, err := jetstream.New(f.nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"KV_idempotency", "KV_candidates"} {
		stream, err := js.Stream(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := stream.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
			msg, err := stream.GetMsg(context.Background(), seq)
			if err == nil && bytes.Contains(msg.Data, []byte(secret)) {
				t.Fatalf("%s keeps the candidate's token in message %d", name, seq)
			}
		}
	}
}

func TestBulk(t *testing.T) {
	t.Parallel()
	f := start(t)
	key := f.trust("RJ1")
	line := func(v map[string]any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	bad := vacancy(t, "B-2")
	bad["band"] = "10"
	body := line(vacancy(t, "B-1")) + "\n{not json\n\n" + line(bad) + "\n" + line(vacancy(t, "B-3")) + "\n"
	ndjson := func(h map[string]string) ingest.BulkAnswer {
		req := map[string]string{"Content-Type": "application/x-ndjson"}
		for k, v := range h {
			req[k] = v
		}
		var out ingest.BulkAnswer
		f.do("POST", "/v1/vacancies/bulk", key, body, req).want(t, 200).json(t, &out)
		return out
	}
	h := map[string]string{"Idempotency-Key": "bulk-1"}
	out := ndjson(h)
	want := []struct{ line, status int }{{1, 201}, {2, 400}, {4, 422}, {5, 201}}
	if out.Accepted != 2 || out.Rejected != 2 || len(out.Results) != 4 {
		t.Fatalf("answer %+v", out)
	}
	for i, w := range want {
		if r := out.Results[i]; r.Line != w.line || r.Status != w.status {
			t.Errorf("result %d = %+v, want line %d status %d", i, r, w.line, w.status)
		}
	}
	if p := out.Results[2].Problem; p == nil || len(p.Errors) == 0 || p.Errors[0].Field != "/band" {
		t.Errorf("the bad band is not named: %+v", out.Results[2].Problem)
	}
	// A retry with the key answers each vacancy as the first time...
	again := ndjson(h)
	if again.Results[0].ID != out.Results[0].ID || again.Results[0].Status != 201 || again.Accepted != 2 {
		t.Fatalf("retry %+v", again)
	}
	// ...without it, the references are taken.
	if plain := ndjson(nil); plain.Accepted != 0 || plain.Results[0].Status != 409 {
		t.Fatalf("repeat without a key %+v", plain)
	}
	var arr ingest.BulkAnswer
	f.do("POST", "/v1/vacancies/bulk", key, []any{vacancy(t, "A-1"), vacancy(t, "A-2"), map[string]any{"colour": "blue"}}, nil).want(t, 200).json(t, &arr)
	if arr.Accepted != 2 || arr.Results[2].Status != 422 || arr.Results[2].Line != 3 {
		t.Fatalf("array %+v", arr)
	}
	f.do("POST", "/v1/vacancies/bulk", key, "[]", nil).want(t, 422)
	f.do("POST", "/v1/vacancies/bulk", key, "a,b", map[string]string{"Content-Type": "text/csv"}).want(t, 415)
}

func TestLists(t *testing.T) {
	t.Parallel()
	f := start(t)
	key := f.trust("RJ1")
	places := map[string][2]float64{"L": {51.4989, -0.1187}, "M": {53.4626, -2.2273}, "C": {52.1753, 0.1403}}
	ids := map[string]string{}
	for i, name := range []string{"L", "M", "C"} {
		for j, family := range []string{"clinical_technologist", "stp_trainee"} {
			v := vacancy(t, fmt.Sprintf("%s-%d", name, j))
			v["role_family"] = family
			v["band"] = []string{"5", "6", "7"}[i]
			v["site"] = map[string]any{"name": name, "latitude": places[name][0], "longitude": places[name][1]}
			var out jobs.VacancyView
			f.do("POST", "/v1/vacancies", key, v, nil).want(t, 201).json(t, &out)
			ids[fmt.Sprintf("%s-%d", name, j)] = out.ID
		}
	}
	var closed jobs.VacancyView
	f.do("POST", "/v1/vacancies/"+ids["C-1"]+"/close", key, nil, nil).want(t, 200).json(t, &closed)

	count := func(path, bearer string) int {
		seen := 0
		next := path
		for {
			var l ingest.VacancyList
			f.do("GET", next, bearer, nil, nil).want(t, 200).json(t, &l)
			seen += len(l.Vacancies)
			if l.NextCursor == "" {
				return seen
			}
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			next = path + sep + "cursor=" + l.NextCursor
		}
	}
	f.eventually(func() bool { return count("/v1/vacancies", "") == 5 }, "the closed vacancy leaves the public list")
	tests := map[string]int{
		"/v1/vacancies?limit=2":                                 5,
		"/v1/vacancies?role_family=stp_trainee":                 2,
		"/v1/vacancies?band=6":                                  3,
		"/v1/vacancies?near=51.50,-0.12&within_km=10":           2,
		"/v1/vacancies?near=51.50,-0.12&within_km=100&band=6":   1,
		"/v1/vacancies?closing_after=2027-01-31&limit=1":        5,
		"/v1/vacancies?closing_after=2027-02-01":                0,
		"/v1/vacancies?specialism=equipment_management&limit=3": 5,
	}
	for path, want := range tests {
		if got := count(path, ""); got != want {
			t.Errorf("%s: %d vacancies, want %d", path, got, want)
		}
	}
	if got := count("/v1/trust/vacancies?limit=4", key); got != 6 {
		t.Errorf("own list %d, want all 6", got)
	}
	if got := count("/v1/trust/vacancies?status=closed", key); got != 1 {
		t.Errorf("own closed %d, want 1", got)
	}
	if got := count("/v1/trust/vacancies", f.trust("RW3")); got != 0 {
		t.Errorf("another trust sees %d", got)
	}
	for _, bad := range []string{"?band=11", "?near=48,2", "?near=51,0&within_km=0", "?limit=0", "?cursor=!!", "?closing_after=tomorrow"} {
		f.do("GET", "/v1/vacancies"+bad, "", nil, nil).want(t, 422)
	}
}

func TestJobPosting(t *testing.T) {
	t.Parallel()
	f := start(t)
	var v jobs.VacancyView
	f.do("POST", "/v1/vacancies", f.trust("RJ1"), vacancy(t, "LD-1"), nil).want(t, 201).json(t, &v)
	for _, a := range []answer{
		f.do("GET", "/v1/vacancies/"+v.ID, "", nil, map[string]string{"Accept": "application/ld+json"}),
		f.do("GET", "/v1/vacancies/"+v.ID+"/jobposting", "", nil, nil),
	} {
		a.want(t, 200)
		var ld map[string]any
		a.json(t, &ld)
		if a.Header.Get("Content-Type") != "application/ld+json" || ld["@type"] != "JobPosting" || ld["validThrough"] != "2027-02-01T00:00:00Z" {
			t.Fatalf("JSON-LD %s %v", a.Header.Get("Content-Type"), ld)
		}
		salary := ld["baseSalary"].(map[string]any)["value"].(map[string]any)
		if salary["minValue"] != float64(31049) || salary["unitText"] != "YEAR" {
			t.Fatalf("salary %v", salary)
		}
	}
}

func TestVacanciesCloseThemselves(t *testing.T) {
	t.Parallel()
	f := start(t)
	var v jobs.VacancyView
	f.do("POST", "/v1/vacancies", f.trust("RJ1"), vacancy(t, "SC-1"), nil).want(t, 201).json(t, &v)
	ctx := context.Background()
	f.eventually(func() bool { return f.do("GET", "/v1/vacancies?limit=1", "", nil, nil).Status == 200 }, "list")
	if n := f.svc.CloseDue(ctx); n != 0 {
		t.Fatalf("closed %d before the date", n)
	}
	// Midnight in London ends 31 January: the vacancy is closed a second later.
	f.clock.Set(time.Date(2027, 2, 1, 0, 0, 1, 0, time.UTC))
	f.eventually(func() bool { return f.svc.CloseDue(ctx) == 1 }, "the scheduled close")
	var got jobs.VacancyView
	f.do("GET", "/v1/vacancies/"+v.ID, "", nil, nil).want(t, 200).json(t, &got)
	if got.Status != "closed" || !got.ClosesAt.Equal(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("after the closing date: %+v", got)
	}
	f.eventually(func() bool { return f.svc.CloseDue(ctx) == 0 }, "nothing left to close")
}

func TestCandidates(t *testing.T) {
	t.Parallel()
	f := start(t)
	id, token := f.signUp(example(t, "candidate.json"))
	otherID, otherToken := f.signUp(example(t, "candidate.json"))

	got := f.do("GET", "/v1/candidates/"+id, token, nil, nil).want(t, 200)
	f.do("GET", "/v1/candidates/"+id, otherToken, nil, nil).want(t, 404)
	f.do("GET", "/v1/candidates/"+otherID, token, nil, nil).want(t, 404)
	f.do("GET", "/v1/candidates/"+id, "", nil, nil).want(t, 401)
	f.do("GET", "/v1/candidates/"+id, "cjc."+id+".forgedforgedforgedforgedforgedforged", nil, nil).want(t, 401)
	f.do("GET", "/v1/candidates/"+id, f.trust("RJ1"), nil, nil).want(t, 401)

	p := example(t, "candidate.json")
	p["travel_radius_km"] = 60
	f.do("PUT", "/v1/candidates/"+id, token, p, nil).want(t, 428)
	updated := f.do("PUT", "/v1/candidates/"+id, token, p, map[string]string{"If-Match": got.Header.Get("ETag")}).want(t, 200)
	var view jobs.CandidateView
	updated.json(t, &view)
	if view.TravelRadiusKm != 60 {
		t.Fatalf("radius %d", view.TravelRadiusKm)
	}
	f.do("PUT", "/v1/candidates/"+id, token, p, map[string]string{"If-Match": got.Header.Get("ETag")}).want(t, 412)

	var fresh ingest.NewToken
	f.do("POST", "/v1/candidates/"+id+"/token", token, nil, nil).want(t, 200).json(t, &fresh)
	f.do("GET", "/v1/candidates/"+id, token, nil, nil).want(t, 401)
	f.do("GET", "/v1/candidates/"+id, fresh.Token, nil, nil).want(t, 200)

	// Nobody answers for matching and notification here: the export says
	// what it lacks rather than pretending it has everything.
	var exp ingest.Export
	f.do("GET", "/v1/candidates/"+id+"/export", fresh.Token, nil, nil).want(t, 200).json(t, &exp)
	if exp.Candidate.ID != id || len(exp.Missing) != 2 {
		t.Fatalf("export %+v", exp)
	}

	f.do("DELETE", "/v1/candidates/"+id, fresh.Token, nil, nil).want(t, 204)
	f.do("GET", "/v1/candidates/"+id, fresh.Token, nil, nil).want(t, 401)
	f.do("GET", "/v1/candidates/"+otherID, otherToken, nil, nil).want(t, 200)
}

func TestUnknownPostcodeIsNamed(t *testing.T) {
	t.Parallel()
	f := start(t)
	p := example(t, "candidate.json")
	p["home"] = map[string]any{"postcode": "QQ1 1AA"}
	var d problem.Details
	f.do("POST", "/v1/candidates", "", p, nil).want(t, 422).json(t, &d)
	if len(d.Errors) != 1 || d.Errors[0].Field != "/home/postcode" {
		t.Fatalf("problem %+v", d)
	}
}

// TestStats asks for a vacancy's counts, answered by stand-ins for matching
// (two partition owners) and notification on the real NATS server: the real
// ones live in their services, and the end-to-end tests use those.
func TestStats(t *testing.T) {
	t.Parallel()
	f := start(t)
	key := f.trust("RJ1")
	var v jobs.VacancyView
	f.do("POST", "/v1/vacancies", key, vacancy(t, "ST-1"), nil).want(t, 201).json(t, &v)

	var stats ingest.VacancyStats
	f.do("GET", "/v1/vacancies/"+v.ID+"/stats", key, nil, nil).want(t, 200).json(t, &stats)
	if stats.Complete || stats.Missing == "" {
		t.Fatalf("with no one answering: %+v", stats)
	}
	for _, part := range []struct {
		set string
		n   int
	}{{"0-7", 3}, {"8-15", 4}} {
		svc, err := micro.AddService(f.nc, micro.Config{Name: "matching", Version: "0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = svc.Stop() })
		err = svc.AddEndpoint("counts", micro.HandlerFunc(func(r micro.Request) {
			_ = r.RespondJSON(map[string]any{"partitions": part.set, "counts": map[string]int{v.ID: part.n}})
		}), micro.WithEndpointSubject("clinjobs.matching.counts"), micro.WithEndpointQueueGroup(part.set))
		if err != nil {
			t.Fatal(err)
		}
	}
	svc, err := micro.AddService(f.nc, micro.Config{Name: "notification", Version: "0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	_ = svc.AddEndpoint("alerted", micro.HandlerFunc(func(r micro.Request) {
		_ = r.RespondJSON(map[string]any{"counts": map[string]int{v.ID: 5}})
	}), micro.WithEndpointSubject("clinjobs.notification.alerted"))
	f.do("GET", "/v1/vacancies/"+v.ID+"/stats", key, nil, nil).want(t, 200).json(t, &stats)
	if !stats.Complete || stats.Matched != 7 || stats.Alerted != 5 {
		t.Fatalf("stats %+v", stats)
	}
	f.do("GET", "/v1/vacancies/"+v.ID+"/stats", f.trust("RW3"), nil, nil).want(t, 404)
}

func TestControlEndpoints(t *testing.T) {
	t.Parallel()
	f := start(t)
	ask := func(subject string, req any, resp any) error {
		data, _ := json.Marshal(req)
		m, err := f.nc.Request(subject, data, 5*time.Second)
		if err != nil {
			return err
		}
		if e := m.Header.Get(micro.ErrorHeader); e != "" {
			return fmt.Errorf("%s %s", m.Header.Get(micro.ErrorCodeHeader), e)
		}
		return json.Unmarshal(m.Data, resp)
	}
	var created ingest.TrustCreated
	if err := ask("clinjobs.ingest.trusts.create", map[string]string{"code": "RGT", "name": "Cambridge"}, &created); err != nil {
		t.Fatal(err)
	}
	if err := ask("clinjobs.ingest.trusts.create", map[string]string{"code": "RGT", "name": "Cambridge"}, &created); err == nil || !strings.HasPrefix(err.Error(), "409") {
		t.Fatalf("second create: %v", err)
	}
	var v jobs.VacancyView
	f.do("POST", "/v1/vacancies", created.APIKey.Key, vacancy(t, "MOD-1"), nil).want(t, 201).json(t, &v)
	var withdrawn struct {
		Vacancy jobs.VacancyView `json:"vacancy"`
	}
	if err := ask("clinjobs.ingest.vacancies.withdraw", map[string]string{"vacancy_id": v.ID, "reason": "Duplicate advert"}, &withdrawn); err != nil {
		t.Fatal(err)
	}
	if withdrawn.Vacancy.Status != "withdrawn" {
		t.Fatalf("withdrawn %+v", withdrawn)
	}
	var list ingest.TrustList
	if err := ask("clinjobs.ingest.trusts.list", struct{}{}, &list); err != nil || len(list.Trusts) != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
	if err := ask("clinjobs.ingest.trusts.keys.revoke", map[string]string{"code": "RGT", "key_id": "nope"}, &struct{}{}); err == nil || !strings.HasPrefix(err.Error(), "404") {
		t.Fatalf("revoke unknown key: %v", err)
	}
}

// TestOneWrite checks that a post is one message on the vacancies stream,
// which is both the record and its announcement.
func TestOneWrite(t *testing.T) {
	t.Parallel()
	f := start(t)
	js, err := jetstream.New(f.nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(context.Background(), bus.KVStream(bus.BucketVacancies))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := stream.Info(context.Background())
	f.do("POST", "/v1/vacancies", f.trust("RJ1"), vacancy(t, "OW-1"), map[string]string{"Idempotency-Key": "k"}).want(t, 201)
	after, _ := stream.Info(context.Background())
	if n := after.State.Msgs - before.State.Msgs; n != 1 {
		t.Fatalf("%d messages for one post", n)
	}
}
