// Package openapitest holds an API to its OpenAPI document in tests: every
// route served is described, and every answer matches the document's schema
// for its path, method and status. Production code never imports it.
package openapitest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/clinjobs/clinjobs/pkg/openapi"
)

// CheckRoutes fails t for every route of engine the document does not
// describe, and every operation described that engine does not serve.
func CheckRoutes(t testing.TB, engine *gin.Engine, doc *openapi.Document) {
	t.Helper()
	described := doc.Paths()
	served := map[string][]string{}
	for _, r := range engine.Routes() {
		p := ginToOpenAPI(r.Path)
		served[p] = append(served[p], r.Method)
		if !slices.Contains(described[p], r.Method) {
			t.Errorf("%s %s is served but not in the OpenAPI document", r.Method, p)
		}
	}
	for p, methods := range described {
		for _, m := range methods {
			if !slices.Contains(served[p], m) {
				t.Errorf("%s %s is in the OpenAPI document but not served", m, p)
			}
		}
	}
}

// ginToOpenAPI turns /v1/x/:id into /v1/x/{id}.
func ginToOpenAPI(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// Validator checks answers against a document.
type Validator struct {
	compiler *jsonschema.Compiler
	paths    map[string][]string
	mu       sync.Mutex
	compiled map[string]*jsonschema.Schema
	// Checked counts the answers validated, so a test can tell it saw some.
	Checked int
}

// NewValidator compiles doc's schemas.
func NewValidator(t testing.TB, doc *openapi.Document) *Validator {
	t.Helper()
	data, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("openapi.json", v); err != nil {
		t.Fatal(err)
	}
	return &Validator{compiler: c, paths: doc.Paths(), compiled: map[string]*jsonschema.Schema{}}
}

// route finds the described path that a request path matches; a literal
// segment beats a parameter, as the router has it (/v1/vacancies/bulk is
// not /v1/vacancies/{id}).
func (v *Validator) route(path string) (string, bool) {
	segs := strings.Split(path, "/")
	best, bestLiterals := "", -1
	for p := range v.paths {
		ps := strings.Split(p, "/")
		if len(ps) != len(segs) {
			continue
		}
		ok, literals := true, 0
		for i := range ps {
			switch {
			case strings.HasPrefix(ps[i], "{"):
			case ps[i] == segs[i]:
				literals++
			default:
				ok = false
			}
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = p, literals
		}
	}
	return best, bestLiterals >= 0
}

// Check validates one answer.
func (v *Validator) Check(method, path string, status int, contentType string, body []byte) error {
	route, ok := v.route(path)
	if !ok {
		return fmt.Errorf("%s %s: no path of the document matches", method, path)
	}
	ct, _, _ := strings.Cut(contentType, ";")
	ct = strings.TrimSpace(ct)
	ptr := fmt.Sprintf("openapi.json#/paths/%s/%s/responses/%d", escape(route), strings.ToLower(method), status)
	if len(body) == 0 || ct == "" {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	key := ptr + "|" + ct
	sch, ok := v.compiled[key]
	if !ok {
		var err error
		sch, err = v.compiler.Compile(ptr + "/content/" + escape(ct) + "/schema")
		if err != nil {
			return fmt.Errorf("%s %s answered %d %s, which the document does not describe: %w", method, route, status, ct, err)
		}
		v.compiled[key] = sch
	}
	if ct != "application/json" && !strings.HasSuffix(ct, "+json") {
		// A page or text: documented is all that can be checked.
		v.Checked++
		return nil
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s answered %d with a body that is not JSON: %w", method, route, status, err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s %s answered %d not as documented: %w", method, route, status, err)
	}
	v.Checked++
	return nil
}

func escape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// Transport is an http.RoundTripper that checks every answer it carries and
// reports mismatches to t.
type Transport struct {
	T         testing.TB
	Validator *Validator
	// Requests, when set, holds each request to the document both ways
	// (see RequestChecker).
	Requests *RequestChecker
	Base     http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (tr *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := tr.Base
	if base == nil {
		base = http.DefaultTransport
	}
	var reqBody []byte
	if tr.Requests != nil && req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := base.RoundTrip(req)
	if err != nil || strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		if err == nil && tr.Requests != nil {
			if err := tr.Requests.Check(req, reqBody, resp.StatusCode, nil); err != nil {
				tr.T.Errorf("%v", err)
			}
		}
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := tr.Validator.Check(req.Method, req.URL.Path, resp.StatusCode, resp.Header.Get("Content-Type"), body); err != nil {
		tr.T.Errorf("%v\n%s", err, truncate(body))
	}
	if tr.Requests != nil {
		if err := tr.Requests.Check(req, reqBody, resp.StatusCode, body); err != nil {
			tr.T.Errorf("%v", err)
		}
	}
	return resp, nil
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "... (" + strconv.Itoa(len(b)) + " bytes)"
	}
	return string(b)
}
