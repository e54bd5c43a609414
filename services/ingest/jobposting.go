package ingest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/match"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// JobPosting returns v as a schema.org JobPosting, the structured data job
// search engines read.
func JobPosting(v *eventsv1.Vacancy) map[string]any {
	loc := v.GetSite().GetLocation()
	address := map[string]any{"@type": "PostalAddress", "addressCountry": "GB", "name": v.GetSite().GetName()}
	if pc := loc.GetPostcode(); pc != "" {
		address["postalCode"] = pc
	}
	v = eventsv1.UpgradeVacancy(v)
	var employment []string
	for _, p := range v.GetWorkingPatterns() {
		switch p {
		case eventsv1.WorkingPattern_WORKING_PATTERN_FULL_TIME:
			employment = append(employment, "FULL_TIME")
		case eventsv1.WorkingPattern_WORKING_PATTERN_PART_TIME, eventsv1.WorkingPattern_WORKING_PATTERN_JOB_SHARE:
			if !slices.Contains(employment, "PART_TIME") {
				employment = append(employment, "PART_TIME")
			}
		}
	}
	switch v.GetContract() {
	case eventsv1.Contract_CONTRACT_FIXED_TERM, eventsv1.Contract_CONTRACT_SECONDMENT:
		employment = append(employment, "TEMPORARY")
	case eventsv1.Contract_CONTRACT_BANK:
		employment = append(employment, "PER_DIEM")
	case eventsv1.Contract_CONTRACT_TRAINING, eventsv1.Contract_CONTRACT_APPRENTICESHIP:
		employment = append(employment, "INTERN")
	}
	out := map[string]any{
		"@context":       "https://schema.org/",
		"@type":          "JobPosting",
		"title":          v.GetTitle(),
		"description":    v.GetDescription(),
		"identifier":     map[string]any{"@type": "PropertyValue", "name": v.GetTrust().GetName(), "value": v.GetReference()},
		"datePosted":     v.GetPostedDate(),
		"validThrough":   time.UnixMilli(v.GetClosesAtUnixMs()).UTC().Format(time.RFC3339),
		"employmentType": employment,
		"hiringOrganization": map[string]any{
			"@type": "Organization", "name": v.GetTrust().GetName(),
			"identifier": map[string]any{"@type": "PropertyValue", "propertyID": "NHS ODS code", "value": v.GetTrust().GetCode()},
		},
		"jobLocation": map[string]any{
			"@type": "Place", "address": address,
			"geo": map[string]any{"@type": "GeoCoordinates", "latitude": loc.GetLatitude(), "longitude": loc.GetLongitude()},
		},
		"baseSalary": map[string]any{
			"@type": "MonetaryAmount", "currency": "GBP",
			"value": map[string]any{"@type": "QuantitativeValue", "minValue": v.GetSalaryMin(), "maxValue": v.GetSalaryMax(), "unitText": "YEAR"},
		},
		"industry":             "Healthcare",
		"occupationalCategory": strings.ReplaceAll(jobs.Name(v.GetRoleFamily()), "_", " "),
		"qualifications":       strings.Join(requirementWords(v.GetRequirements()), "; "),
		"salaryCurrency":       "GBP",
	}
	if others := v.GetOtherSites(); len(others) > 0 {
		places := []any{out["jobLocation"]}
		for _, site := range others {
			addr := map[string]any{"@type": "PostalAddress", "addressCountry": "GB", "name": site.GetName()}
			if pc := site.GetLocation().GetPostcode(); pc != "" {
				addr["postalCode"] = pc
			}
			places = append(places, map[string]any{"@type": "Place", "address": addr, "geo": map[string]any{"@type": "GeoCoordinates",
				"latitude": site.GetLocation().GetLatitude(), "longitude": site.GetLocation().GetLongitude()}})
		}
		out["jobLocation"] = places
	}
	if n := v.GetPosts(); n > 1 {
		out["totalJobOpenings"] = n
	}
	if d := v.GetStartDate(); d != "" {
		out["jobStartDate"] = d
	}
	if u := v.GetApply().GetUrl(); u != "" {
		out["url"] = u
		out["directApply"] = false
	}
	if v.GetStatus() != eventsv1.VacancyStatus_VACANCY_STATUS_OPEN {
		// Search engines drop a posting whose validThrough has passed.
		out["validThrough"] = time.UnixMilli(v.GetUpdatedAtUnixMs()).UTC().Format(time.RFC3339)
	}
	return out
}

// requirementWords lists what a vacancy asks for, in words.
func requirementWords(r *eventsv1.Requirements) []string {
	var out []string
	if r.GetMinDegreeClass() != 0 {
		subjects := jobs.NamesOf(r.GetDegreeSubjects())
		what := "an honours degree of " + jobs.Name(r.GetMinDegreeClass()) + " or better"
		if len(subjects) > 0 {
			what += " in " + strings.ReplaceAll(strings.Join(subjects, ", "), "_", " ")
		}
		out = append(out, what)
	}
	if r.GetAccreditedDegree() {
		out = append(out, "an accredited degree")
	}
	if r.GetMsc() {
		out = append(out, "an MSc")
	}
	if r.GetNvq() {
		out = append(out, "an NVQ")
	}
	for _, reg := range r.GetRegistrations() {
		out = append(out, strings.ToUpper(jobs.Name(reg))+" registration")
	}
	if n := r.GetMinALevels(); n > 0 {
		out = append(out, "A levels")
	}
	if n := r.GetMinYearsExperience(); n > 0 {
		out = append(out, "experience")
	}
	for _, g := range r.GetEssential() {
		out = append(out, match.Describe(g))
	}
	return out
}

// jsonLD renders JSON-LD.
type jsonLD struct{ data any }

func (r jsonLD) Render(w http.ResponseWriter) error {
	r.WriteContentType(w)
	return json.NewEncoder(w).Encode(r.data)
}

func (r jsonLD) WriteContentType(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/ld+json")
}
