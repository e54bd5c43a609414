package ingest_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/httpserver/httpservertest"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/natstest"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/services/ingest"
)

// The tests of this file send what a hostile or broken client sends, and
// hold every answer to three things: a 4xx, never a 5xx; an RFC 9457
// problem document saying the same status; and no write, to any bucket or
// stream, for a refused request.

// streamWrites counts every write to every stream (natstest.Writes).
func (f *fixture) streamWrites() uint64 { return natstest.Writes(f.t, f.nc) }

// refused checks that a is a problem document of status.
func refused(t *testing.T, a answer, status int) problem.Details {
	t.Helper()
	return httpservertest.Refused(t, a.Status, a.Header, a.Body, status)
}

type (
	hostile = httpservertest.Case
	raw     = httpservertest.Raw
)

var (
	withField   = httpservertest.WithField
	encode      = httpservertest.Encode
	contentType = httpservertest.ContentType
)

// writeEndpoint is a route that takes a body, with a body it accepts.
type writeEndpoint struct {
	name, method, path, bearer string
	header                     map[string]string
	valid                      map[string]any
	// text is a string field; list a field that takes an array of
	// strings, each item of which may be listItem.
	text, list, listItem string
	// fields are the endpoint's own hostile values: numbers out of range,
	// dates far off.
	fields []hostile
	// wantWrite is the status of the valid body, which must write.
	wantWrite int
}

// hostileBodies are the bodies every write endpoint must refuse.
func hostileBodies(t *testing.T, e writeEndpoint) []hostile {
	return append(httpservertest.Bodies(t, httpservertest.Endpoint{
		Valid: e.valid, Text: e.text, List: e.list, ListItem: e.listItem, Limit: 1 << 20,
	}), e.fields...)
}

// vacancyFields are the numbers and dates of a vacancy that a hostile
// client sets out of range.
func vacancyFields(t *testing.T, v map[string]any) []hostile {
	set := func(path string, x any) map[string]any { return withField(t, v, path, x) }
	return []hostile{
		{Name: "salary past int32", Body: set("salary.min", raw("4294967296")), Status: 422},
		{Name: "salary past int64", Body: set("salary.max", raw("99999999999999999999999")), Status: 422},
		{Name: "salary negative", Body: set("salary.min", -31049), Status: 422},
		{Name: "salary a fraction", Body: set("salary.max", 37796.5), Status: 422},
		{Name: "salary past float64", Body: set("salary.max", raw("1e400")), Status: 422},
		{Name: "salary a string", Body: set("salary.min", "31049"), Status: 422},
		{Name: "latitude past float64", Body: set("site.latitude", raw("1e400")), Status: 422},
		{Name: "latitude off the globe", Body: set("site.latitude", 91), Status: 422},
		{Name: "experience past int32", Body: set("requirements.min_years_experience", raw("2147483648")), Status: 422},
		{Name: "experience negative", Body: set("requirements.min_years_experience", -1), Status: 422},
		{Name: "A levels past int32", Body: set("requirements.a_levels", map[string]any{"min_count": raw("-2147483649")}), Status: 422},
		{Name: "closing in year 1", Body: set("closing_date", "0001-01-01"), Status: 422},
		{Name: "closing in 1970", Body: set("closing_date", "1970-01-01"), Status: 422},
		{Name: "closing in 9999", Body: set("closing_date", "9999-12-31"), Status: 422},
		{Name: "closing in year 10000", Body: set("closing_date", "10000-01-01"), Status: 422},
		{Name: "closing on 30 February", Body: set("closing_date", "2027-02-30"), Status: 422},
		{Name: "closing date a number", Body: set("closing_date", 20270131), Status: 422},
		{Name: "closing date with a time", Body: set("closing_date", "2027-01-31T00:00:00Z"), Status: 422},
		{Name: "start in year 1", Body: set("start_date", "0001-01-01"), Status: 422},
		{Name: "start in 9999", Body: set("start_date", "9999-12-31"), Status: 422},
	}
}

