package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/services/ingest"
)

// The tests of this file send what a hostile or broken client sends, and
// hold every answer to three things: a 4xx, never a 5xx; an RFC 9457
// problem document saying the same status; and no write, to any bucket or
// stream, for a refused request.

// streamWrites sums the last sequence of every stream. Any write, to any
// bucket or stream, moves it; a purge or a deletion does too.
func (f *fixture) streamWrites() uint64 {
	f.t.Helper()
	ctx := context.Background()
	js, err := jetstream.New(f.nc)
	if err != nil {
		f.t.Fatal(err)
	}
	var n uint64
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		s, err := js.Stream(ctx, name)
		if err != nil {
			f.t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			f.t.Fatal(err)
		}
		n += info.State.LastSeq
	}
	if err := names.Err(); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// refused checks that a is a problem document of status and returns it.
func refused(t *testing.T, a answer, status int) problem.Details {
	t.Helper()
	var d problem.Details
	if ct := a.Header.Get("Content-Type"); ct != problem.ContentType {
		t.Errorf("status %d with Content-Type %q, want %s: %.200s", a.Status, ct, problem.ContentType, a.Body)
		return d
	}
	if err := json.Unmarshal(a.Body, &d); err != nil {
		t.Errorf("status %d, problem document %.200s: %v", a.Status, a.Body, err)
		return d
	}
	if a.Status != status || d.Status != a.Status || !strings.HasPrefix(d.Type, "urn:clinjobs:problem:") {
		t.Errorf("status %d, document %+v; want %d", a.Status, d, status)
	}
	return d
}

// raw is JSON written as it is: numbers no Go value marshals to (1e400).
type raw = json.RawMessage

// withField returns a copy of doc with the value at path (dotted) set.
func withField(t *testing.T, doc map[string]any, path string, v any) map[string]any {
	t.Helper()
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	m := out
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
	return out
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// hostile is one request a hostile client sends, and the status it must get.
type hostile struct {
	name string
	// body is a value to encode, or a string, bytes or reader to send as they are.
	body any
	// contentType replaces application/json; "" sends none.
	contentType *string
	status      int
}

func contentType(s string) *string { return &s }

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
	valid := encode(t, e.valid)
	withText := func(v any) []byte { return encode(t, withField(t, e.valid, e.text, v)) }
	mark := withText("\x00MARK\x00")
	items := make([]string, 60_000)
	for i := range items {
		items[i] = e.listItem
	}
	numbers := make([]int, 200_000)
	oversized := withText(strings.Repeat("x", 1<<20))
	out := []hostile{
		{name: "broken JSON", body: `{"` + e.text + `":`, status: 400},
		{name: "not JSON", body: "<vacancy><title>x</title></vacancy>", status: 400},
		{name: "empty", body: "", status: 400},
		{name: "only whitespace", body: " \n\t ", status: 400},
		{name: "null", body: "null", status: 422},
		{name: "an array for an object", body: "[" + string(valid) + "]", status: 422},
		{name: "two documents", body: string(valid) + string(valid), status: 400},
		{name: "trailing garbage", body: string(valid) + "x", status: 400},
		{name: "byte order mark", body: "\ufeff" + string(valid), status: 400},
		{name: "invalid UTF-8", body: bytes.Replace(mark, []byte(`\u0000MARK\u0000`), []byte("\xff\xfe"), 1), status: 400},
		{name: "overlong UTF-8", body: bytes.Replace(mark, []byte(`\u0000MARK\u0000`), []byte("\xc0\xaf"), 1), status: 400},
		{name: "UTF-16", body: utf16(valid), status: 400},
		{name: "deep nesting in a field", body: withText(raw(strings.Repeat("[", 64) + strings.Repeat("]", 64))), status: 400},
		{name: "deep nesting, a hundred thousand levels", body: strings.Repeat(`{"a":`, 100_000) + "1" + strings.Repeat("}", 100_000), status: 400},
		{name: "huge array", body: encode(t, withField(t, e.valid, e.list, items)), status: 422},
		{name: "huge array of the wrong type", body: withText(numbers), status: 422},
		{name: "unknown field", body: encode(t, withField(t, e.valid, "colour", "blue")), status: 422},
		{name: "oversized", body: oversized, status: 413},
		{name: "oversized, sent without a length", body: bytes.NewBuffer(oversized), status: 413},
		{name: "no content type", body: valid, contentType: contentType(""), status: 415},
		{name: "text/plain", body: valid, contentType: contentType("text/plain"), status: 415},
		{name: "form", body: "title=x", contentType: contentType("application/x-www-form-urlencoded"), status: 415},
		{name: "multipart", body: "--b\r\n\r\n" + string(valid) + "\r\n--b--", contentType: contentType("multipart/form-data; boundary=b"), status: 415},
		{name: "XML", body: valid, contentType: contentType("application/xml"), status: 415},
		{name: "NDJSON", body: valid, contentType: contentType("application/x-ndjson"), status: 415},
	}
	return append(out, e.fields...)
}

