package ingest

import (
	"net/http"

	"github.com/clinjobs/clinjobs/pkg/buildinfo"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/openapi"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Document describes the HTTP API, from the types its handlers read and answer.
func Document() *openapi.Document {
	d := openapi.New("Clinical Engineering Jobs: ingest", buildinfo.Version,
		"The write API: trusts post and manage vacancies, candidates keep their profiles, operators onboard trusts. Errors are RFC 9457 problem documents.")
	for prop, values := range map[string][]string{
		"role_family": jobs.Names[eventsv1.RoleFamily](), "role_families": jobs.Names[eventsv1.RoleFamily](),
		"specialisms": jobs.Names[eventsv1.Specialism](), "setting": jobs.Names[eventsv1.Setting](),
		"band": jobs.Names[eventsv1.Band](), "min_band": jobs.Names[eventsv1.Band](),
		"contract": jobs.Names[eventsv1.Contract](), "contracts": jobs.Names[eventsv1.Contract](),
		"hours": jobs.Names[eventsv1.Hours](), "registrations": jobs.Names[eventsv1.Registration](),
		"a_levels": jobs.Names[eventsv1.ALevelSubject](), "subject": jobs.Names[eventsv1.DegreeSubject](),
		"class": jobs.Names[eventsv1.DegreeClass](), "min_class": jobs.Names[eventsv1.DegreeClass](),
		"working_patterns": jobs.Names[eventsv1.WorkingPattern](), "settings": jobs.Names[eventsv1.Setting](),
		"kind": jobs.Names[eventsv1.ConditionKind](), "subjects": jobs.Names[eventsv1.DegreeSubject](),
		"a_level_subjects": jobs.Names[eventsv1.ALevelSubject](), "a_level_subject": jobs.Names[eventsv1.ALevelSubject](),
		"award": jobs.Names[eventsv1.Award](), "register": jobs.Names[eventsv1.Registration](),
		"state": jobs.Names[eventsv1.RegistrationState](), "membership": jobs.Names[eventsv1.MembershipGrade](),
		"ipem_membership": jobs.Names[eventsv1.MembershipGrade](), "specialism": jobs.Names[eventsv1.Specialism](),
		"qualification": jobs.Names[eventsv1.Level3Kind](),
		"staff_group":   jobs.Names[eventsv1.StaffGroup](), "high_cost_area": jobs.Names[eventsv1.HighCostArea](),
		"pay_scale": jobs.Names[eventsv1.PayScale](), "visa_sponsorship": jobs.Names[eventsv1.VisaSponsorship](),
		"dbs_check": jobs.Names[eventsv1.DbsCheck](), "welsh_language": jobs.Names[eventsv1.WelshLanguage](),
		"option": jobs.Names[eventsv1.PublishingOption](), "audience": jobs.Names[eventsv1.Audience](),
		"route": jobs.Names[eventsv1.StpRoute](), "stp_specialism": jobs.Names[eventsv1.StpSpecialism](),
	} {
		d.Enum(prop, values)
	}
	status := map[string]string{}
	common := []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable}
	with := func(codes ...int) []int { return append(codes, common...) }
	idParam := openapi.Param{Name: "Idempotency-Key", In: "header", Description: "makes a retry return the first answer"}
	ifMatch := openapi.Param{Name: "If-Match", In: "header", Required: true, Description: "the ETag read"}
	paging := []openapi.Param{
		{Name: "limit", In: "query", Type: "integer", Min: new(1.0), Max: new(100.0), Description: "default 20"},
		{Name: "cursor", In: "query", Description: "next_cursor of the previous page"},
	}
	filters := []openapi.Param{
		{Name: "role_family", In: "query", Enum: jobs.Names[eventsv1.RoleFamily]()},
		{Name: "band", In: "query", Enum: jobs.Names[eventsv1.Band](), Description: "this band and above"},
		{Name: "closing_after", In: "query", Format: "date"}, {Name: "closing_before", In: "query", Format: "date"},
	}

	d.Add("GET", "/healthz", openapi.Operation{Summary: "the process is alive", Responses: map[int]openapi.Response{200: {Description: "alive", Body: status}}})
	d.Add("GET", "/readyz", openapi.Operation{Summary: "ready for traffic", Responses: map[int]openapi.Response{200: {Description: "ready", Body: status}}, Problems: []int{503}})
	d.Add("GET", "/metrics", openapi.Operation{Summary: "Prometheus metrics", Responses: map[int]openapi.Response{200: {Description: "metrics", Body: "", ContentType: "text/plain"}}})
	d.Add("GET", "/openapi.json", openapi.Operation{Summary: "this document", Responses: map[int]openapi.Response{200: {Description: "the document", Body: map[string]any{}}}})

	d.Add("POST", "/v1/trusts", openapi.Operation{Summary: "onboard a trust; its first API key is shown once", Auth: openapi.Operator,
		Request: TrustInput{}, Responses: map[int]openapi.Response{201: {Description: "onboarded", Body: TrustCreated{}, Headers: []string{"Location"}}},
		Problems: with(400, 401, 403, 409, 413, 415, 422)})
	d.Add("GET", "/v1/trusts", openapi.Operation{Summary: "every trust and its keys (never the secrets)", Auth: openapi.Operator,
		Responses: map[int]openapi.Response{200: {Description: "the trusts", Body: TrustList{}}}, Problems: with(401, 403)})
	d.Add("POST", "/v1/trusts/{code}/keys", openapi.Operation{Summary: "issue a trust another API key, shown once", Auth: openapi.Operator,
		Request: KeyInput{}, Responses: map[int]openapi.Response{201: {Description: "issued", Body: KeyIssued{}}}, Problems: with(400, 401, 403, 404, 409, 413, 415, 422)})
	d.Add("DELETE", "/v1/trusts/{code}/keys/{key}", openapi.Operation{Summary: "revoke an API key", Auth: openapi.Operator,
		Responses: map[int]openapi.Response{204: {Description: "revoked"}}, Problems: with(401, 403, 404, 409)})

	d.Add("POST", "/v1/vacancies", openapi.Operation{Summary: "post a vacancy", Auth: openapi.Trust, Params: []openapi.Param{idParam},
		Request: jobs.VacancyInput{}, Responses: map[int]openapi.Response{201: {Description: "posted", Body: jobs.VacancyView{}, Headers: []string{"Location", "ETag"}}},
		Problems: with(400, 401, 403, 409, 413, 415, 422)})
	// Each vacancy of a bulk is checked on its own and answered in the
	// results, so the request's schema holds only that each is an object.
	d.Add("POST", "/v1/vacancies/bulk", openapi.Operation{Summary: "post many vacancies (NDJSON or a JSON array), each a VacancyInput checked and answered on its own", Auth: openapi.Trust,
		Params: []openapi.Param{idParam}, Request: []map[string]any{}, RequestTypes: []string{"application/x-ndjson", "application/json"},
		Responses: map[int]openapi.Response{200: {Description: "one result per vacancy", Body: BulkAnswer{}}}, Problems: with(400, 401, 403, 413, 415, 422)})
	d.Add("GET", "/v1/vacancies", openapi.Operation{Summary: "open vacancies, filtered: public ones to anyone; internal and restricted ones also to their trust's key and to the candidates whose token shows they may see them",
		AuthOptional: []openapi.Auth{openapi.Trust, openapi.Candidate}, Params: append(append([]openapi.Param{
			{Name: "specialism", In: "query", Enum: jobs.Names[eventsv1.Specialism]()}, {Name: "near", In: "query", Description: "latitude,longitude"},
			{Name: "within_km", In: "query", Type: "number", Max: new(float64(jobs.MaxTravelRadiusKm)), Description: "more than 0, with near or postcode; default 50"},
			{Name: "postcode", In: "query", Description: "a UK postcode, placed as vacancies' sites are; instead of near"},
			{Name: "contract", In: "query", Enum: jobs.Names[eventsv1.Contract]()},
			{Name: "working_pattern", In: "query", Enum: jobs.Names[eventsv1.WorkingPattern](), Description: "vacancies offering this pattern"}}, filters...), paging...),
		Responses: map[int]openapi.Response{200: {Description: "a page", Body: VacancyList{}}}, Problems: with(401, 422)})
	d.Add("GET", "/v1/vacancies/{id}", openapi.Operation{Summary: "a vacancy (Accept: application/ld+json for a schema.org JobPosting, public vacancies only); an internal or restricted one is not found but by its trust's key or the token of a candidate who may see it",
		AuthOptional: []openapi.Auth{openapi.Trust, openapi.Candidate},
		Responses: map[int]openapi.Response{200: {Description: "the vacancy", Body: jobs.VacancyView{}, Headers: []string{"ETag"},
			Alternatives: map[string]any{"application/ld+json": map[string]any{}}}}, Problems: with(401, 404)})
	d.Add("GET", "/v1/vacancies/{id}/jobposting", openapi.Operation{Summary: "a public vacancy as a schema.org JobPosting (an internal or restricted one has none)", AuthOptional: []openapi.Auth{openapi.Trust, openapi.Candidate},
		Responses: map[int]openapi.Response{200: {Description: "JSON-LD", Body: map[string]any{}, ContentType: "application/ld+json"}}, Problems: with(401, 404)})
	d.Add("PUT", "/v1/vacancies/{id}", openapi.Operation{Summary: "replace an open vacancy's details", Auth: openapi.Trust, Params: []openapi.Param{ifMatch},
		Request: jobs.VacancyInput{}, Responses: map[int]openapi.Response{200: {Description: "replaced", Body: jobs.VacancyView{}, Headers: []string{"ETag"}}},
		Problems: with(400, 401, 403, 404, 409, 412, 413, 415, 422, 428)})
	d.Add("POST", "/v1/vacancies/{id}/close", openapi.Operation{Summary: "close a vacancy now", Auth: openapi.Trust,
		Responses: map[int]openapi.Response{200: {Description: "closed", Body: jobs.VacancyView{}, Headers: []string{"ETag"}}}, Problems: with(401, 403, 404, 409, 412, 413)})
	d.Add("POST", "/v1/vacancies/{id}/withdraw", openapi.Operation{Summary: "withdraw a vacancy", Auth: openapi.Trust, Request: ReasonInput{},
		Responses: map[int]openapi.Response{200: {Description: "withdrawn", Body: jobs.VacancyView{}, Headers: []string{"ETag"}}}, Problems: with(400, 401, 403, 404, 409, 412, 413, 415, 422)})
	d.Add("GET", "/v1/vacancies/{id}/stats", openapi.Operation{Summary: "how many candidates a vacancy matched and how many were alerted", Auth: openapi.Trust,
		Responses: map[int]openapi.Response{200: {Description: "counts", Body: VacancyStats{}}}, Problems: with(401, 403, 404)})
	d.Add("GET", "/v1/trust/vacancies", openapi.Operation{Summary: "the trust's own vacancies, filtered", Auth: openapi.Trust,
		Params:    append(append([]openapi.Param{{Name: "status", In: "query", Enum: jobs.Names[eventsv1.VacancyStatus]()}}, filters...), paging...),
		Responses: map[int]openapi.Response{200: {Description: "a page", Body: VacancyList{}}}, Problems: with(401, 403, 422)})

	d.Add("POST", "/v1/vacancies/{id}/claim", openapi.Operation{Summary: "claim a vacancy imported from the trust's own advert, to correct and enrich it; the importer stops writing the fields the trust sets",
		Auth: openapi.Trust, Responses: map[int]openapi.Response{200: {Description: "claimed", Body: jobs.VacancyView{}, Headers: []string{"ETag"}}}, Problems: with(401, 403, 404, 409, 412, 413)})
	d.Add("GET", "/v1/imports", openapi.Operation{Summary: "the importer's latest runs: fetched, new, updated, closed, skipped, failed, the last error", Auth: openapi.Operator,
		Responses: map[int]openapi.Response{200: {Description: "the runs, newest first", Body: ImportRuns{}}}, Problems: with(401, 403)})
	d.Add("POST", "/v1/imports/run", openapi.Operation{Summary: "run the importer now", Auth: openapi.Operator,
		Responses: map[int]openapi.Response{200: {Description: "the run's record", Body: ImportRun{}}}, Problems: with(401, 403, 409, 413)})
	d.Add("GET", "/v1/feed.xml", openapi.Operation{Summary: "the open public vacancies posted here, as the XML feed job aggregators take (Indeed's format)",
		Responses: map[int]openapi.Response{200: {Description: "the feed", Body: "", ContentType: "application/xml"}}})

	d.Add("POST", "/v1/candidates", openapi.Operation{Summary: "sign up; the token is shown once", Params: []openapi.Param{idParam},
		Request: jobs.CandidateInput{}, Responses: map[int]openapi.Response{201: {Description: "signed up", Body: SignedUp{}, Headers: []string{"Location", "ETag"}}},
		Problems: with(400, 409, 413, 415, 422)})
	d.Add("GET", "/v1/candidates/{id}", openapi.Operation{Summary: "the candidate's profile", Auth: openapi.Candidate,
		Responses: map[int]openapi.Response{200: {Description: "the profile", Body: jobs.CandidateView{}, Headers: []string{"ETag"}}}, Problems: with(401, 404)})
	d.Add("PUT", "/v1/candidates/{id}", openapi.Operation{Summary: "replace the profile", Auth: openapi.Candidate, Params: []openapi.Param{ifMatch},
		Request: jobs.CandidateInput{}, Responses: map[int]openapi.Response{200: {Description: "replaced", Body: jobs.CandidateView{}, Headers: []string{"ETag"}}},
		Problems: with(400, 401, 404, 412, 413, 415, 422, 428)})
	d.Add("DELETE", "/v1/candidates/{id}", openapi.Operation{Summary: "erase the candidate from every store", Auth: openapi.Candidate,
		Responses: map[int]openapi.Response{204: {Description: "erased"}}, Problems: with(401, 404)})
	d.Add("POST", "/v1/candidates/{id}/token", openapi.Operation{Summary: "a new token; the old one stops working", Auth: openapi.Candidate,
		Responses: map[int]openapi.Response{200: {Description: "the new token", Body: NewToken{}}}, Problems: with(401, 404, 409)})
	d.Add("GET", "/v1/candidates/{id}/export", openapi.Operation{Summary: "everything held about the candidate, as one document", Auth: openapi.Candidate,
		Responses: map[int]openapi.Response{200: {Description: "the export", Body: Export{}}}, Problems: with(401, 404)})
	return d
}
