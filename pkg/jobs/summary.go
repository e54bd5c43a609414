package jobs

import (
	"time"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Summarize returns what an alert or a match list says of v.
func Summarize(v *eventsv1.Vacancy) *eventsv1.VacancySummary {
	return &eventsv1.VacancySummary{
		Id:             v.GetId(),
		Title:          v.GetTitle(),
		TrustName:      v.GetTrust().GetName(),
		RoleFamily:     v.GetRoleFamily(),
		Band:           v.GetBand(),
		SalaryMin:      v.GetSalaryMin(),
		SalaryMax:      v.GetSalaryMax(),
		SiteName:       v.GetSite().GetName(),
		ClosingDate:    v.GetClosingDate(),
		ApplyUrl:       v.GetApply().GetUrl(),
		Specialisms:    v.GetSpecialisms(),
		ClosesAtUnixMs: v.GetClosesAtUnixMs(),
		PostedAtUnixMs: v.GetCreatedAtUnixMs(),
	}
}

// SummaryView is a vacancy in brief, as alerts and match lists show it.
type SummaryView struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	TrustName   string     `json:"trust_name"`
	RoleFamily  string     `json:"role_family"`
	Band        string     `json:"band"`
	Salary      SalaryView `json:"salary"`
	SiteName    string     `json:"site_name"`
	Specialisms []string   `json:"specialisms"`
	ClosingDate string     `json:"closing_date"`
	ClosesAt    time.Time  `json:"closes_at"`
	ApplyURL    string     `json:"apply_url,omitempty"`
	URL         string     `json:"url"`
}

// ViewSummary returns the view of s.
func ViewSummary(s *eventsv1.VacancySummary) SummaryView {
	return SummaryView{
		ID:          s.GetId(),
		Title:       s.GetTitle(),
		TrustName:   s.GetTrustName(),
		RoleFamily:  Name(s.GetRoleFamily()),
		Band:        Name(s.GetBand()),
		Salary:      SalaryView{Min: s.GetSalaryMin(), Max: s.GetSalaryMax(), Currency: "GBP", Period: "year"},
		SiteName:    s.GetSiteName(),
		Specialisms: NamesOf(s.GetSpecialisms()),
		ClosingDate: s.GetClosingDate(),
		ClosesAt:    time.UnixMilli(s.GetClosesAtUnixMs()).UTC(),
		ApplyURL:    s.GetApplyUrl(),
		URL:         "/v1/vacancies/" + s.GetId(),
	}
}