// candidateFields are a profile's numbers and dates out of range.
func candidateFields(t *testing.T, p map[string]any) []hostile {
	set := func(path string, x any) map[string]any { return withField(t, p, path, x) }
	return []hostile{
		{Name: "radius past int32", Body: set("travel_radius_km", raw("2147483648")), Status: 422},
		{Name: "radius negative", Body: set("travel_radius_km", -30), Status: 422},
		{Name: "radius past float64", Body: set("travel_radius_km", raw("1e400")), Status: 422},
		{Name: "radius huge but whole", Body: set("travel_radius_km", 2147483647), Status: 422},
		{Name: "latitude past float64", Body: set("home.latitude", raw("1e400")), Status: 422},
		{Name: "longitude off the globe", Body: set("home.longitude", -181), Status: 422},
		{Name: "experience past int32", Body: set("qualifications.years_experience", raw("4294967296")), Status: 422},
		{Name: "experience a century", Body: set("qualifications.years_experience", 100), Status: 422},
		{Name: "available in 9999", Body: set("available_from", "9999-12-31"), Status: 422},
		{Name: "available since year 1", Body: set("available_from", "0001-01-01"), Status: 422},
		{Name: "available since 1900", Body: set("available_from", "1900-01-01"), Status: 422},
		{Name: "available in month 13", Body: set("available_from", "2027-13-01"), Status: 422},
	}
}

// TestHostileBodiesAreRefusedWithoutAWrite sends every write endpoint
// broken, oversized, deeply nested, huge, mis-encoded and mis-typed bodies,
// numbers out of range and dates far off: each gets its 4xx problem
// document and writes nothing. The valid body, sent last, writes: the
// check of writes can see one.
func TestHostileBodiesAreRefusedWithoutAWrite(t *testing.T) {
	t.Parallel()
	f := start(t)
	key := f.trust("RJ1")
	var v jobs.VacancyView
	posted := f.do("POST", "/v1/vacancies", key, vacancy(t, "H-1"), nil).want(t, 201)
	posted.json(t, &v)
	cid, token := f.signUp(example(t, "candidate.json"))
	profile := f.do("GET", "/v1/candidates/"+cid, token, nil, nil).want(t, 200)

	endpoints := []writeEndpoint{
		{name: "post a vacancy", method: "POST", path: "/v1/vacancies", bearer: key, valid: vacancy(t, "H-2"),
			text: "title", list: "specialisms", listItem: "renal", fields: vacancyFields(t, vacancy(t, "H-2")), wantWrite: 201},
		{name: "replace a vacancy", method: "PUT", path: "/v1/vacancies/" + v.ID, bearer: key,
			header: map[string]string{"If-Match": posted.Header.Get("ETag")}, valid: vacancy(t, "H-1"),
			text: "title", list: "specialisms", listItem: "renal", fields: vacancyFields(t, vacancy(t, "H-1")), wantWrite: 200},
		{name: "withdraw a vacancy", method: "POST", path: "/v1/vacancies/" + v.ID + "/withdraw", bearer: key,
			valid: map[string]any{"reason": "Post filled internally"}, text: "reason", list: "reason", listItem: "x",
			fields: []hostile{{Name: "reason a number past float64", Body: map[string]any{"reason": raw("1e400")}, Status: 422}}, wantWrite: 200},
		{name: "sign up", method: "POST", path: "/v1/candidates", valid: example(t, "candidate.json"),
			text: "name", list: "role_families", listItem: "apprentice", fields: candidateFields(t, example(t, "candidate.json")), wantWrite: 201},
		{name: "replace a profile", method: "PUT", path: "/v1/candidates/" + cid, bearer: token,
			header: map[string]string{"If-Match": profile.Header.Get("ETag")}, valid: example(t, "candidate.json"),
			text: "name", list: "role_families", listItem: "apprentice", fields: candidateFields(t, example(t, "candidate.json")), wantWrite: 200},
		{name: "onboard a trust", method: "POST", path: "/v1/trusts", bearer: opKey,
			valid: map[string]any{"code": "RX9", "name": "Trust RX9"}, text: "name", list: "code", listItem: "RX9",
			fields: []hostile{{Name: "code a number", Body: map[string]any{"code": 123, "name": "Trust 123"}, Status: 422}}, wantWrite: 201},
		{name: "issue a key", method: "POST", path: "/v1/trusts/RJ1/keys", bearer: opKey,
			valid: map[string]any{"label": "payroll system"}, text: "label", list: "label", listItem: "x",
			fields: []hostile{{Name: "label a number past float64", Body: map[string]any{"label": raw("1e400")}, Status: 422}}, wantWrite: 201},
	}
	for _, e := range endpoints {
		for _, h := range hostileBodies(t, e) {
			t.Run(e.name+"/"+h.Name, func(t *testing.T) {
				header := map[string]string{}
				for k, v := range e.header {
					header[k] = v
				}
				if h.ContentType != nil {
					header["Content-Type"] = *h.ContentType
				}
				before := f.streamWrites()
				refused(t, f.do(e.method, e.path, e.bearer, h.Body, header), h.Status)
				if after := f.streamWrites(); after != before {
					t.Errorf("the refused request wrote %d messages", after-before)
				}
			})
		}
		t.Run(e.name+"/valid", func(t *testing.T) {
			before := f.streamWrites()
			f.do(e.method, e.path, e.bearer, e.valid, e.header).want(t, e.wantWrite)
			if f.streamWrites() == before {
				t.Error("the valid request wrote nothing: the check of writes sees nothing")
			}
		})
	}
}

