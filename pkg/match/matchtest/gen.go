// Package matchtest makes random candidates and vacancies in the shape
// trusts and candidates write them now (registration states, the
// qualification ladder with predicted results, essential groups of
// alternatives, desirable groups, working patterns, settings, salaries,
// start dates, publishing options and candidates' employers), for the property and differential tests of the matching
// rules, the index and PostgreSQL: generated so that every condition is
// often just met and often just missed.
package matchtest

import (
	"fmt"
	"math/rand/v2"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

func some[E ~int32](r *rand.Rand, n, p int) []E {
	var out []E
	for i := 1; i <= n; i++ {
		if r.IntN(p) == 0 {
			out = append(out, E(i))
		}
	}
	return out
}

var (
	aLevelGrades = []string{"A*", "A", "B", "C", "D", "E"}
	scotGrades   = []string{"A", "B", "C", "D"}
	btecGrades   = []string{"D*D*D*", "DDM", "MMP", "PPP"}
	tLevelGrades = []string{"D*", "D", "M", "P"}
)

// Qualifications adds to q (made if nil) what the current shape holds:
// GCSEs, A levels and equivalents with grades, awards, apprenticeships,
// registrations in every state, IPEM membership, experience by specialism,
// a predicted or integrated degree. It returns q.
func Qualifications(r *rand.Rand, q *eventsv1.Qualifications) *eventsv1.Qualifications {
	if q == nil {
		q = &eventsv1.Qualifications{}
	}
	if r.IntN(3) > 0 {
		q.GcseMaths, q.GcseEnglish = int32(r.IntN(10)), int32(r.IntN(10))
	}
	for range r.IntN(4) {
		l := &eventsv1.Level3{Kind: eventsv1.Level3Kind(1 + r.IntN(5)), Subject: eventsv1.ALevelSubject(1 + r.IntN(9)), Predicted: r.IntN(3) == 0}
		switch l.Kind {
		case eventsv1.Level3Kind_LEVEL3_KIND_A_LEVEL:
			l.Grade = aLevelGrades[r.IntN(len(aLevelGrades))]
		case eventsv1.Level3Kind_LEVEL3_KIND_SCOTTISH_HIGHER, eventsv1.Level3Kind_LEVEL3_KIND_ADVANCED_HIGHER:
			l.Grade = scotGrades[r.IntN(len(scotGrades))]
		case eventsv1.Level3Kind_LEVEL3_KIND_BTEC_EXTENDED_DIPLOMA:
			l.Grade = btecGrades[r.IntN(len(btecGrades))]
		default:
			l.Grade = tLevelGrades[r.IntN(len(tLevelGrades))]
		}
		q.Level3 = append(q.Level3, l)
	}
	for range r.IntN(3) {
		q.Awards = append(q.Awards, &eventsv1.AwardHeld{Award: eventsv1.Award(1 + r.IntN(7)), Subject: eventsv1.DegreeSubject(r.IntN(11)), Predicted: r.IntN(3) == 0})
	}
	if r.IntN(4) == 0 {
		q.Apprenticeships = append(q.Apprenticeships, &eventsv1.ApprenticeshipHeld{Level: int32(2 + r.IntN(6)), Standard: "Engineering technician", Predicted: r.IntN(3) == 0})
	}
	for _, reg := range some[eventsv1.Registration](r, 7, 4) {
		if reg == eventsv1.Registration_REGISTRATION_IPEM {
			continue
		}
		h := &eventsv1.RegistrationHeld{Register: reg, State: eventsv1.RegistrationState(1 + r.IntN(3))}
		if h.State == eventsv1.RegistrationState_REGISTRATION_STATE_WORKING_TOWARDS {
			h.ExpectedDate = "2027-06-30"
		}
		q.RegistrationStates = append(q.RegistrationStates, h)
	}
	q.IpemMembership = eventsv1.MembershipGrade(r.IntN(5))
	for _, s := range some[eventsv1.Specialism](r, 9, 4) {
		q.SpecialismExperience = append(q.SpecialismExperience, &eventsv1.SpecialismYears{Specialism: s, Years: int32(r.IntN(8))})
	}
	if d := q.GetDegree(); d != nil {
		d.Predicted, d.IntegratedMasters = r.IntN(4) == 0, r.IntN(5) == 0
	} else if r.IntN(4) == 0 {
		q.Degree = &eventsv1.Degree{Subject: eventsv1.DegreeSubject(r.IntN(11)), Class: eventsv1.DegreeClass(1 + r.IntN(4)), Predicted: r.IntN(2) == 0}
	}
	return q
}

// Candidate adds preferences to c: settings, working patterns in place of
// hours, a minimum salary, a date available from, a home placed only to
// its postcode area. It returns c.
func Candidate(r *rand.Rand, c *eventsv1.Candidate) *eventsv1.Candidate {
	if r.IntN(5) == 0 {
		c.Settings = some[eventsv1.Setting](r, 4, 2)
	}
	if r.IntN(3) == 0 {
		c.Hours, c.WorkingPatterns = nil, some[eventsv1.WorkingPattern](r, 8, 2)
	}
	if r.IntN(3) == 0 {
		c.MinSalary = int32(25_000 + 5_000*r.IntN(10))
	}
	if r.IntN(3) == 0 {
		c.AvailableFrom = fmt.Sprintf("2027-%02d-01", 1+r.IntN(9))
	}
	if r.IntN(10) == 0 && c.Home != nil {
		c.Home.Postcode, c.Home.Precision = "LS", "area"
	}
	if r.IntN(2) == 0 {
		c.Employment = Employment(r)
	}
	c.Qualifications = Qualifications(r, c.Qualifications)
	return c
}

// Trusts are the ODS codes the generated employers and vacancies are of.
var Trusts = []string{"RJ1", "RRK", "R1H", "RTH", "RX1"}

// Employment makes a declaration of employer: one or two trusts, or an NHS
// employer without a trust, sometimes with restricted status.
func Employment(r *rand.Rand) *eventsv1.Employment {
	e := &eventsv1.Employment{RestrictedStatus: r.IntN(3) == 0}
	switch r.IntN(4) {
	case 0:
		e.Nhs = true
	case 1:
		e.Trusts = []string{Trusts[r.IntN(len(Trusts))], Trusts[r.IntN(len(Trusts))]}
		e.Nhs = true
	default:
		e.Trusts = []string{Trusts[r.IntN(len(Trusts))]}
		e.Nhs = true
	}
	return e
}

// Publishing makes a publishing option of every kind, audiences of every
// kind (some an option does not allow), groups often holding a trust near
// works for.
func Publishing(r *rand.Rand, near *eventsv1.Candidate) *eventsv1.Publishing {
	p := &eventsv1.Publishing{
		Option: eventsv1.PublishingOption(r.IntN(4)), Audience: eventsv1.Audience(1 + r.IntN(3)),
		PolicyDeclared: true, ReleaseIfUnfilled: r.IntN(2) == 0,
	}
	if p.Audience == eventsv1.Audience_AUDIENCE_GROUP {
		p.GroupName = "Generated group"
		p.GroupTrusts = []string{Trusts[r.IntN(len(Trusts))]}
		if t := near.GetEmployment().GetTrusts(); len(t) > 0 && r.IntN(2) == 0 {
			p.GroupTrusts = append(p.GroupTrusts, t[r.IntN(len(t))])
		}
	}
	return p
}

// Vacancy adds to v working patterns, a setting, a salary, a start date,
// and essential and desirable groups; conditions are often made from what
// near (when given) holds, so that they are just met or just missed. An
// IPEM "registration" of before is sometimes asked, to be read as
// membership. It returns v.
func Vacancy(r *rand.Rand, v *eventsv1.Vacancy, near *eventsv1.Candidate) *eventsv1.Vacancy {
	if r.IntN(2) == 0 {
		v.Hours, v.WorkingPatterns = 0, some[eventsv1.WorkingPattern](r, 8, 3)
	}
	v.Setting = eventsv1.Setting(r.IntN(5))
	if v.SalaryMax == 0 {
		v.SalaryMin = int32(22_000 + 1_000*r.IntN(40))
		v.SalaryMax = v.SalaryMin + int32(1_000*r.IntN(20))
	}
	if r.IntN(2) == 0 {
		v.StartDate = fmt.Sprintf("2027-%02d-01", 1+r.IntN(9))
	}
	if v.Requirements == nil {
		v.Requirements = &eventsv1.Requirements{}
	}
	if v.Trust == nil {
		v.Trust = &eventsv1.TrustRef{Code: Trusts[r.IntN(len(Trusts))]}
		if t := near.GetEmployment().GetTrusts(); len(t) > 0 && r.IntN(4) > 0 {
			v.Trust.Code = t[0]
		}
	}
	if r.IntN(2) == 0 {
		v.Publishing = Publishing(r, near)
	}
	req := v.Requirements
	if r.IntN(12) == 0 {
		req.Registrations = append(req.Registrations, eventsv1.Registration_REGISTRATION_IPEM)
	}
	for range r.IntN(3) {
		g := group(r, near)
		// Now and then one read from an imported advert: it must never
		// exclude, in every matcher alike.
		g.Inferred = r.IntN(5) == 0
		req.Essential = append(req.Essential, g)
	}
	for range r.IntN(4) {
		req.Desirable = append(req.Desirable, group(r, near))
	}
	if near != nil && r.IntN(4) > 0 {
		// Fit near's preferences, so that the groups decide.
		if p := near.GetWorkingPatterns(); len(p) > 0 {
			v.WorkingPatterns = append(v.WorkingPatterns, p[r.IntN(len(p))])
		}
		if s := near.GetSettings(); len(s) > 0 {
			v.Setting = s[r.IntN(len(s))]
		}
		v.SalaryMax = max(v.SalaryMax, near.GetMinSalary())
		if p := v.GetPublishing(); p != nil && p.GetOption() > eventsv1.PublishingOption_PUBLISHING_OPTION_PUBLIC {
			// Mostly an advert near may see: their trust's, and internal
			// unless they hold restricted status.
			if t := near.GetEmployment().GetTrusts(); len(t) > 0 {
				v.Trust.Code = t[0]
			} else {
				p.Option = eventsv1.PublishingOption_PUBLISHING_OPTION_PUBLIC
			}
			if !near.GetEmployment().GetRestrictedStatus() {
				p.Option = min(p.Option, eventsv1.PublishingOption_PUBLISHING_OPTION_INTERNAL)
			}
		}
		if v.StartDate != "" && near.GetAvailableFrom() > v.StartDate {
			v.StartDate = near.GetAvailableFrom()
		}
	}
	return v
}

func group(r *rand.Rand, near *eventsv1.Candidate) *eventsv1.RequirementGroup {
	g := &eventsv1.RequirementGroup{}
	if r.IntN(4) == 0 {
		g.Label = "as the person specification says"
	}
	for range 1 + r.IntN(3) {
		alt := &eventsv1.Alternative{}
		for range 1 + r.IntN(2) {
			alt.AllOf = append(alt.AllOf, Condition(r, near))
		}
		g.AnyOf = append(g.AnyOf, alt)
	}
	return g
}

// Condition makes one condition of a random kind, often from what near
// holds, one step either side of it.
func Condition(r *rand.Rand, near *eventsv1.Candidate) *eventsv1.Condition {
	q := near.GetQualifications()
	step := func(n int32) int32 { return max(0, n+int32(r.IntN(3))-1) }
	c := &eventsv1.Condition{Kind: eventsv1.ConditionKind(1 + r.IntN(10)), PredictedOk: r.IntN(2) == 0}
	switch c.Kind {
	case eventsv1.ConditionKind_CONDITION_KIND_DEGREE:
		c.MinClass = eventsv1.DegreeClass(r.IntN(5))
		if d := q.GetDegree(); d != nil && r.IntN(2) == 0 {
			c.MinClass = eventsv1.DegreeClass(min(4, step(int32(d.GetClass()))))
			c.Subjects = []eventsv1.DegreeSubject{max(d.GetSubject(), 1)}
		} else if r.IntN(2) == 0 {
			c.Subjects = some[eventsv1.DegreeSubject](r, 10, 3)
		}
	case eventsv1.ConditionKind_CONDITION_KIND_HIGHER_DEGREE:
		if r.IntN(2) == 0 {
			c.Subjects = some[eventsv1.DegreeSubject](r, 10, 2)
		}
	case eventsv1.ConditionKind_CONDITION_KIND_LEVEL:
		c.Level = int32(2 + r.IntN(7))
	case eventsv1.ConditionKind_CONDITION_KIND_AWARD:
		c.Award = eventsv1.Award(1 + r.IntN(7))
		if aw := q.GetAwards(); len(aw) > 0 && r.IntN(2) == 0 {
			c.Award = aw[r.IntN(len(aw))].GetAward()
		}
	case eventsv1.ConditionKind_CONDITION_KIND_APPRENTICESHIP:
		c.Level = int32(2 + r.IntN(6))
	case eventsv1.ConditionKind_CONDITION_KIND_A_LEVELS:
		c.TariffPoints = int32(16 * r.IntN(10))
		if l := q.GetLevel3(); len(l) > 0 && r.IntN(2) == 0 {
			c.ALevelSubjects = []eventsv1.ALevelSubject{l[r.IntN(len(l))].GetSubject()}
		}
	case eventsv1.ConditionKind_CONDITION_KIND_GCSE:
		c.GcseMaths, c.GcseEnglish = step(q.GetGcseMaths()), int32(r.IntN(6))
	case eventsv1.ConditionKind_CONDITION_KIND_REGISTRATION:
		c.Register = []eventsv1.Registration{1, 2, 4, 5, 6, 7}[r.IntN(6)]
		if h := q.GetRegistrationStates(); len(h) > 0 && r.IntN(2) == 0 {
			c.Register = h[r.IntN(len(h))].GetRegister()
		}
		c.State = eventsv1.RegistrationState(r.IntN(4))
	case eventsv1.ConditionKind_CONDITION_KIND_MEMBERSHIP:
		c.Membership = eventsv1.MembershipGrade(r.IntN(5))
	case eventsv1.ConditionKind_CONDITION_KIND_EXPERIENCE:
		c.Years = step(q.GetYearsExperience())
		if e := q.GetSpecialismExperience(); len(e) > 0 && r.IntN(2) == 0 {
			pick := e[r.IntN(len(e))]
			c.Specialism, c.Years = pick.GetSpecialism(), step(pick.GetYears())
		}
	}
	return c
}
