package match_test

import (
	"slices"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/match"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

func TestEvaluateFixtureEligible(t *testing.T) {
	t.Parallel()
	r := match.Evaluate(candidate(), vacancy(), now)
	want := []string{
		"closes in 5 days",
		"band 7 is at or above your minimum band 6",
		"14 km from home, within your 30 km",
		"A-level maths and physics held",
		"3 A levels held; 3 asked for",
		"2:1 in biomedical engineering meets the 2:1 requirement",
		"accredited degree held",
		"MSc held",
		"NVQ held",
		"HCPC registration held",
		"4 years' experience meets the 3-year requirement",
		"Specialisms in common: renal",
	}
	if !r.Eligible || len(r.Misses) != 0 {
		t.Fatalf("not eligible: %+v", r.Misses)
	}
	if !slices.Equal(r.Reasons, want) {
		t.Errorf("reasons:\n got %q\nwant %q", r.Reasons, want)
	}
	if r.DistanceKm != 14 {
		t.Errorf("distance %v km, want 14", r.DistanceKm)
	}
	// 30 specialisms + 13 distance (25 × 16/30) + 20 band + 15 experience + 10 closing.
	if r.Score != 88 {
		t.Errorf("score %d, want 88", r.Score)
	}
}

// TestEvaluateRules changes the eligible fixture in one way at a time: each
// case either still passes every rule or fails exactly the rule named, with
// the reason given.
func TestEvaluateRules(t *testing.T) {
	t.Parallel()
	type (
		C = eventsv1.Candidate
		V = eventsv1.Vacancy
	)
	tests := []struct {
		name   string
		change func(c *C, v *V)
		miss   match.Rule // "" for eligible
		reason string     // the miss's reason, or a reason the match must give
	}{
		{"fixture", func(*C, *V) {}, "", "HCPC registration held"},

		// open
		{"open closes in 1 ms", func(_ *C, v *V) { v.ClosesAtUnixMs = now.UnixMilli() + 1 }, "", "closes within a day"},
		{"open closes in 60 days says nothing", func(_ *C, v *V) { v.ClosesAtUnixMs = msAfter(60 * day) }, "", ""},
		{"open closing exactly now is closed", func(_ *C, v *V) { v.ClosesAtUnixMs = now.UnixMilli() }, match.RuleOpen, "the closing date has passed"},
		{"open closed yesterday", func(_ *C, v *V) { v.ClosesAtUnixMs = msAfter(-day) }, match.RuleOpen, "the closing date has passed"},
		{"open status closed", func(_ *C, v *V) { v.Status = eventsv1.VacancyStatus_VACANCY_STATUS_CLOSED }, match.RuleOpen, "the vacancy has closed"},
		{"open status withdrawn", func(_ *C, v *V) { v.Status = eventsv1.VacancyStatus_VACANCY_STATUS_WITHDRAWN }, match.RuleOpen, "the vacancy was withdrawn"},
		{"open status unset", func(_ *C, v *V) { v.Status = eventsv1.VacancyStatus_VACANCY_STATUS_UNSPECIFIED }, match.RuleOpen, "the vacancy is not open"},

		// role_family
		{"role one of several", func(c *C, v *V) {
			c.RoleFamilies = []eventsv1.RoleFamily{eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_SCIENTIST}
		}, "", ""},
		{"role not wanted", func(_ *C, v *V) { v.RoleFamily = eventsv1.RoleFamily_ROLE_FAMILY_STP_TRAINEE }, match.RuleRoleFamily, "STP trainee is not one of the roles you want"},
		{"role none wanted", func(c *C, _ *V) { c.RoleFamilies = nil }, match.RuleRoleFamily, "clinical scientist is not one of the roles you want"},

		// band
		{"band exactly the minimum", func(_ *C, v *V) { v.Band = eventsv1.Band_BAND_6 }, "", "band 6 is at or above your minimum band 6"},
		{"band 8a above the minimum", func(_ *C, v *V) { v.Band = eventsv1.Band_BAND_8A }, "", "band 8a is at or above your minimum band 6"},
		{"band below the minimum", func(_ *C, v *V) { v.Band = eventsv1.Band_BAND_5 }, match.RuleBand, "band 5 is below your minimum band 6"},
		{"band unset on the vacancy", func(_ *C, v *V) { v.Band = eventsv1.Band_BAND_UNSPECIFIED }, match.RuleBand, "the vacancy gives no band; your minimum is band 6"},
		{"band no minimum accepts band 2", func(c *C, v *V) {
			c.MinBand = eventsv1.Band_BAND_UNSPECIFIED
			v.Band = eventsv1.Band_BAND_2
		}, "", ""},

		// contract
		{"contract any", func(c *C, v *V) {
			c.Contracts = nil
			v.Contract = eventsv1.Contract_CONTRACT_FIXED_TERM
		}, "", ""},
		{"contract one of several", func(c *C, v *V) {
			c.Contracts = append(c.Contracts, eventsv1.Contract_CONTRACT_TRAINING)
			v.Contract = eventsv1.Contract_CONTRACT_TRAINING
		}, "", ""},
		{"contract not wanted", func(c *C, v *V) {
			c.Contracts = append(c.Contracts, eventsv1.Contract_CONTRACT_TRAINING)
			v.Contract = eventsv1.Contract_CONTRACT_FIXED_TERM
		}, match.RuleContract, "the contract is fixed-term; you want permanent or training"},

		// hours
		{"hours any", func(c *C, v *V) {
			c.Hours = nil
			v.Hours = eventsv1.Hours_HOURS_PART_TIME
		}, "", ""},
		{"hours not wanted", func(_ *C, v *V) { v.Hours = eventsv1.Hours_HOURS_PART_TIME }, match.RuleHours, "the working pattern is part-time; you want full-time"},

		// distance
		{"distance at home", func(_ *C, v *V) { v.Site.Location = northOf(leeds, 0) }, "", "0 km from home, within your 30 km"},
		{"distance exactly the radius", func(_ *C, v *V) { v.Site.Location = northOf(leeds, 30) }, "", "30 km from home, within your 30 km"},
		{"distance 0.1 km beyond the radius", func(_ *C, v *V) { v.Site.Location = northOf(leeds, 30.1) }, match.RuleDistance, "30.1 km from home, beyond your 30 km"},
		{"distance far but willing to relocate", func(c *C, v *V) {
			c.WillingToRelocate = true
			v.Site.Location = northOf(leeds, 250)
		}, "", "willing to relocate"},
		{"distance near and willing to relocate", func(c *C, v *V) { c.WillingToRelocate = true }, "", "14 km from home, within your 30 km"},
		{"distance no radius, relocating", func(c *C, _ *V) {
			c.TravelRadiusKm = 0
			c.WillingToRelocate = true
		}, "", "willing to relocate"},

		// a_level_subjects
		{"a-level subject missing", func(c *C, _ *V) {
			c.Qualifications.ALevels = []eventsv1.ALevelSubject{
				eventsv1.ALevelSubject_A_LEVEL_SUBJECT_MATHEMATICS,
				eventsv1.ALevelSubject_A_LEVEL_SUBJECT_BIOLOGY,
				eventsv1.ALevelSubject_A_LEVEL_SUBJECT_CHEMISTRY,
			}
		}, match.RuleALevelSubjects, "needs A-level physics"},
		{"a-level subjects all missing", func(c *C, _ *V) {
			c.Qualifications.ALevels = []eventsv1.ALevelSubject{
				eventsv1.ALevelSubject_A_LEVEL_SUBJECT_DESIGN_TECHNOLOGY,
				eventsv1.ALevelSubject_A_LEVEL_SUBJECT_BIOLOGY,
				eventsv1.ALevelSubject_A_LEVEL_SUBJECT_CHEMISTRY,
			}
		}, match.RuleALevelSubjects, "needs A-level maths and physics"},
		{"a-level subjects none asked", func(c *C, v *V) {
			v.Requirements.ALevelSubjects = nil
			v.Requirements.MinALevels = 0
			c.Qualifications.ALevels = nil
		}, "", ""},

		// a_level_count
		{"a-level count exactly the minimum", func(_ *C, v *V) { v.Requirements.MinALevels = 3 }, "", "3 A levels held; 3 asked for"},
		{"a-level count short", func(c *C, _ *V) { c.Qualifications.ALevels = c.Qualifications.ALevels[:2] }, match.RuleALevelCount, "needs 3 A levels; you have 2"},
		{"a-level count short of one", func(c *C, v *V) {
			v.Requirements.ALevelSubjects = nil
			v.Requirements.MinALevels = 1
			c.Qualifications.ALevels = nil
		}, match.RuleALevelCount, "needs 1 A level; you have 0"},

		// degree_subject
		{"degree subject not listed", func(c *C, _ *V) {
			c.Qualifications.Degree.Subject = eventsv1.DegreeSubject_DEGREE_SUBJECT_PHYSICS
		}, match.RuleDegreeSubject, "needs a degree in medical or biomedical engineering; yours is in physics"},
		{"degree subject listed with others", func(c *C, v *V) {
			v.Requirements.DegreeSubjects = []eventsv1.DegreeSubject{
				eventsv1.DegreeSubject_DEGREE_SUBJECT_MEDICAL_ENGINEERING,
				eventsv1.DegreeSubject_DEGREE_SUBJECT_ELECTRICAL_ENGINEERING,
				eventsv1.DegreeSubject_DEGREE_SUBJECT_MECHANICAL_ENGINEERING,
			}
			c.Qualifications.Degree.Subject = eventsv1.DegreeSubject_DEGREE_SUBJECT_PHYSICS
		}, match.RuleDegreeSubject, "needs a degree in medical, electrical or mechanical engineering; yours is in physics"},
		{"degree subject any when none listed", func(c *C, v *V) {
			v.Requirements.DegreeSubjects = nil
			c.Qualifications.Degree.Subject = eventsv1.DegreeSubject_DEGREE_SUBJECT_PHYSICS
		}, "", "2:1 in physics meets the 2:1 requirement"},
		{"degree subject ignored when no degree asked", func(c *C, v *V) {
			v.Requirements.MinDegreeClass = eventsv1.DegreeClass_DEGREE_CLASS_UNSPECIFIED
			v.Requirements.AccreditedDegree = false
			c.Qualifications.Degree.Subject = eventsv1.DegreeSubject_DEGREE_SUBJECT_PHYSICS
		}, "", ""},

		// degree_class
		{"degree class exactly the minimum", func(*C, *V) {}, "", "2:1 in biomedical engineering meets the 2:1 requirement"},
		{"degree class first", func(c *C, _ *V) { c.Qualifications.Degree.Class = eventsv1.DegreeClass_DEGREE_CLASS_FIRST }, "", "first in biomedical engineering meets the 2:1 requirement"},
		{"degree class too low", func(c *C, _ *V) { c.Qualifications.Degree.Class = eventsv1.DegreeClass_DEGREE_CLASS_LOWER_SECOND }, match.RuleDegreeClass, "needs a 2:1; you have a 2:2"},
		{"degree class third for a first", func(c *C, v *V) {
			v.Requirements.MinDegreeClass = eventsv1.DegreeClass_DEGREE_CLASS_FIRST
			c.Qualifications.Degree.Class = eventsv1.DegreeClass_DEGREE_CLASS_THIRD
		}, match.RuleDegreeClass, "needs a first; you have a third"},
		{"degree none held is one miss", func(c *C, v *V) {
			c.Qualifications.Degree = nil
			c.Qualifications.AccreditedDegree = false
			v.Requirements.AccreditedDegree = false
		}, match.RuleDegreeClass, "needs a 2:1 honours degree in medical or biomedical engineering"},
		{"degree none held, any subject", func(c *C, v *V) {
			c.Qualifications.Degree = nil
			c.Qualifications.AccreditedDegree = false
			v.Requirements.AccreditedDegree = false
			v.Requirements.DegreeSubjects = nil
			v.Requirements.MinDegreeClass = eventsv1.DegreeClass_DEGREE_CLASS_LOWER_SECOND
		}, match.RuleDegreeClass, "needs a 2:2 honours degree"},

		// accredited_degree, msc, nvq
		{"accredited degree missing", func(c *C, _ *V) { c.Qualifications.AccreditedDegree = false }, match.RuleAccreditedDegree, "needs an accredited degree (such as an MEng)"},
		{"accredited degree not asked", func(c *C, v *V) {
			c.Qualifications.AccreditedDegree = false
			v.Requirements.AccreditedDegree = false
		}, "", ""},
		{"msc missing", func(c *C, _ *V) { c.Qualifications.Msc = false }, match.RuleMSc, "needs an MSc"},
		{"msc not asked", func(c *C, v *V) {
			c.Qualifications.Msc = false
			v.Requirements.Msc = false
		}, "", ""},
		{"nvq missing", func(c *C, _ *V) { c.Qualifications.Nvq = false }, match.RuleNVQ, "needs an NVQ"},
		{"nvq not asked", func(c *C, v *V) {
			c.Qualifications.Nvq = false
			v.Requirements.Nvq = false
		}, "", ""},

		// registration
		{"registration missing", func(c *C, _ *V) { c.Qualifications.Registrations = nil }, match.RuleRegistration, "needs HCPC registration"},
		{"registration two missing", func(c *C, v *V) {
			c.Qualifications.Registrations = nil
			v.Requirements.Registrations = append(v.Requirements.Registrations, eventsv1.Registration_REGISTRATION_CENG)
		}, match.RuleRegistration, "needs HCPC and CEng registration"},
		{"registration with the RCT missing", func(c *C, v *V) {
			v.Requirements.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_RCT}
		}, match.RuleRegistration, "needs registration with the Register of Clinical Technologists"},
		{"registration with the RCT held", func(c *C, v *V) {
			c.Qualifications.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_RCT}
			v.Requirements.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_RCT}
		}, "", "registered with the Register of Clinical Technologists"},
		{"registration CEng meets IEng", func(c *C, v *V) {
			c.Qualifications.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_CENG}
			v.Requirements.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_IENG}
		}, "", "CEng held, which meets the IEng requirement"},
		{"registration CEng meets IEng beside HCPC", func(c *C, v *V) {
			c.Qualifications.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_HCPC, eventsv1.Registration_REGISTRATION_CENG}
			v.Requirements.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_HCPC, eventsv1.Registration_REGISTRATION_IENG}
		}, "", "HCPC registration held; CEng held, which meets the IEng requirement"},
		{"registration IEng does not meet CEng", func(c *C, v *V) {
			c.Qualifications.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_IENG}
			v.Requirements.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_CENG}
		}, match.RuleRegistration, "needs CEng registration"},
		{"registration CEng does not meet HCPC", func(c *C, _ *V) {
			c.Qualifications.Registrations = []eventsv1.Registration{eventsv1.Registration_REGISTRATION_CENG}
		}, match.RuleRegistration, "needs HCPC registration"},
		{"registration none asked", func(c *C, v *V) {
			c.Qualifications.Registrations = nil
			v.Requirements.Registrations = nil
		}, "", ""},

		// experience
		{"experience exactly the minimum", func(c *C, _ *V) { c.Qualifications.YearsExperience = 3 }, "", "3 years' experience meets the 3-year requirement"},
		{"experience a year short", func(c *C, _ *V) { c.Qualifications.YearsExperience = 2 }, match.RuleExperience, "needs 3 years' experience; you have 2"},
		{"experience one year asked", func(c *C, v *V) {
			c.Qualifications.YearsExperience = 0
			v.Requirements.MinYearsExperience = 1
		}, match.RuleExperience, "needs 1 year's experience; you have 0"},
		{"experience none asked", func(c *C, v *V) {
			c.Qualifications.YearsExperience = 0
			v.Requirements.MinYearsExperience = 0
		}, "", ""},

		// specialisms are scored, never required
		{"specialisms none in common", func(_ *C, v *V) {
			v.Specialisms = []eventsv1.Specialism{eventsv1.Specialism_SPECIALISM_EQUIPMENT_MANAGEMENT}
		}, "", ""},
		{"specialisms several in common", func(c *C, v *V) {
			c.Specialisms = append(c.Specialisms, eventsv1.Specialism_SPECIALISM_IMPLANTS)
			v.Specialisms = []eventsv1.Specialism{eventsv1.Specialism_SPECIALISM_IMPLANTS, eventsv1.Specialism_SPECIALISM_RENAL}
		}, "", "Specialisms in common: joint replacements and implants, renal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, v := candidate(), vacancy()
			tt.change(c, v)
			r := match.Evaluate(c, v, now)
			if tt.miss == "" {
				if !r.Eligible || len(r.Misses) != 0 {
					t.Fatalf("not eligible: %+v", r.Misses)
				}
				if tt.reason != "" && !slices.Contains(r.Reasons, tt.reason) {
					t.Errorf("reasons %q lack %q", r.Reasons, tt.reason)
				}
				return
			}
			want := []match.Miss{{Rule: tt.miss, Reason: tt.reason}}
			if r.Eligible || !slices.Equal(r.Misses, want) {
				t.Errorf("eligible %v, misses %+v; want %+v", r.Eligible, r.Misses, want)
			}
			if r.Reasons != nil {
				t.Errorf("reasons %q given for a miss", r.Reasons)
			}
		})
	}
}

