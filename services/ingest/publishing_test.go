package ingest_test

import (
	"strings"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/services/ingest"
)

// TestInternalVacancyIsSeenOnlyByWhomItIsFor: an internal vacancy is read
// (by id, in the open list) by its trust and by a candidate who says they
// work there; a stranger, another trust's staff and another trust get 404
// by id, do not find it in the list, and nobody gets a JobPosting of it.
// An internal advert without the trust's declaration is refused, named.
func TestInternalVacancyIsSeenOnlyByWhomItIsFor(t *testing.T) {
	t.Parallel()
	f := start(t)
	key, other := f.trust("RJ1"), f.trust("RTH")

	undeclared := vacancy(t, "INT-0")
	undeclared["publishing"] = map[string]any{"option": "internal", "audience": "trust"}
	if a := f.do("POST", "/v1/vacancies", key, undeclared, nil).want(t, 422); !strings.Contains(string(a.Body), "/publishing/policy_declared") {
		t.Fatalf("undeclared internal advert: %s", a.Body)
	}
	internal := vacancy(t, "INT-1")
	internal["publishing"] = map[string]any{"option": "internal", "audience": "trust", "policy_declared": true}
	var posted jobs.VacancyView
	f.do("POST", "/v1/vacancies", key, internal, nil).want(t, 201).json(t, &posted)
	if posted.Publishing.Option != "internal" || posted.Publishing.Audience != "trust" || !posted.Publishing.PolicyDeclared {
		t.Fatalf("publishing reads back %+v", posted.Publishing)
	}
	var public jobs.VacancyView
	f.do("POST", "/v1/vacancies", key, vacancy(t, "PUB-1"), nil).want(t, 201).json(t, &public)
	if public.Publishing.Option != "public" {
		t.Fatalf("a vacancy posted without publishing reads %+v", public.Publishing)
	}

	staff := example(t, "candidate.json")
	staff["employment"] = map[string]any{"trusts": []string{"rj1"}}
	_, staffToken := f.signUp(staff)
	elsewhere := example(t, "candidate.json")
	elsewhere["employment"] = map[string]any{"trusts": []string{"RTH"}}
	_, elsewhereToken := f.signUp(elsewhere)

	path := "/v1/vacancies/" + posted.ID
	for _, who := range []struct {
		name, bearer string
		status       int
	}{{"stranger", "", 404}, {"another trust's staff", elsewhereToken, 404}, {"another trust", other, 404}, {"its trust", key, 200}, {"its staff", staffToken, 200}} {
		f.do("GET", path, who.bearer, nil, nil).want(t, who.status)
		f.do("GET", path+"/jobposting", who.bearer, nil, nil).want(t, 404)
		f.do("GET", path, who.bearer, nil, map[string]string{"Accept": "application/ld+json"}).want(t, 404)
		f.eventually(func() bool {
			var list ingest.VacancyList
			f.do("GET", "/v1/vacancies?limit=100", who.bearer, nil, nil).want(t, 200).json(t, &list)
			seen := map[string]bool{}
			for _, v := range list.Vacancies {
				seen[v.ID] = true
			}
			return seen[public.ID] && seen[posted.ID] == (who.status == 200)
		}, who.name+" lists the internal vacancy exactly when they may see it")
	}
	f.do("GET", "/v1/vacancies/"+public.ID+"/jobposting", "", nil, nil).want(t, 200)
	// A credential that does not check out is refused, not read as a stranger.
	f.do("GET", path, "cjc.nobody.0123456789abcdef0123456789abcdef", nil, nil).want(t, 401)
}
