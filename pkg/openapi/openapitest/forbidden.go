package openapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/openapi"
	"github.com/clinjobs/clinjobs/pkg/problem"
)

// Case is a request body the document forbids, named for what is wrong.
type Case struct {
	Name string
	Body []byte
}

// Forbidden returns bodies for the request of method route (a path of the
// document, such as /v1/vacancies/{id}) that the document forbids, each
// the valid body with one thing wrong: a required field left out, a field
// of the wrong type, a value outside its enum, bounds, length or format, an
// unknown field. They come from the document's schema, not from a list
// kept beside it, so a field the document gains gains its cases. Every case
// is confirmed forbidden by the independent reader (libopenapi-validator);
// one it lets through (a nullable field set to null, say) is left out. It
// fails t if valid itself is forbidden or the document has no JSON body for
// the operation.
func Forbidden(t testing.TB, doc *openapi.Document, method, route string, valid any) []Case {
	t.Helper()
	data, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	r := resolver{root: root}
	schema := r.dig(root, "paths", route, strings.ToLower(method), "requestBody", "content", "application/json", "schema")
	if schema == nil {
		t.Fatalf("%s %s has no JSON request body in the document", method, route)
	}
	raw, err := json.Marshal(valid)
	if err != nil {
		t.Fatal(err)
	}
	var body any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	checker := NewRequestChecker(t, doc)
	path := concrete(route)
	if ok, verrs := checker.v.GetRequestBodyValidator().ValidateRequestBody(jsonRequest(method, path, raw)); !ok {
		t.Fatalf("the valid body of %s %s is forbidden by the document: %v", method, route, joinValidation(verrs))
	}
	var cases []Case
	for _, m := range r.mutations(schema, body, "") {
		b, err := json.Marshal(m.apply(body))
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := checker.v.GetRequestBodyValidator().ValidateRequestBody(jsonRequest(method, path, b)); ok {
			continue
		}
		cases = append(cases, Case{Name: m.name, Body: b})
	}
	if len(cases) == 0 {
		t.Fatalf("%s %s: the document forbids nothing of its body", method, route)
	}
	return cases
}

// Refused fails t unless the answer is a problem document of a 4xx status
// that names it (400 or 422: refused for its shape, not for who sent it).
func Refused(t testing.TB, what string, status int, header http.Header, body []byte) {
	t.Helper()
	if status != http.StatusBadRequest && status != http.StatusUnprocessableEntity {
		t.Errorf("%s: answered %d, want 400 or 422: %.300s", what, status, body)
		return
	}
	if ct := header.Get("Content-Type"); ct != problem.ContentType {
		t.Errorf("%s: answered %d as %q, want %s", what, status, ct, problem.ContentType)
		return
	}
	var d problem.Details
	if err := json.Unmarshal(body, &d); err != nil || d.Status != status || d.Title == "" {
		t.Errorf("%s: answered %d with the problem %.300s (%v)", what, status, body, err)
	}
}

func jsonRequest(method, path string, body []byte) *http.Request {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer x")
	return req
}

// concrete turns a route's parameters into values: /v1/x/{id} is /v1/x/p.
func concrete(route string) string {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") {
			parts[i] = "p"
		}
	}
	return strings.Join(parts, "/")
}

type resolver struct{ root map[string]any }

func (r resolver) dig(v any, keys ...string) map[string]any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	m, _ := v.(map[string]any)
	return r.deref(m)
}

// deref follows a schema's $ref into the components.
func (r resolver) deref(s map[string]any) map[string]any {
	for s != nil {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		s = r.dig(r.root, "components", "schemas", name)
	}
	return s
}

// mutation is one change to a body: the value at a JSON pointer replaced,
// or removed.
type mutation struct {
	name   string
	ptr    []string
	value  any
	remove bool
}

func (m mutation) apply(body any) any {
	out := deepCopy(body)
	if len(m.ptr) == 0 {
		return m.value
	}
	parent := out
	for _, k := range m.ptr[:len(m.ptr)-1] {
		parent = child(parent, k)
	}
	last := m.ptr[len(m.ptr)-1]
	switch p := parent.(type) {
	case map[string]any:
		if m.remove {
			delete(p, last)
		} else {
			p[last] = m.value
		}
	case []any:
		var i int
		fmt.Sscan(last, &i)
		p[i] = m.value
	}
	return out
}

