package dashboard_test

import (
	"net/http"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/openapi/openapitest"
	"github.com/clinjobs/clinjobs/services/dashboard"
)

// TestRequestsTheDocumentForbidsAreRefused sends the operators' writes the
// bodies, and their lists the query parameters, that the OpenAPI document
// forbids (derived from the document's schema: a required field left out,
// a wrong type, a code that does not match its pattern, a name or reason
// too long or too short, an unknown field, a limit out of bounds): each is
// refused with a problem document and nothing is asked of the owning
// service. The other way round, the fixture's transport fails any test
// whose request the document allows but the API refuses for its shape.
func TestRequestsTheDocumentForbidsAreRefused(t *testing.T) {
	t.Parallel()
	f := start(t)
	o := standIns(t, f)
	doc := dashboard.Document()
	auth := "Bearer " + opKey
	for _, e := range []struct{ route, path string }{
		{"/v1/dashboard/trusts", "/v1/dashboard/trusts"},
		{"/v1/dashboard/trusts/{code}/keys", "/v1/dashboard/trusts/RJ1/keys"},
		{"/v1/dashboard/vacancies/{id}/withdraw", "/v1/dashboard/vacancies/vsomevacancyxxxxxxxxx/withdraw"},
	} {
		valid := map[string]map[string]any{
			"/v1/dashboard/trusts":                  {"code": "RJ1", "name": "Guy's"},
			"/v1/dashboard/trusts/{code}/keys":      {"label": "payroll"},
			"/v1/dashboard/vacancies/{id}/withdraw": {"reason": "Duplicate advert"},
		}[e.route]
		for _, c := range openapitest.NotNull(openapitest.Forbidden(t, doc, http.MethodPost, e.route, valid)) {
			asked := o.asked.Load()
			status, header, body := f.send(t, http.MethodPost, e.path, auth, c.Body, nil)
			openapitest.Refused(t, e.route+": "+c.Name, status, header, body)
			if o.asked.Load() != asked {
				t.Errorf("%s: %s was asked of its owner", e.route, c.Name)
			}
		}
	}
	for _, route := range []string{"/v1/dashboard/audit", "/v1/dashboard/dead-letters"} {
		cases := openapitest.ForbiddenQueries(t, doc, http.MethodGet, route, nil)
		if len(cases) == 0 {
			t.Fatalf("%s: the document forbids no query", route)
		}
		for _, q := range cases {
			status, header, body := f.send(t, http.MethodGet, route+"?"+string(q.Body), auth, nil, nil)
			openapitest.Refused(t, route+": "+q.Name, status, header, body)
		}
	}
}