// TestHostileBulkPosts: a bulk body that cannot be read as a whole is
// refused with nothing stored; within a readable body, each hostile
// vacancy is refused on its own line and only the good one is stored.
func TestHostileBulkPosts(t *testing.T) {
	t.Parallel()
	f := start(t, func(c *ingest.Config, _ *ingest.Deps) { c.MaxBulkItems = 50 })
	key := f.trust("RJ1")
	good := string(encode(t, vacancy(t, "B-1")))
	ndjson := contentType("application/x-ndjson")
	items := strings.Repeat(good+",", 50) + good
	for _, h := range []hostile{
		{Name: "broken array", Body: "[" + good + ",", Status: 400},
		{Name: "not JSON", Body: "<vacancies/>", Status: 400},
		{Name: "empty", Body: "", Status: 400},
		{Name: "empty array", Body: "[]", Status: 422},
		{Name: "only blank lines", Body: "\n\n  \n", ContentType: ndjson, Status: 422},
		{Name: "an object, not an array", Body: good, Status: 422},
		{Name: "invalid UTF-8", Body: "[" + good + `,"` + "\xff" + `"]`, Status: 400},
		{Name: "deep nesting", Body: strings.Repeat("[", 1000) + strings.Repeat("]", 1000), Status: 400},
		{Name: "more vacancies than allowed", Body: "[" + items + "]", Status: 413},
		{Name: "more lines than allowed", Body: strings.ReplaceAll(items, "},{", "}\n{"), ContentType: ndjson, Status: 413},
		{Name: "a hundred thousand empty objects", Body: "[" + strings.Repeat("{},", 99_999) + "{}]", Status: 413},
		{Name: "oversized", Body: bytes.NewBufferString("[" + good + "," + strings.Repeat(" ", 16<<20) + "]"), Status: 413},
		{Name: "CSV", Body: "reference,title\nB-1,x\n", ContentType: contentType("text/csv"), Status: 415},
		{Name: "no content type", Body: "[" + good + "]", ContentType: contentType(""), Status: 415},
	} {
		t.Run(h.Name, func(t *testing.T) {
			header := map[string]string{}
			if h.ContentType != nil {
				header["Content-Type"] = *h.ContentType
			}
			before := f.streamWrites()
			refused(t, f.do("POST", "/v1/vacancies/bulk", key, h.Body, header), h.Status)
			if after := f.streamWrites(); after != before {
				t.Errorf("the refused bulk post wrote %d messages", after-before)
			}
		})
	}

	lines := []struct {
		doc    string
		status int
	}{
		{"{\"reference\":\"\xff\"}", 400},
		{strings.Repeat("[", 100) + strings.Repeat("]", 100), 400},
		{`{"reference":`, 400},
		{string(encode(t, withField(t, vacancy(t, "B-2"), "salary.min", raw("4294967296")))), 422},
		{string(encode(t, withField(t, vacancy(t, "B-3"), "closing_date", "9999-12-31"))), 422},
		{string(encode(t, withField(t, vacancy(t, "B-4"), "closing_date", "0001-01-01"))), 422},
		{string(encode(t, withField(t, vacancy(t, "B-5"), "site.latitude", raw("1e400")))), 422},
		{good, 201},
	}
	var body strings.Builder
	for _, l := range lines {
		body.WriteString(l.doc + "\n")
	}
	before := f.streamWrites()
	var out ingest.BulkAnswer
	f.do("POST", "/v1/vacancies/bulk", key, body.String(), map[string]string{"Content-Type": *ndjson}).want(t, 200).json(t, &out)
	if out.Accepted != 1 || out.Rejected != len(lines)-1 || len(out.Results) != len(lines) {
		t.Fatalf("answer %+v", out)
	}
	for i, l := range lines {
		if r := out.Results[i]; r.Line != i+1 || r.Status != l.status || (l.status != 201 && (r.Problem == nil || r.Problem.Status != l.status)) {
			t.Errorf("line %d: %+v, want %d", i+1, r, l.status)
		}
	}
	if n := f.streamWrites() - before; n != 1 {
		t.Errorf("%d messages written for one good vacancy", n)
	}
	var own ingest.VacancyList
	f.do("GET", "/v1/trust/vacancies", key, nil, nil).want(t, 200).json(t, &own)
	if len(own.Vacancies) != 1 || own.Vacancies[0].Reference != "B-1" {
		t.Fatalf("stored %+v, want only B-1", own.Vacancies)
	}
}

