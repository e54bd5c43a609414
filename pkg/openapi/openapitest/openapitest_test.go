package openapitest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/openapi"
	"github.com/clinjobs/clinjobs/pkg/openapi/openapitest"
)

// thing is what the API below reads: a name, which it requires.
type thing struct {
	Name *string `json:"name,omitempty" api:"required,minLength=1"`
}

// looseThing is thing as a careless document has it: the name optional.
type looseThing struct {
	Name *string `json:"name,omitempty"`
}

// api refuses a thing without a name with a problem naming /name, and
// accepts any other object.
func api(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, ok := in["name"]; !ok {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = w.Write([]byte(`{"type":"urn:test:validation","title":"invalid","status":422,"errors":[{"field":"/name","detail":"required"}]}`))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func document(request any) *openapi.Document {
	d := openapi.New("things", "test", "a test API")
	d.Add("POST", "/things", openapi.Operation{Summary: "make a thing", Request: request,
		Responses: map[int]openapi.Response{204: {Description: "made"}}, Problems: []int{400, 422}})
	return d
}

// post sends body through a checker of doc and returns what it reported.
func post(t *testing.T, srv *httptest.Server, doc *openapi.Document, body string) []string {
	t.Helper()
	rec := &recorder{TB: t}
	client := &http.Client{Transport: &openapitest.Transport{T: rec, Validator: openapitest.NewValidator(t, doc),
		Requests: openapitest.NewRequestChecker(t, doc)}}
	resp, err := client.Post(srv.URL+"/things", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return rec.errors
}

func TestExactDocumentPasses(t *testing.T) {
	t.Parallel()
	srv, doc := api(t), document(thing{})
	openapitest.CheckDocument(t, doc)
	for _, body := range []string{`{"name":"pump"}`, `{}`} {
		if errs := post(t, srv, doc, body); len(errs) > 0 {
			t.Errorf("%s: %v", body, errs)
		}
	}
}

// TestLooseDocumentFails makes a required field optional in the document:
// the API's refusal of a request without it shows the document is wrong.
func TestLooseDocumentFails(t *testing.T) {
	t.Parallel()
	srv, doc := api(t), document(looseThing{})
	errs := post(t, srv, doc, `{}`)
	if len(errs) != 1 || !strings.Contains(errs[0], "lets a request leave out /name") {
		t.Fatalf("a loose document passed: %v", errs)
	}
}

// TestStrictDocumentFails has the document forbid what the API takes.
func TestStrictDocumentFails(t *testing.T) {
	t.Parallel()
	type strictThing struct {
		Name string `json:"name" api:"required,maxLength=3"`
	}
	srv, doc := api(t), document(strictThing{})
	errs := post(t, srv, doc, `{"name":"infusion pump"}`)
	if len(errs) != 1 || !strings.Contains(errs[0], "accepted (204) a request its document forbids") {
		t.Fatalf("a document stricter than the API passed: %v", errs)
	}
}

func TestInvalidDocumentFails(t *testing.T) {
	t.Parallel()
	d := openapi.New("things", "test", "a test API")
	// A parameter must be in a path, query, header or cookie.
	d.Add("GET", "/things", openapi.Operation{Summary: "list", Params: []openapi.Param{{Name: "id", In: "body", Required: true}},
		Responses: map[int]openapi.Response{200: {Description: "things", Body: map[string]any{}}}})
	rec := &recorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		openapitest.CheckDocument(rec, d)
	}()
	if len(rec.errors) == 0 {
		t.Fatal("an invalid document passed")
	}
}

// recorder keeps what a check reports instead of failing the test.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatal(args ...any) {
	r.errors = append(r.errors, fmt.Sprint(args...))
	panic("fatal")
}

func (r *recorder) Helper() {}
