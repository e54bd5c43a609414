package matching_test

import (
	"testing"

	"github.com/clinjobs/clinjobs/pkg/openapi/openapitest"
	"github.com/clinjobs/clinjobs/services/matching"
)

// TestRequestsTheDocumentForbidsAreRefused sends each read the query
// parameters its OpenAPI document forbids (derived from the document: a
// limit that is not a whole number or out of its bounds): each is refused
// with a problem document. The other way round, the replica's transport
// fails any test whose request the document allows but the API refuses.
func TestRequestsTheDocumentForbidsAreRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.start("", nil)
	c, tok := w.candidate(1, 51.50, -0.12)
	doc := matching.Document()
	for _, route := range []string{"/v1/candidates/{id}/matches", "/v1/candidates/{id}/near-misses"} {
		path := "/v1/candidates/" + c.GetId() + route[len("/v1/candidates/{id}"):]
		cases := openapitest.ForbiddenQueries(t, doc, "GET", route, nil)
		if len(cases) == 0 {
			t.Fatalf("%s: the document forbids no query", route)
		}
		for _, q := range cases {
			status, header, body := r.send(t, path+"?"+string(q.Body), "Bearer "+tok)
			openapitest.Refused(t, route+": "+q.Name, status, header, body)
		}
	}
}
