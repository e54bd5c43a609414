package jobs

import (
	"context"
	"slices"
	"time"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// CandidateInput is a candidate's profile as they write it at sign-up or replace it.
type CandidateInput struct {
	Email             string      `json:"email"`
	Name              string      `json:"name,omitempty"`
	Home              *PlaceInput `json:"home"`
	TravelRadiusKm    int32       `json:"travel_radius_km,omitempty"`
	WillingToRelocate bool        `json:"willing_to_relocate,omitempty"`
	RoleFamilies      []string    `json:"role_families"`
	Specialisms       []string    `json:"specialisms,omitempty"`
	MinBand           string      `json:"min_band,omitempty"`
	Contracts         []string    `json:"contracts,omitempty"`
	// Hours (full_time, part_time) is read as working patterns.
	Hours []string `json:"hours,omitempty"`
	// WorkingPatterns wanted: any of them will do (none: any pattern).
	WorkingPatterns []string `json:"working_patterns,omitempty"`
	// Settings wanted (none: any setting).
	Settings       []string             `json:"settings,omitempty"`
	Qualifications *QualificationsInput `json:"qualifications,omitempty"`
	AvailableFrom  string               `json:"available_from,omitempty" api:"format=date"`
	// MinSalary is the lowest full-time salary wanted, pounds a year (0: any).
	MinSalary int32 `json:"min_salary,omitempty" api:"min=0,max=300000"`
	// Employment is who they say they work for, which decides the internal
	// and restricted vacancies they see (none: public ones only).
	Employment *EmploymentInput `json:"employment,omitempty"`
}

// MaxTravelRadiusKm bounds a travel radius: beyond it, say willing_to_relocate.
const MaxTravelRadiusKm = 1000

// Check checks every field of in as of now, resolves the home postcode and
// returns the profile it describes, without id and times. Unset contracts,
// hours and minimum band accept any.
func (in *CandidateInput) Check(ctx context.Context, now time.Time, r Resolver) (*eventsv1.Candidate, error) {
	var c checker
	cand := &eventsv1.Candidate{
		Email:             c.email("/email", in.Email, true),
		Name:              c.text("/name", in.Name, 0, 200, false),
		WillingToRelocate: in.WillingToRelocate,
		RoleFamilies:      enumList[eventsv1.RoleFamily](&c, "/role_families", in.RoleFamilies, true),
		Specialisms:       enumList[eventsv1.Specialism](&c, "/specialisms", in.Specialisms, false),
		MinBand:           enumField[eventsv1.Band](&c, "/min_band", in.MinBand, false),
		Contracts:         enumList[eventsv1.Contract](&c, "/contracts", in.Contracts, false),
		WorkingPatterns:   enumList[eventsv1.WorkingPattern](&c, "/working_patterns", in.WorkingPatterns, false),
		Settings:          enumList[eventsv1.Setting](&c, "/settings", in.Settings, false),
		Qualifications:    c.qualifications("/qualifications", in.Qualifications),
		Employment:        c.employment("/employment", in.Employment),
	}
	for _, h := range enumList[eventsv1.Hours](&c, "/hours", in.Hours, false) {
		if p := eventsv1.WorkingPattern(h); !slices.Contains(cand.WorkingPatterns, p) {
			cand.WorkingPatterns = append(cand.WorkingPatterns, p)
		}
	}
	if in.MinSalary < 0 || in.MinSalary > MaxSalary {
		c.add("/min_salary", "must be 0 to £%d a year", MaxSalary)
	}
	cand.MinSalary = in.MinSalary
	if cand.MinBand == 0 {
		cand.MinBand = eventsv1.Band_BAND_2
	}
	switch {
	case in.TravelRadiusKm < 0 || in.TravelRadiusKm > MaxTravelRadiusKm:
		c.add("/travel_radius_km", "must be 1 to %d km", MaxTravelRadiusKm)
	case in.TravelRadiusKm == 0 && !in.WillingToRelocate:
		c.add("/travel_radius_km", "is required (1 to %d km) unless willing_to_relocate is true", MaxTravelRadiusKm)
	}
	cand.TravelRadiusKm = in.TravelRadiusKm
	home := c.place("/home", in.Home)
	// A date in the past says the candidate is available now; one further
	// back than a start date may be ahead is a mistake, not a profile.
	if from, ok := c.date("/available_from", in.AvailableFrom, false); ok {
		today := Today(now)
		if from.After(today.Add(MaxStartAhead)) || from.Before(today.Add(-MaxStartAhead)) {
			c.add("/available_from", "must be within three years of today")
		} else {
			cand.AvailableFrom = FormatDate(from)
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	loc, err := home.resolve(ctx, r, &c)
	if err != nil {
		return nil, err
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	cand.Home = loc
	return cand, nil
}

// CandidateView is a profile as its candidate reads it.
type CandidateView struct {
	ID                string    `json:"id"`
	Email             string    `json:"email"`
	Name              string    `json:"name,omitempty"`
	Home              PlaceView `json:"home"`
	TravelRadiusKm    int32     `json:"travel_radius_km"`
	WillingToRelocate bool      `json:"willing_to_relocate"`
	RoleFamilies      []string  `json:"role_families"`
	Specialisms       []string  `json:"specialisms"`
	MinBand           string    `json:"min_band"`
	Contracts         []string  `json:"contracts"`
	// Hours is the full_time and part_time of WorkingPatterns, as before.
	Hours           []string            `json:"hours"`
	WorkingPatterns []string            `json:"working_patterns"`
	Settings        []string            `json:"settings"`
	Qualifications  QualificationsInput `json:"qualifications"`
	AvailableFrom   string              `json:"available_from,omitempty" api:"format=date"`
	MinSalary       int32               `json:"min_salary,omitempty"`
	Employment      *EmploymentInput    `json:"employment,omitempty"`
	CreatedAt       time.Time           `json:"created_at"`
	UpdatedAt       time.Time           `json:"updated_at"`
}

// ViewCandidate returns the view of c, read in the current shape.
func ViewCandidate(c *eventsv1.Candidate) CandidateView {
	c = eventsv1.UpgradeCandidate(c)
	var hours []string
	for _, p := range c.GetWorkingPatterns() {
		if p == eventsv1.WorkingPattern_WORKING_PATTERN_FULL_TIME || p == eventsv1.WorkingPattern_WORKING_PATTERN_PART_TIME {
			hours = append(hours, Name(p))
		}
	}
	return CandidateView{
		ID:                c.GetId(),
		Email:             c.GetEmail(),
		Name:              c.GetName(),
		Home:              placeView(c.GetHome()),
		TravelRadiusKm:    c.GetTravelRadiusKm(),
		WillingToRelocate: c.GetWillingToRelocate(),
		RoleFamilies:      NamesOf(c.GetRoleFamilies()),
		Specialisms:       NamesOf(c.GetSpecialisms()),
		MinBand:           Name(c.GetMinBand()),
		Contracts:         NamesOf(c.GetContracts()),
		Hours:             append([]string{}, hours...),
		WorkingPatterns:   NamesOf(c.GetWorkingPatterns()),
		Settings:          NamesOf(c.GetSettings()),
		Qualifications:    qualificationsView(c.GetQualifications()),
		AvailableFrom:     c.GetAvailableFrom(),
		MinSalary:         c.GetMinSalary(),
		Employment:        employmentView(c.GetEmployment()),
		CreatedAt:         time.UnixMilli(c.GetCreatedAtUnixMs()).UTC(),
		UpdatedAt:         time.UnixMilli(c.GetUpdatedAtUnixMs()).UTC(),
	}
}
