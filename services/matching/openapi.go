package matching

import (
	"github.com/clinjobs/clinjobs/pkg/buildinfo"
	"github.com/clinjobs/clinjobs/pkg/openapi"
)

// Document describes the HTTP API, from the types its handlers answer.
func Document() *openapi.Document {
	d := openapi.New("Clinical Engineering Jobs: matching", buildinfo.Version,
		"A candidate's ranked matches, with the reasons for each, and their near misses. Errors are RFC 9457 problem documents.")
	status := map[string]string{}
	paging := []openapi.Param{
		{Name: "limit", In: "query", Type: "integer", Min: new(1.0), Max: new(100.0), Description: "default 20"},
		{Name: "cursor", In: "query", Description: "next_cursor of the previous page"},
	}
	problems := []int{401, 404, 422, 500, 503}
	d.Add("GET", "/healthz", openapi.Operation{Summary: "the process is alive", Responses: map[int]openapi.Response{200: {Description: "alive", Body: status}}})
	d.Add("GET", "/readyz", openapi.Operation{Summary: "ready: the index is rebuilt and caught up", Responses: map[int]openapi.Response{200: {Description: "ready", Body: status}}, Problems: []int{503}})
	d.Add("GET", "/metrics", openapi.Operation{Summary: "Prometheus metrics", Responses: map[int]openapi.Response{200: {Description: "metrics", Body: "", ContentType: "text/plain"}}})
	d.Add("GET", "/openapi.json", openapi.Operation{Summary: "this document", Responses: map[int]openapi.Response{200: {Description: "the document", Body: map[string]any{}}}})
	d.Add("GET", "/v1/candidates/{id}/matches", openapi.Operation{Summary: "the candidate's matches, best first, with reasons", Auth: openapi.Candidate,
		Params: paging, Responses: map[int]openapi.Response{200: {Description: "a page of matches", Body: MatchList{}, Headers: []string{HeaderMatchSource}}}, Problems: problems})
	d.Add("GET", "/v1/candidates/{id}/near-misses", openapi.Operation{Summary: "open vacancies the candidate fits but for one requirement, which is named", Auth: openapi.Candidate,
		Params: paging[:1], Responses: map[int]openapi.Response{200: {Description: "near misses", Body: NearMisses{}}}, Problems: problems})
	return d
}
