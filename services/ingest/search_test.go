package ingest_test

import (
	"testing"

	"github.com/clinjobs/clinjobs/services/ingest"
)

// TestSearchFilters: the public list's filters that the web search asks
// for: contract, working pattern, and a postcode for a place (its point
// given back, for distances).
func TestSearchFilters(t *testing.T) {
	t.Parallel()
	f := start(t)
	key := f.trust("RJ1")
	london := vacancy(t, "S-LONDON")
	london["working_patterns"] = []string{"full_time", "flexible"}
	manchester := vacancy(t, "S-MANCHESTER")
	manchester["contract"], manchester["fixed_term_months"] = "fixed_term", 12
	manchester["hours"], manchester["working_patterns"] = "part_time", []string{"part_time"}
	manchester["site"] = map[string]any{"name": "Manchester Royal Infirmary", "latitude": 53.4626, "longitude": -2.2273}
	for _, v := range []map[string]any{london, manchester} {
		f.do("POST", "/v1/vacancies", key, v, nil).want(t, 201)
	}
	list := func(query string) ingest.VacancyList {
		var l ingest.VacancyList
		f.do("GET", "/v1/vacancies?"+query, "", nil, nil).want(t, 200).json(t, &l)
		return l
	}
	for query, want := range map[string]string{
		"contract=permanent":                      "S-LONDON",
		"contract=fixed_term":                     "S-MANCHESTER",
		"contract=bank":                           "",
		"working_pattern=flexible":                "S-LONDON",
		"working_pattern=part_time":               "S-MANCHESTER",
		"postcode=M13+9WL&within_km=30":           "S-MANCHESTER",
		"postcode=se17eh":                         "S-LONDON",
		"postcode=SE1+7EH&contract=fixed_term":    "",
		"postcode=M13+9WL&near=51.5,-0.12":        "S-LONDON", // near wins
		"working_pattern=full_time&contract=bank": "",
	} {
		l := list(query)
		got := ""
		for _, v := range l.Vacancies {
			got += v.Reference
		}
		if got != want {
			t.Errorf("%s: %q, want %q", query, got, want)
		}
	}
	if l := list("postcode=M13+9WL"); l.Near == nil || l.Near.Latitude < 53 || l.Near.Latitude > 54 {
		t.Errorf("a search by M13 9WL was made around %+v; want a point in Manchester", l.Near)
	}
	if l := list("contract=permanent"); l.Near != nil {
		t.Errorf("a search with no place says it was made around %+v", l.Near)
	}
	for _, bad := range []string{"contract=zero_hours", "working_pattern=nights", "postcode=NOT+A+POSTCODE", "postcode=QQ1+1QQ",
		"postcode=SE1+7EH&within_km=0", "postcode=SE1+7EH&within_km=NaN"} {
		f.do("GET", "/v1/vacancies?"+bad, "", nil, nil).want(t, 422)
	}
}
