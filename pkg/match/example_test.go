package match_test

import (
	"fmt"
	"time"

	"github.com/clinjobs/clinjobs/pkg/match"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

func ExampleEvaluate() {
	now := time.Date(2026, time.January, 12, 9, 0, 0, 0, time.UTC)
	candidate := &eventsv1.Candidate{
		Home:           &eventsv1.Location{Latitude: 53.8008, Longitude: -1.5491}, // Leeds
		TravelRadiusKm: 30,
		RoleFamilies:   []eventsv1.RoleFamily{eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_SCIENTIST},
		Specialisms:    []eventsv1.Specialism{eventsv1.Specialism_SPECIALISM_RENAL},
		MinBand:        eventsv1.Band_BAND_6,
		Qualifications: &eventsv1.Qualifications{
			Degree: &eventsv1.Degree{
				Subject: eventsv1.DegreeSubject_DEGREE_SUBJECT_BIOMEDICAL_ENGINEERING,
				Class:   eventsv1.DegreeClass_DEGREE_CLASS_UPPER_SECOND,
			},
			Registrations:   []eventsv1.Registration{eventsv1.Registration_REGISTRATION_HCPC},
			YearsExperience: 2,
		},
	}
	vacancy := &eventsv1.Vacancy{
		RoleFamily:  eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_SCIENTIST,
		Specialisms: []eventsv1.Specialism{eventsv1.Specialism_SPECIALISM_RENAL},
		Band:        eventsv1.Band_BAND_7,
		Contract:    eventsv1.Contract_CONTRACT_PERMANENT,
		Hours:       eventsv1.Hours_HOURS_FULL_TIME,
		Site: &eventsv1.Site{
			Name:     "St James's University Hospital",
			Location: &eventsv1.Location{Latitude: 53.8067, Longitude: -1.5205},
		},
		Requirements: &eventsv1.Requirements{
			MinDegreeClass:     eventsv1.DegreeClass_DEGREE_CLASS_UPPER_SECOND,
			Registrations:      []eventsv1.Registration{eventsv1.Registration_REGISTRATION_HCPC},
			MinYearsExperience: 2,
		},
		Status:         eventsv1.VacancyStatus_VACANCY_STATUS_OPEN,
		ClosesAtUnixMs: now.Add(10 * 24 * time.Hour).UnixMilli(),
	}

	r := match.Evaluate(candidate, vacancy, now)
	fmt.Println("eligible:", r.Eligible, "score:", r.Score, "km:", r.DistanceKm)
	for _, reason := range r.Reasons {
		fmt.Println("-", reason)
	}

	// Without HCPC registration the same vacancy is a near miss: the one
	// thing standing in the way is a qualification the candidate can go and get.
	candidate.Qualifications.Registrations = nil
	r = match.Evaluate(candidate, vacancy, now)
	if miss, ok := match.NearMiss(r); ok {
		fmt.Println("near miss:", miss.Reason)
	}
	// Output:
	// eligible: true score: 97 km: 2
	// - band 7 is at or above your minimum band 6
	// - 2 km from home, within your 30 km
	// - 2:1 in biomedical engineering meets the 2:1 requirement
	// - HCPC registration held
	// - 2 years' experience meets the 2-year requirement
	// - Specialisms in common: renal
	// near miss: needs HCPC registration
}