// TestHostileQueries: list parameters out of range are refused, never
// served as something else.
func TestHostileQueries(t *testing.T) {
	t.Parallel()
	f := start(t)
	key := f.trust("RJ1")
	for _, q := range []string{
		"limit=0", "limit=-1", "limit=101", "limit=1e2", "limit=99999999999999999999", "limit=abc",
		"cursor=!!", "cursor=" + strings.Repeat("A", 400), "cursor=%00",
		"band=0", "band=ten", "role_family=surgeon", "specialism=%00",
		"closing_after=0000-00-00", "closing_after=99999-01-01", "closing_before=2027-02-30", "closing_after=2027-01-31T00:00:00Z",
		"near=91,0", "near=NaN,NaN", "near=Inf,-Inf", "near=51.5", "near=1e400,1e400", "near=51.5,-0.12,3",
		"near=51.5,-0.12&within_km=0", "near=51.5,-0.12&within_km=-5", "near=51.5,-0.12&within_km=1001",
		"near=51.5,-0.12&within_km=NaN", "near=51.5,-0.12&within_km=Inf", "near=51.5,-0.12&within_km=1e400",
	} {
		t.Run(q, func(t *testing.T) {
			refused(t, f.do("GET", "/v1/vacancies?"+q, "", nil, nil), 422)
		})
	}
	for _, q := range []string{"status=gone", "limit=1000", "cursor=!!"} {
		t.Run("own/"+q, func(t *testing.T) {
			refused(t, f.do("GET", "/v1/trust/vacancies?"+q, key, nil, nil), 422)
		})
	}
	// Dates far off are fine as filters: they select nothing or everything.
	for _, q := range []string{"closing_after=0001-01-01", "closing_before=9999-12-31"} {
		f.do("GET", "/v1/vacancies?"+q, "", nil, nil).want(t, 200)
	}
}