func TestEvaluateMissesInRuleOrder(t *testing.T) {
	t.Parallel()
	c, v := candidate(), vacancy()
	// Broken from the last rule to the first: the misses still come in rule order.
	c.Qualifications.YearsExperience = 0
	c.Qualifications.Registrations = nil
	c.Qualifications.Msc = false
	v.Hours = eventsv1.Hours_HOURS_PART_TIME
	v.Status = eventsv1.VacancyStatus_VACANCY_STATUS_CLOSED
	r := match.Evaluate(c, v, now)
	var got []match.Rule
	for _, m := range r.Misses {
		got = append(got, m.Rule)
	}
	want := []match.Rule{match.RuleOpen, match.RuleHours, match.RuleMSc, match.RuleRegistration, match.RuleExperience}
	if !slices.Equal(got, want) {
		t.Errorf("misses %v, want %v", got, want)
	}
}

func TestEvaluateNil(t *testing.T) {
	t.Parallel()
	r := match.Evaluate(nil, nil, now)
	if r.Eligible || len(r.Misses) == 0 || r.Score < 0 || r.Score > 100 {
		t.Errorf("nil candidate and vacancy: %+v", r)
	}
}

func TestRules(t *testing.T) {
	t.Parallel()
	requirement := map[match.Rule]bool{
		match.RuleOpen:             false,
		match.RuleRoleFamily:       false,
		match.RuleBand:             false,
		match.RuleContract:         false,
		match.RuleHours:            false,
		match.RuleDistance:         false,
		match.RuleALevelSubjects:   true,
		match.RuleALevelCount:      true,
		match.RuleDegreeSubject:    true,
		match.RuleDegreeClass:      true,
		match.RuleAccreditedDegree: true,
		match.RuleMSc:              true,
		match.RuleNVQ:              true,
		match.RuleRegistration:     true,
		match.RuleExperience:       true,
		match.RuleSetting:          false,
		match.RuleSalary:           false,
		match.RuleStartDate:        false,
		match.RuleVisibility:       false,
		match.RuleEssential:        true,
	}
	rules := match.Rules()
	if len(rules) != len(requirement) {
		t.Fatalf("%d rules, want %d", len(rules), len(requirement))
	}
	for _, r := range rules {
		t.Run(string(r), func(t *testing.T) {
			t.Parallel()
			want, ok := requirement[r]
			if !ok {
				t.Fatalf("unknown rule %q", r)
			}
			if r.Requirement() != want {
				t.Errorf("Requirement() = %v, want %v", r.Requirement(), want)
			}
		})
	}
	if match.Rule("nonsense").Requirement() {
		t.Error("an unknown rule is a requirement")
	}
}

