package dashboard

import (
	"github.com/clinjobs/clinjobs/pkg/buildinfo"
	"github.com/clinjobs/clinjobs/pkg/openapi"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/flow"
)

// Document describes the HTTP API, from the types its handlers read and
// answer. The actions carried to another service answer with that
// service's own answer (its control endpoint's), which this document
// leaves open: ingest's and notification's documents describe the records.
func Document() *openapi.Document {
	d := openapi.New("Clinical Engineering Jobs: dashboard", buildinfo.Version,
		"The operators' API and page: the running instances, the flow through every stream, rates, the market, the audit log, and the operators' actions, each audited and carried to the owning service over NATS. Errors are RFC 9457 problem documents.")
	d.Enum("outcome", []string{"done", "failed"})
	status := map[string]string{}
	ok := func(what string, body any) map[int]openapi.Response {
		return map[int]openapi.Response{200: {Description: what, Body: body}}
	}
	html := func(what string) map[int]openapi.Response {
		return map[int]openapi.Response{200: {Description: what, Body: "", ContentType: "text/html"}}
	}
	// The owning service's answer, passed on as it came.
	forwarded := map[string]any{}
	problems := []int{400, 401, 403, 404, 409, 413, 415, 422, 500, 503}
	limit := []openapi.Param{{Name: "limit", In: "query", Type: "integer", Min: new(1.0), Max: new(1000.0)}}

	d.Add("GET", "/healthz", openapi.Operation{Summary: "the process is alive", Responses: ok("alive", status)})
	d.Add("GET", "/readyz", openapi.Operation{Summary: "ready: NATS reachable", Responses: ok("ready", status), Problems: []int{503}})
	d.Add("GET", "/metrics", openapi.Operation{Summary: "Prometheus metrics", Responses: map[int]openapi.Response{200: {Description: "metrics", Body: "", ContentType: "text/plain"}}})
	d.Add("GET", "/openapi.json", openapi.Operation{Summary: "this document", Responses: ok("the document", map[string]any{})})
	d.Add("GET", "/", openapi.Operation{Summary: "to the page", Responses: map[int]openapi.Response{302: {Description: "to /dashboard/", Headers: []string{"Location"}}}})

	api := APIPrefix
	op := func(summary string, body any) openapi.Operation {
		return openapi.Operation{Summary: summary, Auth: openapi.Operator, Responses: ok(summary, body), Problems: problems}
	}
	d.Add("GET", api+"/services", op("every running instance (NATS services framework)", servicesAnswer{}))
	d.Add("GET", api+"/flow", op("every stream and durable consumer; Redis", flowView{Streams: []flow.Stream{}}))
	d.Add("GET", api+"/rates", op("vacancies posted, matches found, alerts by channel and outcome; posting-to-first-alert times", ratesAnswer{}))
	d.Add("GET", api+"/market", op("open vacancies by role family, band, region and trust; candidates by role family; open vacancies no candidate fits", marketView{}))
	audit := op("the audit log of operator actions, newest first", auditAnswer{})
	audit.Params = limit
	d.Add("GET", api+"/audit", audit)
	d.Add("GET", api+"/trusts", op("every trust (ingest's answer)", forwarded))
	d.Add("GET", api+"/imports", op("the NHS Jobs importer's latest runs, newest first: fetched, new, updated, closed, skipped as irrelevant or the trust's own, failed, the last error (ingest's answer)", forwarded))
	d.Add("POST", api+"/trusts", openapi.Operation{Summary: "onboard a trust (ingest's answer: the trust and its first key, shown once)", Auth: openapi.Operator,
		Request: trustInput{}, Responses: map[int]openapi.Response{201: {Description: "onboarded", Body: forwarded}}, Problems: problems})
	d.Add("POST", api+"/trusts/{code}/keys", openapi.Operation{Summary: "issue a key (ingest's answer: the key, shown once)", Auth: openapi.Operator,
		Request: keyInput{}, Responses: map[int]openapi.Response{201: {Description: "issued", Body: forwarded}}, Problems: problems})
	d.Add("POST", api+"/trusts/{code}/keys/{key}/rotate", openapi.Operation{Summary: "issue a new key, then revoke this one", Auth: openapi.Operator,
		Responses: map[int]openapi.Response{201: {Description: "the new key, shown once", Body: forwarded}}, Problems: problems})
	d.Add("DELETE", api+"/trusts/{code}/keys/{key}", op("revoke a key", forwarded))
	withdraw := op("withdraw a vacancy", forwarded)
	withdraw.Request = withdrawInput{}
	d.Add("POST", api+"/vacancies/{id}/withdraw", withdraw)
	deadLetters := op("dead letters (notification's answer)", forwarded)
	deadLetters.Params = append(limit, openapi.Param{Name: "endpoint", In: "query", Description: "only this endpoint's (host:port, smtp or sse)"})
	d.Add("GET", api+"/dead-letters", deadLetters)
	d.Add("POST", api+"/dead-letters/{id}/replay", op("replay one dead letter", forwarded))
	d.Add("GET", api+"/endpoints", op("every endpoint with deliveries, its circuit and dead letters (notification's answer)", forwarded))
	for _, action := range []string{"replay", "pause", "resume"} {
		d.Add("POST", api+"/endpoints/{endpoint}/"+action, op(action+" an endpoint's deliveries", forwarded))
	}
	d.Add("POST", api+"/match-cache/rebuild", op("rebuild the match cache of every partition", forwarded))

	page := PagePrefix
	d.Add("GET", page+"/login", openapi.Operation{Summary: "the sign-in page", Responses: html("the page")})
	d.Add("POST", page+"/login", openapi.Operation{Summary: "sign in with a name and the operator key; a session cookie", RequestTypes: []string{"application/x-www-form-urlencoded"},
		Request: map[string]string{}, Responses: map[int]openapi.Response{302: {Description: "to the page", Headers: []string{"Location", "Set-Cookie"}}, 401: {Description: "the page again, saying so", Body: "", ContentType: "text/html"}}})
	// Without a session the page sends a reader to sign in and refuses
	// the rest; a form without the session's CSRF token is refused.
	signedIn := func(r map[int]openapi.Response, form bool) map[int]openapi.Response {
		r[401] = openapi.Response{Description: "not signed in"}
		if form {
			r[403] = openapi.Response{Description: "the form's CSRF token is not the session's", Body: "", ContentType: "text/plain"}
		}
		return r
	}
	index := html("the page")
	index[303] = openapi.Response{Description: "not signed in: to the sign-in page", Headers: []string{"Location"}}
	d.Add("GET", page+"/", openapi.Operation{Summary: "the operators' page (signed in)", Responses: index})
	d.Add("GET", page+"/events", openapi.Operation{Summary: "the page's figures, live (server-sent events)",
		Responses: signedIn(map[int]openapi.Response{200: {Description: "events", Body: "", ContentType: "text/event-stream"}}, false)})
	d.Add("POST", page+"/logout", openapi.Operation{Summary: "sign out", RequestTypes: []string{"application/x-www-form-urlencoded"}, Request: map[string]string{},
		Responses: signedIn(map[int]openapi.Response{302: {Description: "to the sign-in page", Headers: []string{"Location"}}}, true)})
	d.Add("POST", page+"/actions/{action}", openapi.Operation{Summary: "an action as a form, as the API's", RequestTypes: []string{"application/x-www-form-urlencoded"}, Request: map[string]string{},
		Responses: signedIn(html("the page, with the action's outcome"), true)})
	for _, m := range []string{"GET", "HEAD"} {
		d.Add(m, page+"/static/{filepath}", openapi.Operation{Summary: "the page's scripts and styles", Responses: map[int]openapi.Response{200: {Description: "a file", Body: "", ContentType: "application/octet-stream"}}, Problems: []int{404}})
	}
	return d
}
