// Package httpservertest holds what the services' tests send an API built
// on httpserver as a hostile or broken client would, and the check of what
// comes back: a 4xx, never a 5xx, as an RFC 9457 problem document.
// Production code never imports it.
package httpservertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/problem"
)

// Case is one body a hostile or broken client sends, and the status it
// must get.
type Case struct {
	Name string
	// Body is a value to encode as JSON, or a string or bytes to send as
	// they are, or an io.Reader to send without a length (chunked).
	Body any
	// ContentType, when set, replaces application/json; "" sends none.
	ContentType *string
	Status      int
}

// ContentType returns a Case's ContentType.
func ContentType(s string) *string { return &s }

// Raw is JSON written as it is: a number no Go value marshals to (1e400),
// a nesting no value builds.
type Raw = json.RawMessage

// Endpoint describes a route that takes a JSON object, for Bodies.
type Endpoint struct {
	// Valid is a body the route accepts.
	Valid map[string]any
	// Text is one of its string fields (dotted for a nested one).
	Text string
	// List is a field taking an array of strings, each of which may be
	// ListItem; a route without one names a string field, whose array is
	// then of the wrong type.
	List, ListItem string
	// Limit is the route's body limit in bytes.
	Limit int
}

// Bodies returns the bodies every route taking JSON must refuse: broken,
// empty, null, the wrong kind of document, two documents, a byte order mark,
// invalid and overlong UTF-8, UTF-16, nesting past strictjson's limit, a
// huge array (too many values, or of the wrong type), an unknown field, a
// body over the limit with and without a length, and every content type but
// JSON.
func Bodies(t testing.TB, e Endpoint) []Case {
	t.Helper()
	valid := Encode(t, e.Valid)
	withText := func(v any) []byte { return Encode(t, WithField(t, e.Valid, e.Text, v)) }
	const mark = "\x00MARK\x00"
	marked, encodedMark := withText(mark), []byte(`\u0000MARK\u0000`)
	items := make([]string, min(60_000, e.Limit/2/(len(e.ListItem)+3)))
	for i := range items {
		items[i] = e.ListItem
	}
	numbers := make([]int, e.Limit/5)
	oversized := withText(strings.Repeat("x", e.Limit))
	return []Case{
		{Name: "broken JSON", Body: `{"` + e.Text + `":`, Status: 400},
		{Name: "not JSON", Body: "<subscription><url>x</url></subscription>", Status: 400},
		{Name: "empty", Body: "", Status: 400},
		{Name: "only whitespace", Body: " \n\t ", Status: 400},
		{Name: "null", Body: "null", Status: 422},
		{Name: "an array for an object", Body: "[" + string(valid) + "]", Status: 422},
		{Name: "a string for an object", Body: `"` + e.Text + `"`, Status: 422},
		{Name: "two documents", Body: string(valid) + string(valid), Status: 400},
		{Name: "trailing garbage", Body: string(valid) + "x", Status: 400},
		{Name: "byte order mark", Body: "\ufeff" + string(valid), Status: 400},
		{Name: "invalid UTF-8", Body: bytes.Replace(marked, encodedMark, []byte("\xff\xfe"), 1), Status: 400},
		{Name: "overlong UTF-8", Body: bytes.Replace(marked, encodedMark, []byte("\xc0\xaf"), 1), Status: 400},
		{Name: "UTF-16", Body: utf16(valid), Status: 400},
		{Name: "deep nesting in a field", Body: withText(Raw(strings.Repeat("[", 64) + strings.Repeat("]", 64))), Status: 400},
		{Name: "deep nesting, a hundred thousand levels", Body: strings.Repeat(`{"a":`, 100_000) + "1" + strings.Repeat("}", 100_000), Status: 400},
		{Name: "huge array", Body: Encode(t, WithField(t, e.Valid, e.List, items)), Status: 422},
		{Name: "huge array of the wrong type", Body: withText(numbers), Status: 422},
		{Name: "unknown field", Body: Encode(t, WithField(t, e.Valid, "colour", "blue")), Status: 422},
		{Name: "oversized", Body: oversized, Status: 413},
		{Name: "oversized, sent without a length", Body: bytes.NewBuffer(oversized), Status: 413},
		{Name: "no content type", Body: valid, ContentType: ContentType(""), Status: 415},
		{Name: "text/plain", Body: valid, ContentType: ContentType("text/plain"), Status: 415},
		{Name: "form", Body: "a=b", ContentType: ContentType("application/x-www-form-urlencoded"), Status: 415},
		{Name: "multipart", Body: "--b\r\n\r\n" + string(valid) + "\r\n--b--", ContentType: ContentType("multipart/form-data; boundary=b"), Status: 415},
		{Name: "XML", Body: valid, ContentType: ContentType("application/xml"), Status: 415},
		{Name: "NDJSON", Body: valid, ContentType: ContentType("application/x-ndjson"), Status: 415},
	}
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

// Encode returns v as JSON.
func Encode(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Body returns what a test request sends: a string or bytes as they are,
// a reader as it is (sent without a length, chunked, as a client that does
// not say how much it will send), nil as no body, any other value encoded
// as JSON.
func Body(t testing.TB, body any) io.Reader {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return strings.NewReader(b)
	case []byte:
		return bytes.NewReader(b)
	case io.Reader:
		return b
	default:
		return bytes.NewReader(Encode(t, b))
	}
}

// WithField returns a copy of doc with the value at path (dotted) set;
// objects on the way are made if missing.
func WithField(t testing.TB, doc map[string]any, path string, v any) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(Encode(t, doc), &out); err != nil {
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

// Refused checks that an answer is a problem document of status, reporting
// to t what is not, and returns the document.
func Refused(t testing.TB, status int, header http.Header, body []byte, want int) problem.Details {
	t.Helper()
	var d problem.Details
	if ct := header.Get("Content-Type"); ct != problem.ContentType {
		t.Errorf("status %d with Content-Type %q, want %d as %s: %.200s", status, ct, want, problem.ContentType, body)
		return d
	}
	if err := json.Unmarshal(body, &d); err != nil {
		t.Errorf("status %d, problem document %.200s: %v", status, body, err)
		return d
	}
	if status != want || d.Status != status || !strings.HasPrefix(d.Type, "urn:clinjobs:problem:") {
		t.Errorf("status %d, document %+v; want %d", status, d, want)
	}
	if status == http.StatusUnauthorized && header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	if status == http.StatusTooManyRequests && header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	return d
}
