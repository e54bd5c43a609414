package openapitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/clinjobs/clinjobs/pkg/openapi"
)

// CheckDocument fails t unless doc is a valid OpenAPI 3.1 document, as an
// independent reader (pb33f's libopenapi-validator, which holds it to the
// specification's own schema) finds it.
func CheckDocument(t testing.TB, doc *openapi.Document) {
	t.Helper()
	if _, err := newRequestChecker(doc); err != nil {
		t.Fatal(err)
	}
}

// RequestChecker holds requests to a document, both ways: a request the
// document forbids must be refused by the API, and a field the document
// lets a request leave out must not be refused for being left out.
type RequestChecker struct {
	v validator.Validator
}

func newRequestChecker(doc *openapi.Document) (*RequestChecker, error) {
	data, err := doc.JSON()
	if err != nil {
		return nil, err
	}
	parsed, err := libopenapi.NewDocument(data)
	if err != nil {
		return nil, fmt.Errorf("libopenapi reads the document: %w", err)
	}
	// Formats (date, email, uri...) are asserted, as the API asserts them:
	// JSON Schema takes them for annotations unless told.
	v, errs := validator.NewValidator(parsed, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("libopenapi-validator builds on the document: %w", errors.Join(errs...))
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return nil, fmt.Errorf("the document is not valid OpenAPI 3.1: %w", joinValidation(verrs))
	}
	return &RequestChecker{v: v}, nil
}

// NewRequestChecker reads doc, failing t if it is not valid OpenAPI 3.1.
func NewRequestChecker(t testing.TB, doc *openapi.Document) *RequestChecker {
	t.Helper()
	c, err := newRequestChecker(doc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Check compares what the document says of a request (its body is body)
// with what the API answered: status and, for a problem, its body.
func (c *RequestChecker) Check(req *http.Request, body []byte, status int, answer []byte) error {
	if ct, _, _ := strings.Cut(req.Header.Get("Content-Type"), ";"); strings.TrimSpace(ct) == "application/x-ndjson" {
		// A stream of documents, one a line: the validator reads one
		// JSON document, so it cannot hold this to the schema.
		return nil
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	ok, verrs := c.v.ValidateHttpRequest(r)
	if !ok && status >= 200 && status < 300 {
		return fmt.Errorf("%s %s: the API accepted (%d) a request its document forbids: %w", req.Method, req.URL.Path, status, joinValidation(verrs))
	}
	if ok && (status == http.StatusBadRequest || status == http.StatusUnprocessableEntity) {
		if missing := absentFields(body, answer); len(missing) > 0 {
			return fmt.Errorf("%s %s: the document lets a request leave out %s, but the API refused it (%d) for that: %s",
				req.Method, req.URL.Path, strings.Join(missing, ", "), status, answer)
		}
	}
	return nil
}

// absentFields returns the fields a problem names that the request's JSON
// object does not hold at all: a field refused for being left out.
func absentFields(request, problem []byte) []string {
	var p struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	var req any
	if json.Unmarshal(problem, &p) != nil || json.Unmarshal(request, &req) != nil {
		return nil
	}
	var out []string
	for _, e := range p.Errors {
		if strings.HasPrefix(e.Field, "/") && !present(req, strings.Split(e.Field[1:], "/")) {
			out = append(out, e.Field)
		}
	}
	return out
}

// present says whether the JSON pointer's path leads somewhere in v; a
// path into an array or a value that is not an object counts as present:
// the field refused is then not one left out.
func present(v any, path []string) bool {
	obj, ok := v.(map[string]any)
	if !ok || len(path) == 0 {
		return true
	}
	key := strings.NewReplacer("~1", "/", "~0", "~").Replace(path[0])
	child, ok := obj[key]
	if !ok {
		return false
	}
	return present(child, path[1:])
}

func joinValidation(verrs []*verrors.ValidationError) error {
	var errs []error
	for _, e := range verrs {
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}
