package e2etest

import (
	"fmt"
	"time"

	"github.com/clinjobs/clinjobs/pkg/jobs"
)

// Place is a point for builders.
type Place struct{ Lat, Lon float64 }

// Places of NHS hospitals, for vacancies and homes that match or not.
var (
	StThomas      = Place{51.4989, -0.1187}
	ManchesterRI  = Place{53.4626, -2.2273}
	LeedsGeneral  = Place{53.8024, -1.5516}
	AddenbrookesH = Place{52.1753, 0.1403}
)

// Vacancy returns a clinical technologist vacancy at p, band 5, asking a
// 2:2 in an engineering subject, closing closesIn from now.
func Vacancy(reference string, p Place, now time.Time, closesIn time.Duration) jobs.VacancyInput {
	lat, lon := p.Lat, p.Lon
	return jobs.VacancyInput{
		Reference:   reference,
		Title:       "Clinical Technologist, Medical Equipment Management",
		Description: "Maintain and repair infusion pumps, ventilators and patient monitors.",
		RoleFamily:  "clinical_technologist",
		Specialisms: []string{"equipment_management"},
		Setting:     "acute_hospital",
		Band:        "5",
		Salary:      &jobs.SalaryInput{Min: 31049, Max: 37796},
		Contract:    "permanent",
		Hours:       "full_time",
		Site:        &jobs.SiteInput{Name: fmt.Sprintf("Site of %s", reference), PlaceInput: jobs.PlaceInput{Latitude: &lat, Longitude: &lon}},
		Requirements: &jobs.RequirementsInput{
			Degree: &jobs.DegreeReqInput{Subjects: []string{"biomedical_engineering", "electronic_engineering"}, MinClass: "2:2"},
		},
		ClosingDate: jobs.FormatDate(now.Add(closesIn)),
		Apply:       &jobs.ApplyInput{URL: "https://www.jobs.nhs.uk/candidate/jobadvert/" + reference},
	}
}

// Candidate returns a profile living at p, within radiusKm, who wants
// clinical technologist posts from band 4 and holds a 2:1 in biomedical
// engineering: a match for Vacancy at any place within the radius.
func Candidate(email string, p Place, radiusKm int32) jobs.CandidateInput {
	lat, lon := p.Lat, p.Lon
	return jobs.CandidateInput{
		Email:          email,
		Home:           &jobs.PlaceInput{Latitude: &lat, Longitude: &lon},
		TravelRadiusKm: radiusKm,
		RoleFamilies:   []string{"clinical_technologist"},
		Specialisms:    []string{"equipment_management"},
		MinBand:        "4",
		Qualifications: &jobs.QualificationsInput{
			Degree: &jobs.DegreeInput{Subject: "biomedical_engineering", Class: "2:1"},
		},
	}
}
