package ingest_test

import (
	"testing"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/openapi/openapitest"
	"github.com/clinjobs/clinjobs/services/ingest"
)

// TestRequestsTheDocumentForbidsAreRefused sends every write endpoint the
// bodies its OpenAPI document forbids (each a valid body with one thing
// wrong, derived from the document's schema: a required field left out, a
// wrong type, a value outside its enum, bounds, length or format, an
// unknown field): each is refused with a problem document. The other way
// round, the fixture's transport fails any test whose request the document
// allows but the API refuses for leaving a field out.
func TestRequestsTheDocumentForbidsAreRefused(t *testing.T) {
	t.Parallel()
	f := start(t)
	doc := ingest.Document()
	key := f.trust("RJ1")
	var v jobs.VacancyView
	posted := f.do("POST", "/v1/vacancies", key, vacancy(t, "F-1"), nil).want(t, 201)
	posted.json(t, &v)
	cid, token := f.signUp(example(t, "candidate.json"))
	profile := f.do("GET", "/v1/candidates/"+cid, token, nil, nil).want(t, 200)
	for _, e := range []struct {
		method, route, path, bearer string
		header                      map[string]string
		valid                       any
	}{
		{"POST", "/v1/trusts", "/v1/trusts", opKey, nil, map[string]any{"code": "RJ2", "name": "Trust RJ2"}},
		{"POST", "/v1/trusts/{code}/keys", "/v1/trusts/RJ1/keys", opKey, nil, map[string]any{"label": "HR system"}},
		{"POST", "/v1/vacancies", "/v1/vacancies", key, nil, vacancy(t, "F-2")},
		{"PUT", "/v1/vacancies/{id}", "/v1/vacancies/" + v.ID, key, map[string]string{"If-Match": posted.Header.Get("ETag")}, vacancy(t, "F-1")},
		{"POST", "/v1/vacancies/{id}/withdraw", "/v1/vacancies/" + v.ID + "/withdraw", key, nil, map[string]any{"reason": "filled"}},
		{"POST", "/v1/candidates", "/v1/candidates", "", nil, example(t, "candidate.json")},
		{"PUT", "/v1/candidates/{id}", "/v1/candidates/" + cid, token, map[string]string{"If-Match": profile.Header.Get("ETag")}, example(t, "candidate.json")},
	} {
		for _, c := range openapitest.NotNull(openapitest.Forbidden(t, doc, e.method, e.route, e.valid)) {
			a := f.do(e.method, e.path, e.bearer, c.Body, e.header)
			openapitest.Refused(t, e.method+" "+e.route+": "+c.Name, a.Status, a.Header, a.Body)
		}
	}
}