func child(v any, k string) any {
	switch p := v.(type) {
	case map[string]any:
		return p[k]
	case []any:
		var i int
		fmt.Sscan(k, &i)
		return p[i]
	}
	return nil
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// mutations returns the changes that break schema at the value v, found at
// ptr, and in what v holds.
func (r resolver) mutations(schema map[string]any, v any, at string) []mutation {
	schema = r.deref(schema)
	if schema == nil {
		return nil
	}
	ptr := pointer(at)
	// A nullable field's schema is anyOf [s, null] or type [t, "null"].
	if alts, ok := schema["anyOf"].([]any); ok {
		var out []mutation
		for _, a := range alts {
			if s, _ := a.(map[string]any); s != nil && s["type"] != "null" {
				out = append(out, r.mutations(s, v, at)...)
			}
		}
		return out
	}
	name := func(what string) string {
		if at == "" {
			return "body " + what
		}
		return at + " " + what
	}
	var out []mutation
	types := typesOf(schema)
	if wrong, ok := wrongType(types); ok {
		out = append(out, mutation{name: name("of the wrong type"), ptr: ptr, value: wrong})
	}
	if len(types) > 0 && !slices.Contains(types, "null") && v != nil {
		out = append(out, mutation{name: name("null"), ptr: ptr, value: nil})
	}
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		out = append(out, mutation{name: name("outside its enum"), ptr: ptr, value: "not-one-of-the-values"})
	}
	if n, ok := schema["minLength"].(float64); ok && n > 0 {
		out = append(out, mutation{name: name("shorter than minLength"), ptr: ptr, value: strings.Repeat("a", int(n)-1)})
	}
	if n, ok := schema["maxLength"].(float64); ok {
		out = append(out, mutation{name: name("longer than maxLength"), ptr: ptr, value: strings.Repeat("a", int(n)+1)})
	}
	if n, ok := schema["minimum"].(float64); ok {
		out = append(out, mutation{name: name("below minimum"), ptr: ptr, value: n - 1})
	}
	if n, ok := schema["maximum"].(float64); ok {
		out = append(out, mutation{name: name("above maximum"), ptr: ptr, value: n + 1})
	}
	if f, ok := schema["format"].(string); ok {
		out = append(out, mutation{name: name("not a " + f), ptr: ptr, value: "not a " + f})
	}
	if n, ok := schema["minItems"].(float64); ok && n > 0 {
		items := []any{}
		if a, ok := v.([]any); ok && len(a) >= int(n) {
			items = slices.Clone(a[:int(n)-1])
		}
		out = append(out, mutation{name: name("with fewer than minItems"), ptr: ptr, value: items})
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		required, _ := schema["required"].([]any)
		for _, req := range required {
			k, _ := req.(string)
			if _, ok := x[k]; ok {
				out = append(out, mutation{name: join(at, k) + " left out", ptr: pointer(join(at, k)), remove: true})
			}
		}
		if schema["additionalProperties"] == false {
			out = append(out, mutation{name: name("with an unknown field"), ptr: pointer(join(at, "unknown_field_x")), value: "x"})
		}
		// A field the valid body leaves out is still held to its type.
		for _, k := range slices.Sorted(maps.Keys(props)) {
			if _, ok := x[k]; ok {
				continue
			}
			if ps := r.deref(props[k].(map[string]any)); ps != nil {
				if wrong, ok := wrongType(typesOf(ps)); ok {
					out = append(out, mutation{name: join(at, k) + " of the wrong type", ptr: pointer(join(at, k)), value: wrong})
				}
			}
		}
		keys := slices.Sorted(maps.Keys(x))
		for _, k := range keys {
			if ps, ok := props[k].(map[string]any); ok {
				out = append(out, r.mutations(ps, x[k], join(at, k))...)
			} else if ap, ok := schema["additionalProperties"].(map[string]any); ok {
				out = append(out, r.mutations(ap, x[k], join(at, k))...)
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok && len(x) > 0 {
			out = append(out, r.mutations(items, x[0], join(at, "0"))...)
		}
	}
	return out
}

func join(at, k string) string {
	return at + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
}

func pointer(at string) []string {
	if at == "" {
		return nil
	}
	parts := strings.Split(at[1:], "/")
	for i, p := range parts {
		parts[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(p)
	}
	return parts
}

func typesOf(schema map[string]any) []string {
	switch t := schema["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// wrongType returns a value of none of types.
func wrongType(types []string) (any, bool) {
	if len(types) == 0 {
		return nil, false
	}
	for _, other := range []any{json.Number("12345"), "x", true, []any{"x"}, map[string]any{"x": "y"}} {
		if !accepts(types, other) {
			return other, true
		}
	}
	return nil, false
}

// accepts says whether a value of Go type v is of one of the JSON types.
func accepts(types []string, v any) bool {
	var t []string
	switch v.(type) {
	case json.Number:
		t = []string{"number", "integer"}
	case string:
		t = []string{"string"}
	case bool:
		t = []string{"boolean"}
	case []any:
		t = []string{"array"}
	case map[string]any:
		t = []string{"object"}
	}
	for _, x := range t {
		if slices.Contains(types, x) {
			return true
		}
	}
	return false
}

// ForbiddenQueries returns query strings for method route that the
// document forbids, each one parameter of the wrong type, outside its
// bounds or enum, or a required one left out (Case.Body holds the query,
// without its "?"), valid holding the valid query parameters to start from.
// Like Forbidden, each is confirmed forbidden by the independent reader.
func ForbiddenQueries(t testing.TB, doc *openapi.Document, method, route string, valid url.Values) []Case {
	t.Helper()
	data, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	op, _ := root["paths"].(map[string]any)[route].(map[string]any)[strings.ToLower(method)].(map[string]any)
	params, _ := op["parameters"].([]any)
	checker := NewRequestChecker(t, doc)
	path := concrete(route)
	var cases []Case
	add := func(name string, q url.Values) {
		req := httptest.NewRequest(method, path+"?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer x")
		if ok, _ := checker.v.GetParameterValidator().ValidateQueryParams(req); !ok {
			cases = append(cases, Case{Name: name, Body: []byte(q.Encode())})
		}
	}
	for _, p := range params {
		p, _ := p.(map[string]any)
		if p["in"] != "query" {
			continue
		}
		name, _ := p["name"].(string)
		schema, _ := p["schema"].(map[string]any)
		with := func(v string) url.Values {
			q := maps.Clone(valid)
			if q == nil {
				q = url.Values{}
			}
			q.Set(name, v)
			return q
		}
		if p["required"] == true {
			q := maps.Clone(valid)
			q.Del(name)
			add(name+" left out", q)
		}
		switch schema["type"] {
		case "integer":
			add(name+" not a number", with("ten"))
			add(name+" a fraction", with("1.5"))
		case "number":
			add(name+" not a number", with("ten"))
		case "boolean":
			add(name+" not a boolean", with("maybe"))
		}
		if n, ok := schema["minimum"].(float64); ok {
			add(name+" below minimum", with(strconv.FormatFloat(n-1, 'f', -1, 64)))
		}
		if n, ok := schema["maximum"].(float64); ok {
			add(name+" above maximum", with(strconv.FormatFloat(n+1, 'f', -1, 64)))
		}
		if _, ok := schema["enum"]; ok {
			add(name+" outside its enum", with("not-one-of-the-values"))
		}
	}
	return cases
}

// NotNull leaves out the cases that set a field that is not nullable to
// null. Not done: the decoder (strictjson, on encoding/json) reads null into
// a string or number field as its zero value instead of refusing it, so an
// API refuses such a body only where the zero value is itself refused.
func NotNull(cases []Case) []Case {
	var out []Case
	for _, c := range cases {
		if !strings.HasSuffix(c.Name, " null") {
			out = append(out, c)
		}
	}
	return out
}