func TestNearMiss(t *testing.T) {
	t.Parallel()
	type (
		C = eventsv1.Candidate
		V = eventsv1.Vacancy
	)
	tests := []struct {
		name   string
		change func(c *C, v *V)
		want   match.Rule // "" for no near miss
	}{
		{"eligible is no near miss", func(*C, *V) {}, ""},
		{"one requirement: registration", func(c *C, _ *V) { c.Qualifications.Registrations = nil }, match.RuleRegistration},
		{"one requirement: accredited degree", func(c *C, _ *V) { c.Qualifications.AccreditedDegree = false }, match.RuleAccreditedDegree},
		{"one requirement: experience", func(c *C, _ *V) { c.Qualifications.YearsExperience = 1 }, match.RuleExperience},
		{"one requirement: no degree", func(c *C, v *V) {
			c.Qualifications.Degree = nil
			c.Qualifications.AccreditedDegree = false
			v.Requirements.AccreditedDegree = false
		}, match.RuleDegreeClass},
		{"one preference: band", func(_ *C, v *V) { v.Band = eventsv1.Band_BAND_4 }, ""},
		{"one preference: distance", func(_ *C, v *V) { v.Site.Location = northOf(leeds, 80) }, ""},
		{"vacancy closed", func(_ *C, v *V) { v.Status = eventsv1.VacancyStatus_VACANCY_STATUS_CLOSED }, ""},
		{"two requirements", func(c *C, _ *V) {
			c.Qualifications.Registrations = nil
			c.Qualifications.Msc = false
		}, ""},
		{"a requirement and a preference", func(c *C, v *V) {
			c.Qualifications.Registrations = nil
			v.Band = eventsv1.Band_BAND_4
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, v := candidate(), vacancy()
			tt.change(c, v)
			r := match.Evaluate(c, v, now)
			m, ok := match.NearMiss(r)
			if ok != (tt.want != "") || m.Rule != tt.want {
				t.Errorf("NearMiss = %+v, %v; want rule %q (misses %+v)", m, ok, tt.want, r.Misses)
			}
			if ok && m != r.Misses[0] {
				t.Errorf("near miss %+v is not the miss %+v", m, r.Misses[0])
			}
		})
	}
}