// utf16 returns s in UTF-16 (little-endian, with its byte order mark), as
// a Windows client might send it.
func utf16(s []byte) []byte {
	out := []byte{0xff, 0xfe}
	for _, c := range string(s) {
		out = append(out, byte(c), byte(c>>8))
	}
	return out
}

// vacancyFields are the numbers and dates of a vacancy that a hostile
// client sets out of range.
func vacancyFields(t *testing.T, v map[string]any) []hostile {
	set := func(path string, x any) map[string]any { return withField(t, v, path, x) }
	return []hostile{
		{name: "salary past int32", body: set("salary.min", raw("4294967296")), status: 422},
		{name: "salary past int64", body: set("salary.max", raw("99999999999999999999999")), status: 422},
		{name: "salary negative", body: set("salary.min", -31049), status: 422},
		{name: "salary a fraction", body: set("salary.max", 37796.5), status: 422},
		{name: "salary past float64", body: set("salary.max", raw("1e400")), status: 422},
		{name: "salary a string", body: set("salary.min", "31049"), status: 422},
		{name: "latitude past float64", body: set("site.latitude", raw("1e400")), status: 422},
		{name: "latitude off the globe", body: set("site.latitude", 91), status: 422},
		{name: "experience past int32", body: set("requirements.min_years_experience", raw("2147483648")), status: 422},
		{name: "experience negative", body: set("requirements.min_years_experience", -1), status: 422},
		{name: "A levels past int32", body: set("requirements.a_levels", map[string]any{"min_count": raw("-2147483649")}), status: 422},
		{name: "closing in year 1", body: set("closing_date", "0001-01-01"), status: 422},
		{name: "closing in 1970", body: set("closing_date", "1970-01-01"), status: 422},
		{name: "closing in 9999", body: set("closing_date", "9999-12-31"), status: 422},
		{name: "closing in year 10000", body: set("closing_date", "10000-01-01"), status: 422},
		{name: "closing on 30 February", body: set("closing_date", "2027-02-30"), status: 422},
		{name: "closing date a number", body: set("closing_date", 20270131), status: 422},
		{name: "closing date with a time", body: set("closing_date", "2027-01-31T00:00:00Z"), status: 422},
		{name: "start in year 1", body: set("start_date", "0001-01-01"), status: 422},
		{name: "start in 9999", body: set("start_date", "9999-12-31"), status: 422},
	}
}

