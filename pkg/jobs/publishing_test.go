package jobs_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/pkg/strictjson"
)

// advert reads one of the six adverts of pkg/match's table.
func advert(t *testing.T, name string) jobs.VacancyInput {
	t.Helper()
	data, err := os.ReadFile("../match/testdata/adverts/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var in jobs.VacancyInput
	if err := strictjson.Decode(data, &in); err != nil {
		t.Fatal(err)
	}
	return in
}

// TestAdvertRules: the publishing options, the STP's routes and an
// apprenticeship's training are checked as the issue states, each broken
// rule named by its field; the adverts as written pass.
func TestAdvertRules(t *testing.T) {
	t.Parallel()
	when := time.Date(2027, 1, 4, 9, 0, 0, 0, jobs.London)
	internal := &jobs.PublishingInput{Option: "internal", Audience: "trust", PolicyDeclared: true}
	tests := []struct {
		name, advert string
		edit         func(in *jobs.VacancyInput)
		field        string // "" when the advert stands
	}{
		{"stp as written", "stp-direct-entry", func(*jobs.VacancyInput) {}, ""},
		{"apprenticeship as written", "apprentice-band3", func(*jobs.VacancyInput) {}, ""},
		{"internal to the trust", "ebme-band5", func(in *jobs.VacancyInput) { in.Publishing = internal }, ""},
		{"internal, undeclared", "ebme-band5", func(in *jobs.VacancyInput) {
			in.Publishing = &jobs.PublishingInput{Option: "internal", Audience: "trust"}
		}, "/publishing/policy_declared"},
		{"internal to the NHS", "ebme-band5", func(in *jobs.VacancyInput) {
			in.Publishing = &jobs.PublishingInput{Option: "internal", Audience: "nhs", PolicyDeclared: true}
		}, "/publishing/audience"},
		{"restricted nationally", "ebme-band5", func(in *jobs.VacancyInput) {
			in.Publishing = &jobs.PublishingInput{Option: "restricted", Audience: "nhs", PolicyDeclared: true, ReleaseIfUnfilled: true}
		}, ""},
		{"group without trusts", "ebme-band5", func(in *jobs.VacancyInput) {
			in.Publishing = &jobs.PublishingInput{Option: "internal", Audience: "group", GroupName: "SEL", PolicyDeclared: true}
		}, "/publishing/group_trusts"},
		{"group of a bad code", "ebme-band5", func(in *jobs.VacancyInput) {
			in.Publishing = &jobs.PublishingInput{Option: "internal", Audience: "group", GroupName: "SEL", GroupTrusts: []string{"R-J1"}, PolicyDeclared: true}
		}, "/publishing/group_trusts/0"},
		{"public with an audience", "ebme-band5", func(in *jobs.VacancyInput) {
			in.Publishing = &jobs.PublishingInput{Option: "public", Audience: "trust"}
		}, "/publishing"},
		{"stp missing", "stp-direct-entry", func(in *jobs.VacancyInput) { in.STP = nil }, "/stp"},
		{"stp on another post", "ebme-band5", func(in *jobs.VacancyInput) { in.STP = &jobs.STPInput{Route: "in_service"} }, "/stp"},
		{"direct entry at band 5", "stp-direct-entry", func(in *jobs.VacancyInput) { in.Band, in.Salary = "5", &jobs.SalaryInput{Min: 31049, Max: 37796} }, "/band"},
		{"direct entry in October", "stp-direct-entry", func(in *jobs.VacancyInput) { in.StartDate = "2027-10-04" }, "/start_date"},
		{"direct entry internal", "stp-direct-entry", func(in *jobs.VacancyInput) { in.Publishing = internal }, "/publishing"},
		{"closing outside the window", "stp-direct-entry", func(in *jobs.VacancyInput) { in.STP.WindowCloses = "2027-01-20" }, "/closing_date"},
		{"direct entry without a specialism", "stp-direct-entry", func(in *jobs.VacancyInput) { in.STP.STPSpecialism = "" }, "/stp/stp_specialism"},
		{"intake year not the start's", "stp-direct-entry", func(in *jobs.VacancyInput) { in.STP.IntakeYear = 2028 }, "/stp/intake_year"},
		{"an MSc asked as essential", "stp-direct-entry", func(in *jobs.VacancyInput) { in.Requirements.MSc = true }, "/requirements"},
		{"in service, public", "stp-direct-entry", func(in *jobs.VacancyInput) {
			in.STP = &jobs.STPInput{Route: "in_service", STPSpecialism: "rehabilitation_engineering"}
		}, "/publishing"},
		{"in service, internal", "stp-direct-entry", func(in *jobs.VacancyInput) {
			in.STP, in.Publishing = &jobs.STPInput{Route: "in_service", STPSpecialism: "rehabilitation_engineering"}, internal
		}, ""},
		{"apprenticeship missing", "apprentice-band3", func(in *jobs.VacancyInput) { in.Apprenticeship = nil }, "/apprenticeship"},
		{"apprenticeship level 8", "apprentice-band3", func(in *jobs.VacancyInput) { in.Apprenticeship.Level = 8 }, "/apprenticeship/level"},
		{"too little off the job", "apprentice-band3", func(in *jobs.VacancyInput) { in.Apprenticeship.OffTheJobHoursPerWeek = 4 }, "/apprenticeship/off_the_job_hours_per_week"},
		{"too short", "apprentice-band3", func(in *jobs.VacancyInput) { in.Apprenticeship.DurationMonths = 6 }, "/apprenticeship/duration_months"},
		{"linked to no site", "apprentice-band3", func(in *jobs.VacancyInput) { in.Apprenticeship.LinkedSite = "Elsewhere" }, "/apprenticeship/linked_site"},
		{"bad standard reference", "apprentice-band3", func(in *jobs.VacancyInput) { in.Apprenticeship.StandardReference = "ST45" }, "/apprenticeship/standard_reference"},
		{"no qualification gained", "apprentice-band3", func(in *jobs.VacancyInput) { in.Apprenticeship.QualificationGained = "" }, "/apprenticeship/qualification_gained"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := advert(t, tt.advert)
			tt.edit(&in)
			v, err := in.Check(context.Background(), when, nil)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", problem.DetailsOf(err).Errors)
				}
				view := jobs.ViewVacancy(v)
				if in.STP != nil && (view.STP == nil || view.STP.Route != in.STP.Route) || in.Apprenticeship != nil && view.Apprenticeship == nil {
					t.Fatalf("reads back %+v %+v", view.STP, view.Apprenticeship)
				}
				return
			}
			for _, f := range problem.DetailsOf(err).Errors {
				if f.Field == tt.field {
					return
				}
			}
			t.Errorf("errors %+v do not name %s", problem.DetailsOf(err).Errors, tt.field)
		})
	}
}

// TestEmploymentDeclared: ODS codes are upper-cased and imply an NHS
// employer; restricted status needs one.
func TestEmploymentDeclared(t *testing.T) {
	t.Parallel()
	var in jobs.CandidateInput
	if err := strictjson.Decode(readExample(t, "candidate.json"), &in); err != nil {
		t.Fatal(err)
	}
	in.Employment = &jobs.EmploymentInput{Trusts: []string{"rj1", "RJ1"}, RestrictedStatus: true}
	c, err := in.Check(context.Background(), now, gazetteer(t))
	if err != nil {
		t.Fatal(err)
	}
	if e := c.GetEmployment(); len(e.GetTrusts()) != 1 || e.GetTrusts()[0] != "RJ1" || !e.GetNhs() || !e.GetRestrictedStatus() {
		t.Fatalf("employment %v", e)
	}
	in.Employment = &jobs.EmploymentInput{RestrictedStatus: true}
	if _, err := in.Check(context.Background(), now, gazetteer(t)); len(problem.DetailsOf(err).Errors) != 1 ||
		problem.DetailsOf(err).Errors[0].Field != "/employment/restricted_status" {
		t.Fatalf("restricted status without an employer: %v", err)
	}
}
