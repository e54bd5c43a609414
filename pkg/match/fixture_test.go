package match_test

import (
	"math"
	"time"

	"github.com/clinjobs/clinjobs/pkg/geo"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// now is the instant every fixed test evaluates at.
var now = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// leeds is the candidate's home in the fixtures.
var leeds = geo.Point{Lat: 53.8008, Lon: -1.5491}

// northOf returns the location km due north of p: along a meridian the
// haversine distance is the arc, so the rounded distance is exactly km.
func northOf(p geo.Point, km float64) *eventsv1.Location {
	return &eventsv1.Location{Latitude: p.Lat + km/(geo.EarthRadiusKm*math.Pi/180), Longitude: p.Lon}
}

func msAfter(d time.Duration) int64 { return now.Add(d).UnixMilli() }

// candidate is a clinical scientist in Leeds who meets every requirement of
// vacancy.
func candidate() *eventsv1.Candidate {
	return &eventsv1.Candidate{
		Id:             "cand-1",
		Home:           &eventsv1.Location{Latitude: leeds.Lat, Longitude: leeds.Lon},
		TravelRadiusKm: 30,
		RoleFamilies:   []eventsv1.RoleFamily{eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_SCIENTIST},
		Specialisms:    []eventsv1.Specialism{eventsv1.Specialism_SPECIALISM_RENAL, eventsv1.Specialism_SPECIALISM_RADIOTHERAPY},
		MinBand:        eventsv1.Band_BAND_6,
		Contracts:      []eventsv1.Contract{eventsv1.Contract_CONTRACT_PERMANENT},
		Hours:          []eventsv1.Hours{eventsv1.Hours_HOURS_FULL_TIME},
		Qualifications: &eventsv1.Qualifications{
			ALevels: []eventsv1.ALevelSubject{
				eventsv1.ALevelSubject_A_LEVEL_SUBJECT_MATHEMATICS,
				eventsv1.ALevelSubject_A_LEVEL_SUBJECT_PHYSICS,
				eventsv1.ALevelSubject_A_LEVEL_SUBJECT_CHEMISTRY,
			},
			Degree: &eventsv1.Degree{
				Subject: eventsv1.DegreeSubject_DEGREE_SUBJECT_BIOMEDICAL_ENGINEERING,
				Class:   eventsv1.DegreeClass_DEGREE_CLASS_UPPER_SECOND,
			},
			AccreditedDegree: true,
			Msc:              true,
			Nvq:              true,
			Registrations:    []eventsv1.Registration{eventsv1.Registration_REGISTRATION_HCPC},
			YearsExperience:  4,
		},
	}
}

// vacancy is a band 7 renal post 14 km north of the candidate's home,
// closing in 5 days.
func vacancy() *eventsv1.Vacancy {
	return &eventsv1.Vacancy{
		Id:          "vac-1",
		Title:       "Clinical Scientist (Renal)",
		RoleFamily:  eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_SCIENTIST,
		Specialisms: []eventsv1.Specialism{eventsv1.Specialism_SPECIALISM_RENAL},
		Band:        eventsv1.Band_BAND_7,
		Contract:    eventsv1.Contract_CONTRACT_PERMANENT,
		Hours:       eventsv1.Hours_HOURS_FULL_TIME,
		Site:        &eventsv1.Site{Name: "St James's University Hospital", Location: northOf(leeds, 14)},
		Requirements: &eventsv1.Requirements{
			ALevelSubjects: []eventsv1.ALevelSubject{
				eventsv1.ALevelSubject_A_LEVEL_SUBJECT_MATHEMATICS,
				eventsv1.ALevelSubject_A_LEVEL_SUBJECT_PHYSICS,
			},
			MinALevels: 3,
			DegreeSubjects: []eventsv1.DegreeSubject{
				eventsv1.DegreeSubject_DEGREE_SUBJECT_MEDICAL_ENGINEERING,
				eventsv1.DegreeSubject_DEGREE_SUBJECT_BIOMEDICAL_ENGINEERING,
			},
			MinDegreeClass:     eventsv1.DegreeClass_DEGREE_CLASS_UPPER_SECOND,
			AccreditedDegree:   true,
			Msc:                true,
			Nvq:                true,
			Registrations:      []eventsv1.Registration{eventsv1.Registration_REGISTRATION_HCPC},
			MinYearsExperience: 3,
		},
		Status:         eventsv1.VacancyStatus_VACANCY_STATUS_OPEN,
		ClosesAtUnixMs: msAfter(5 * day),
	}
}