// candidateFields are a profile's numbers and dates out of range.
func candidateFields(t *testing.T, p map[string]any) []hostile {
	set := func(path string, x any) map[string]any { return withField(t, p, path, x) }
	return []hostile{
		{name: "radius past int32", body: set("travel_radius_km", raw("2147483648")), status: 422},
		{name: "radius negative", body: set("travel_radius_km", -30), status: 422},
		{name: "radius past float64", body: set("travel_radius_km", raw("1e400")), status: 422},
		{name: "radius huge but whole", body: set("travel_radius_km", 2147483647), status: 422},
		{name: "latitude past float64", body: set("home.latitude", raw("1e400")), status: 422},
		{name: "longitude off the globe", body: set("home.longitude", -181), status: 422},
		{name: "experience past int32", body: set("qualifications.years_experience", raw("4294967296")), status: 422},
		{name: "experience a century", body: set("qualifications.years_experience", 100), status: 422},
		{name: "available in 9999", body: set("available_from", "9999-12-31"), status: 422},
		{name: "available since year 1", body: set("available_from", "0001-01-01"), status: 422},
		{name: "available since 1900", body: set("available_from", "1900-01-01"), status: 422},
		{name: "available in month 13", body: set("available_from", "2027-13-01"), status: 422},
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
			fields: []hostile{{name: "reason a number past float64", body: map[string]any{"reason": raw("1e400")}, status: 422}}, wantWrite: 200},
		{name: "sign up", method: "POST", path: "/v1/candidates", valid: example(t, "candidate.json"),
			text: "name", list: "role_families", listItem: "apprentice", fields: candidateFields(t, example(t, "candidate.json")), wantWrite: 201},
		{name: "replace a profile", method: "PUT", path: "/v1/candidates/" + cid, bearer: token,
			header: map[string]string{"If-Match": profile.Header.Get("ETag")}, valid: example(t, "candidate.json"),
			text: "name", list: "role_families", listItem: "apprentice", fields: candidateFields(t, example(t, "candidate.json")), wantWrite: 200},
		{name: "onboard a trust", method: "POST", path: "/v1/trusts", bearer: opKey,
			valid: map[string]any{"code": "RX9", "name": "Trust RX9"}, text: "name", list: "code", listItem: "RX9",
			fields: []hostile{{name: "code a number", body: map[string]any{"code": 123, "name": "Trust 123"}, status: 422}}, wantWrite: 201},
		{name: "issue a key", method: "POST", path: "/v1/trusts/RJ1/keys", bearer: opKey,
			valid: map[string]any{"label": "payroll system"}, text: "label", list: "label", listItem: "x",
			fields: []hostile{{name: "label a number past float64", body: map[string]any{"label": raw("1e400")}, status: 422}}, wantWrite: 201},
	}
	for _, e := range endpoints {
		for _, h := range hostileBodies(t, e) {
			t.Run(e.name+"/"+h.name, func(t *testing.T) {
				header := map[string]string{}
				for k, v := range e.header {
					header[k] = v
				}
				if h.contentType != nil {
					header["Content-Type"] = *h.contentType
				}
				before := f.streamWrites()
				refused(t, f.do(e.method, e.path, e.bearer, h.body, header), h.status)
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
		{name: "broken array", body: "[" + good + ",", status: 400},
		{name: "not JSON", body: "<vacancies/>", status: 400},
		{name: "empty", body: "", status: 400},
		{name: "empty array", body: "[]", status: 422},
		{name: "only blank lines", body: "\n\n  \n", contentType: ndjson, status: 422},
		{name: "an object, not an array", body: good, status: 422},
		{name: "invalid UTF-8", body: "[" + good + `,"` + "\xff" + `"]`, status: 400},
		{name: "deep nesting", body: strings.Repeat("[", 1000) + strings.Repeat("]", 1000), status: 400},
		{name: "more vacancies than allowed", body: "[" + items + "]", status: 413},
		{name: "more lines than allowed", body: strings.ReplaceAll(items, "},{", "}\n{"), contentType: ndjson, status: 413},
		{name: "a hundred thousand empty objects", body: "[" + strings.Repeat("{},", 99_999) + "{}]", status: 413},
		{name: "oversized", body: bytes.NewBufferString("[" + good + "," + strings.Repeat(" ", 16<<20) + "]"), status: 413},
		{name: "CSV", body: "reference,title\nB-1,x\n", contentType: contentType("text/csv"), status: 415},
		{name: "no content type", body: "[" + good + "]", contentType: contentType(""), status: 415},
	} {
		t.Run(h.name, func(t *testing.T) {
			header := map[string]string{}
			if h.contentType != nil {
				header["Content-Type"] = *h.contentType
			}
			before := f.streamWrites()
			refused(t, f.do("POST", "/v1/vacancies/bulk", key, h.body, header), h.status)
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
