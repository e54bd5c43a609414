package match

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/clinjobs/clinjobs/pkg/geo"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Rule names one test of eligibility. Its value is the word written in match
// records and APIs.
type Rule string

// The rules, in the order [Evaluate] applies them and reports misses in.
const (
	// RuleOpen: the vacancy's status is OPEN and now is before closes_at_unix_ms.
	RuleOpen Rule = "open"
	// RuleVisibility: the candidate may see the vacancy ([Visible]): it is
	// public, or internal or restricted to staff the candidate says they
	// are. Its miss names nothing of the vacancy.
	RuleVisibility Rule = "visibility"
	// RuleRoleFamily: the vacancy's role family is one the candidate wants.
	RuleRoleFamily Rule = "role_family"
	// RuleBand: the vacancy's band is at or above the candidate's minimum band;
	// an unset minimum accepts any band.
	RuleBand Rule = "band"
	// RuleContract: the candidate lists no contracts (any will do) or lists the
	// vacancy's.
	RuleContract Rule = "contract"
	// RuleHours: the candidate lists no working patterns (any will do), or
	// the vacancy lists none, or they have one in common (full time, part
	// time, job share...). Records with the one "hours" of before are read
	// as that working pattern.
	RuleHours Rule = "hours"
	// RuleSetting: the candidate lists no settings (any will do) or lists
	// the vacancy's.
	RuleSetting Rule = "setting"
	// RuleSalary: the candidate asks no minimum salary, or the top of the
	// vacancy's range reaches it.
	RuleSalary Rule = "salary"
	// RuleStartDate: the vacancy gives no start date, or the candidate no
	// date they are available from, or they are available by the start.
	RuleStartDate Rule = "start_date"
	// RuleDistance: the site is within the candidate's travel radius of home
	// (distance rounded to 0.1 km; exactly at the radius is within), or the
	// candidate is willing to relocate.
	RuleDistance Rule = "distance"
	// RuleALevelSubjects: the candidate holds every A-level subject asked for.
	RuleALevelSubjects Rule = "a_level_subjects"
	// RuleALevelCount: the candidate holds at least min_a_levels A levels.
	RuleALevelCount Rule = "a_level_count"
	// RuleDegreeSubject: when a degree is asked for in listed subjects, the
	// candidate's degree is in one of them. A candidate with no degree passes
	// this rule and fails [RuleDegreeClass] instead, so that one missing degree
	// is one miss.
	RuleDegreeSubject Rule = "degree_subject"
	// RuleDegreeClass: when a degree is asked for (min_degree_class set), the
	// candidate has one of at least that class: third < 2:2 < 2:1 < first.
	RuleDegreeClass Rule = "degree_class"
	// RuleAccreditedDegree: an accredited degree (such as an MEng) is held when asked for.
	RuleAccreditedDegree Rule = "accredited_degree"
	// RuleMSc: an MSc is held when asked for.
	RuleMSc Rule = "msc"
	// RuleNVQ: an NVQ is held when asked for.
	RuleNVQ Rule = "nvq"
	// RuleRegistration: every registration asked for is held. A held CEng
	// (Chartered Engineer) also meets a requirement for IEng (Incorporated
	// Engineer): both are Engineering Council registrations and chartered is
	// the higher grade. Nothing else stands in for anything else.
	RuleRegistration Rule = "registration"
	// RuleExperience: years_experience is at least min_years_experience.
	RuleExperience Rule = "experience"
	// RuleEssential: every essential group of the vacancy is met, each by
	// any one of its alternatives, an alternative by all of its conditions.
	// Each group not met is a miss of its own.
	RuleEssential Rule = "essential"
)

// Rules returns every rule in the fixed order [Evaluate] applies them and
// lists misses in.
func Rules() []Rule {
	return []Rule{
		RuleOpen, RuleVisibility, RuleRoleFamily, RuleBand, RuleContract, RuleHours, RuleSetting, RuleSalary,
		RuleStartDate, RuleDistance, RuleALevelSubjects, RuleALevelCount, RuleDegreeSubject,
		RuleDegreeClass, RuleAccreditedDegree, RuleMSc, RuleNVQ, RuleRegistration, RuleExperience,
		RuleEssential,
	}
}

// Requirement reports whether r tests a qualification the candidate could go
// and get (the A-level, degree, accredited degree, MSc, NVQ, registration and
// experience rules), as opposed to a preference of the candidate (role family,
// band, contract, hours, distance) or the state of the vacancy (open).
func (r Rule) Requirement() bool {
	switch r {
	case RuleALevelSubjects, RuleALevelCount, RuleDegreeSubject, RuleDegreeClass,
		RuleAccreditedDegree, RuleMSc, RuleNVQ, RuleRegistration, RuleExperience, RuleEssential:
		return true
	}
	return false
}

// Miss is one failed rule and why, in a few words the candidate can act on:
// "needs HCPC registration", "needs a 2:1; you have a 2:2".
type Miss struct {
	Rule   Rule
	Reason string
}

// Result is what [Evaluate] finds for one candidate and one vacancy.
type Result struct {
	// Eligible is true when no rule failed (Misses is empty).
	Eligible bool
	// Score is how well the two fit, 0 to 100 (see the package doc), computed
	// for every result, eligible or not, so that near misses can be ranked.
	Score int
	// DistanceKm is the great-circle distance from the candidate's home to the
	// vacancy's site, rounded to 0.1 km; always computed.
	DistanceKm float64
	// Reasons says why the vacancy fits, in short human words, when Eligible;
	// nil otherwise.
	Reasons []string
	// Misses lists every failed rule, in the order of [Rules] (one for each
	// essential group not met).
	Misses []Miss
	// DesirablesMet and DesirablesAsked count the vacancy's desirable
	// groups the candidate meets, and all of them.
	DesirablesMet, DesirablesAsked int
}

// Evaluate applies every rule to candidate c and vacancy v as of now, and
// scores the pair. Nil messages and unset fields read as their zero values.
//
// Records from before the contracts changed are read in the current shape
// ([eventsv1.UpgradeCandidate], [eventsv1.UpgradeVacancy]).
func Evaluate(c *eventsv1.Candidate, v *eventsv1.Vacancy, now time.Time) Result {
	c, v = eventsv1.UpgradeCandidate(c), eventsv1.UpgradeVacancy(v)
	f := facts{
		c:          c,
		v:          v,
		q:          c.GetQualifications(),
		req:        v.GetRequirements(),
		profile:    ProfileOf(c.GetQualifications()),
		groups:     CompileGroups(v.GetRequirements()),
		nowMs:      now.UnixMilli(),
		distTenths: distanceTenths(c.GetHome(), v.GetSite().GetLocation()),
		about:      approximate(c.GetHome()) || approximate(v.GetSite().GetLocation()),
	}
	f.desirablesMet = f.groups.DesirablesMet(&f.profile)
	r := Result{
		Score:           f.fit().Score(),
		DistanceKm:      float64(f.distTenths) / 10,
		DesirablesMet:   f.desirablesMet,
		DesirablesAsked: len(f.groups.Desirable),
	}
	var reasons []string
	for _, rule := range Rules() {
		if rule == RuleEssential {
			for i := range f.groups.Essential {
				g := &f.groups.Essential[i]
				if g.Met(&f.profile) {
					reasons = append(reasons, "Essential met: "+Describe(g.src))
				} else {
					r.Misses = append(r.Misses, Miss{Rule: rule, Reason: "Essential not met: " + Describe(g.src)})
				}
			}
			continue
		}
		o := check(rule, &f)
		switch {
		case !o.ok:
			r.Misses = append(r.Misses, Miss{Rule: rule, Reason: o.text})
		case o.text != "":
			reasons = append(reasons, o.text)
		}
	}
	r.Eligible = len(r.Misses) == 0
	if r.Eligible {
		for i := range f.groups.Desirable {
			g := &f.groups.Desirable[i]
			reasons = append(reasons, groupReason(g, g.Met(&f.profile)))
		}
		if common := commonSpecialisms(&f); len(common) > 0 {
			reasons = append(reasons, "Specialisms in common: "+strings.Join(names(common, specialismName), ", "))
		}
		r.Reasons = reasons
	}
	return r
}

// groupReason words a desirable group, or an inferred one, met or not:
// "Desirable met: ...", "Essential in the advert (inferred, not required
// here) not met: ...".
func groupReason(g *Group, met bool) string {
	kind := "Desirable"
	switch {
	case g.Inferred() && g.essential:
		kind = "Essential in the advert (inferred, not required here)"
	case g.Inferred():
		kind = "Desirable in the advert (inferred)"
	}
	if met {
		return kind + " met: " + Describe(g.src)
	}
	return kind + " not met: " + Describe(g.src)
}

// approximate reports whether a place is known only to its postcode area,
// so that a distance to it is "about" so many km.
func approximate(l *eventsv1.Location) bool { return l.GetPrecision() == "area" }

// NearMiss reports the one failed rule of r when exactly one rule failed and
// it is a [Rule.Requirement]: the next step on the candidate's career path
// (HCPC registration, an accredited degree...) to this vacancy.
func NearMiss(r Result) (Miss, bool) {
	if len(r.Misses) != 1 || !r.Misses[0].Rule.Requirement() {
		return Miss{}, false
	}
	return r.Misses[0], true
}

// facts are the inputs of one evaluation and what is derived from them once.
type facts struct {
	c             *eventsv1.Candidate
	v             *eventsv1.Vacancy
	q             *eventsv1.Qualifications
	req           *eventsv1.Requirements
	profile       Profile
	groups        Groups
	desirablesMet int
	nowMs         int64
	distTenths    int64
	about         bool
}

// outcome is one rule's verdict: when ok, text is a reason it fits ("" for
// none worth saying); when not, text is the miss.
type outcome struct {
	ok   bool
	text string
}

func pass(why string) outcome  { return outcome{ok: true, text: why} }
func fail(miss string) outcome { return outcome{text: miss} }

// check applies one rule.
func check(rule Rule, f *facts) outcome {
	switch rule {
	case RuleOpen:
		return checkOpen(f)
	case RuleVisibility:
		return checkVisibility(f)
	case RuleRoleFamily:
		return checkRoleFamily(f)
	case RuleBand:
		return checkBand(f)
	case RuleContract:
		return checkContract(f)
	case RuleHours:
		return checkHours(f)
	case RuleSetting:
		return checkSetting(f)
	case RuleSalary:
		return checkSalary(f)
	case RuleStartDate:
		return checkStartDate(f)
	case RuleDistance:
		return checkDistance(f)
	case RuleALevelSubjects:
		return checkALevelSubjects(f)
	case RuleALevelCount:
		return checkALevelCount(f)
	case RuleDegreeSubject:
		return checkDegreeSubject(f)
	case RuleDegreeClass:
		return checkDegreeClass(f)
	case RuleAccreditedDegree:
		return checkAccreditedDegree(f)
	case RuleMSc:
		return checkMSc(f)
	case RuleNVQ:
		return checkNVQ(f)
	case RuleRegistration:
		return checkRegistration(f)
	case RuleExperience:
		return checkExperience(f)
	}
	panic("match: no check for rule " + string(rule))
}

const (
	dayMs      = int64(24 * time.Hour / time.Millisecond)
	soonMs     = 7 * dayMs
	notSoonMs  = 60 * dayMs
	maxTenths  = 200_152 // beyond any distance on Earth: π × geo.EarthRadiusKm is 20,015.1 km
	engRegCEng = eventsv1.Registration_REGISTRATION_CENG
	engRegIEng = eventsv1.Registration_REGISTRATION_IENG
	engTech    = eventsv1.Registration_REGISTRATION_ENGTECH
	registered = uint8(eventsv1.RegistrationState_REGISTRATION_STATE_REGISTERED)
)

// distanceTenths is the distance between two locations in tenths of a km.
func distanceTenths(a, b *eventsv1.Location) int64 {
	return DistanceTenths(
		geo.Point{Lat: a.GetLatitude(), Lon: a.GetLongitude()},
		geo.Point{Lat: b.GetLatitude(), Lon: b.GetLongitude()},
	)
}

// DistanceTenths is the great-circle distance between two points in tenths
// of a km, rounded half away from zero: the distance every rule and score
// uses. Coordinates that give no number count as the farthest apart two
// places can be.
func DistanceTenths(a, b geo.Point) int64 {
	return DistanceTenthsCos(a, b, geo.CosLat(a.Lat), geo.CosLat(b.Lat))
}

// DistanceTenthsCos is DistanceTenths given the cosines of the latitudes
// (geo.CosLat), for a caller that keeps them.
func DistanceTenthsCos(a, b geo.Point, cosA, cosB float64) int64 {
	t := math.Round(geo.DistanceKmCos(a, b, cosA, cosB) * 10)
	if !(t >= 0 && t <= float64(maxTenths)) { // NaN included
		return maxTenths
	}
	return int64(t)
}

func checkOpen(f *facts) outcome {
	switch f.v.GetStatus() {
	case eventsv1.VacancyStatus_VACANCY_STATUS_OPEN:
	case eventsv1.VacancyStatus_VACANCY_STATUS_CLOSED:
		return fail("the vacancy has closed")
	case eventsv1.VacancyStatus_VACANCY_STATUS_WITHDRAWN:
		return fail("the vacancy was withdrawn")
	default:
		return fail("the vacancy is not open")
	}
	closes := f.v.GetClosesAtUnixMs()
	if f.nowMs >= closes {
		return fail("the closing date has passed")
	}
	left := closes - f.nowMs
	switch {
	case left <= 0: // overflowed: far off
		return pass("")
	case left <= dayMs:
		return pass("closes within a day")
	case left <= soonMs:
		return pass(fmt.Sprintf("closes in %d days", (left+dayMs-1)/dayMs))
	}
	return pass("")
}

func checkVisibility(f *facts) outcome {
	switch {
	case Public(f.v):
		return pass("")
	case !Visible(f.c, f.v):
		return fail("the vacancy is not advertised to you")
	case f.v.GetPublishing().GetOption() == eventsv1.PublishingOption_PUBLISHING_OPTION_RESTRICTED:
		return pass("advertised to staff with restricted status, as you are")
	}
	return pass("advertised internally, to staff of your employer")
}

func checkRoleFamily(f *facts) outcome {
	role := f.v.GetRoleFamily()
	if slices.Contains(f.c.GetRoleFamilies(), role) {
		return pass("")
	}
	return fail(roleName(role) + " is not one of the roles you want")
}

func checkBand(f *facts) outcome {
	lowest, band := f.c.GetMinBand(), f.v.GetBand()
	switch {
	case lowest == eventsv1.Band_BAND_UNSPECIFIED:
		return pass("")
	case band >= lowest:
		return pass(fmt.Sprintf("%s is at or above your minimum %s", bandName(band), bandName(lowest)))
	case band == eventsv1.Band_BAND_UNSPECIFIED:
		return fail("the vacancy gives no band; your minimum is " + bandName(lowest))
	}
	return fail(fmt.Sprintf("%s is below your minimum %s", bandName(band), bandName(lowest)))
}

func checkContract(f *facts) outcome {
	want, got := f.c.GetContracts(), f.v.GetContract()
	if len(want) == 0 || slices.Contains(want, got) {
		return pass("")
	}
	return fail(fmt.Sprintf("the contract is %s; you want %s", contractName(got), orList(names(dedupe(want), contractName))))
}

func checkHours(f *facts) outcome {
	want, got := f.c.GetWorkingPatterns(), f.v.GetWorkingPatterns()
	if len(want) == 0 || len(got) == 0 || slices.ContainsFunc(got, func(p eventsv1.WorkingPattern) bool { return slices.Contains(want, p) }) {
		return pass("")
	}
	return fail(fmt.Sprintf("the working pattern is %s; you want %s", orList(names(dedupe(got), patternName)), orList(names(dedupe(want), patternName))))
}

func checkSetting(f *facts) outcome {
	want, got := f.c.GetSettings(), f.v.GetSetting()
	if len(want) == 0 || slices.Contains(want, got) {
		return pass("")
	}
	return fail(fmt.Sprintf("the setting is %s; you want %s", settingName(got), orList(names(dedupe(want), settingName))))
}

func checkSalary(f *facts) outcome {
	want, top := f.c.GetMinSalary(), f.v.GetSalaryMax()
	switch {
	case want <= 0:
		return pass("")
	case top >= want:
		return pass(fmt.Sprintf("pays up to £%s, above your minimum £%s", pounds(top), pounds(want)))
	}
	return fail(fmt.Sprintf("pays up to £%s; your minimum is £%s", pounds(top), pounds(want)))
}

// pounds writes a whole number of pounds with thousands separated: "31,049".
func pounds(n int32) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func checkStartDate(f *facts) outcome {
	start, from := f.v.GetStartDate(), f.c.GetAvailableFrom()
	switch {
	case start == "" || from == "":
		return pass("")
	case from <= start:
		return pass("available by the start date, " + start)
	}
	return fail(fmt.Sprintf("starts %s; you are available from %s", start, from))
}

func checkDistance(f *facts) outcome {
	radius := f.c.GetTravelRadiusKm()
	km := kmText(f.distTenths)
	if f.about {
		km = "about " + km
	}
	switch {
	case f.distTenths <= int64(radius)*10:
		return pass(fmt.Sprintf("%s from home, within your %d km", km, radius))
	case f.c.GetWillingToRelocate():
		return pass("willing to relocate")
	}
	return fail(fmt.Sprintf("%s from home, beyond your %d km", km, radius))
}

func checkALevelSubjects(f *facts) outcome {
	asked := dedupe(f.req.GetALevelSubjects())
	if len(asked) == 0 {
		return pass("")
	}
	var missing []eventsv1.ALevelSubject
	for _, s := range asked {
		if !slices.Contains(f.q.GetALevels(), s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return fail("needs A-level " + andList(names(missing, aLevelName)))
	}
	return pass("A-level " + andList(names(asked, aLevelName)) + " held")
}

func checkALevelCount(f *facts) outcome {
	asked, held := int(f.req.GetMinALevels()), len(f.q.GetALevels())
	switch {
	case asked <= 0:
		return pass("")
	case held < asked:
		return fail(fmt.Sprintf("needs %s; you have %d", aLevelsText(asked), held))
	case asked <= len(dedupe(f.req.GetALevelSubjects())):
		return pass("") // said by the subjects' reason
	}
	return pass(fmt.Sprintf("%s held; %d asked for", aLevelsText(held), asked))
}

// degree returns the candidate's honours degree, if they have one: a degree
// with a class, awarded (a predicted class counts only in conditions that
// allow it).
func degree(f *facts) (*eventsv1.Degree, bool) {
	d := f.q.GetDegree()
	return d, d.GetClass() != eventsv1.DegreeClass_DEGREE_CLASS_UNSPECIFIED && !d.GetPredicted()
}

func checkDegreeSubject(f *facts) outcome {
	subjects := f.req.GetDegreeSubjects()
	d, has := degree(f)
	if f.req.GetMinDegreeClass() == eventsv1.DegreeClass_DEGREE_CLASS_UNSPECIFIED ||
		len(subjects) == 0 || !has || slices.Contains(subjects, d.GetSubject()) {
		return pass("")
	}
	return fail(fmt.Sprintf("needs a degree in %s; yours is in %s",
		degreeSubjectList(subjects), degreeSubjectName(d.GetSubject())))
}

func checkDegreeClass(f *facts) outcome {
	asked := f.req.GetMinDegreeClass()
	if asked == eventsv1.DegreeClass_DEGREE_CLASS_UNSPECIFIED {
		return pass("")
	}
	d, has := degree(f)
	if !has {
		need := "needs " + classWithArticle(asked) + " honours degree"
		if subjects := f.req.GetDegreeSubjects(); len(subjects) > 0 {
			need += " in " + degreeSubjectList(subjects)
		}
		return fail(need)
	}
	if d.GetClass() < asked {
		return fail(fmt.Sprintf("needs %s; you have %s", classWithArticle(asked), classWithArticle(d.GetClass())))
	}
	held := className(d.GetClass())
	if d.GetSubject() == eventsv1.DegreeSubject_DEGREE_SUBJECT_UNSPECIFIED {
		held += " degree"
	} else {
		held += " in " + degreeSubjectName(d.GetSubject())
	}
	return pass(fmt.Sprintf("%s meets the %s requirement", held, className(asked)))
}

func checkAccreditedDegree(f *facts) outcome {
	return checkHeld(f.req.GetAccreditedDegree(), f.q.GetAccreditedDegree(),
		"accredited degree held", "needs an accredited degree (such as an MEng)")
}

func checkMSc(f *facts) outcome {
	return checkHeld(f.req.GetMsc(), f.profile.Awards&(1<<eventsv1.Award_AWARD_MSC) != 0, "MSc held", "needs an MSc")
}

func checkNVQ(f *facts) outcome {
	return checkHeld(f.req.GetNvq(), f.q.GetNvq(), "NVQ held", "needs an NVQ")
}

func checkHeld(asked, held bool, why, miss string) outcome {
	switch {
	case !asked:
		return pass("")
	case held:
		return pass(why)
	}
	return fail(miss)
}

func checkRegistration(f *facts) outcome {
	asked := dedupe(f.req.GetRegistrations())
	if len(asked) == 0 {
		return pass("")
	}
	var direct, missing []eventsv1.Registration
	cengForIeng := false
	for _, r := range asked {
		switch {
		case r <= 0 || int(r) >= len(f.profile.Reg) || f.profile.Reg[r] < registered:
			missing = append(missing, r)
		case r == engRegIEng && !f.holds(engRegIEng) && f.holds(engRegCEng):
			cengForIeng = true
		default:
			direct = append(direct, r)
		}
	}
	if len(missing) > 0 {
		need, _ := registrations(missing)
		return fail("needs " + need)
	}
	var why []string
	if len(direct) > 0 {
		_, h := registrations(direct)
		why = append(why, h)
	}
	if cengForIeng {
		why = append(why, "CEng held, which meets the IEng requirement")
	}
	return pass(strings.Join(why, "; "))
}

// holds reports whether the candidate is registered in r itself, not
// through a higher Engineering Council grade.
func (f *facts) holds(r eventsv1.Registration) bool {
	return slices.ContainsFunc(f.q.GetRegistrationStates(), func(h *eventsv1.RegistrationHeld) bool {
		return h.GetRegister() == r && h.GetState() == eventsv1.RegistrationState_REGISTRATION_STATE_REGISTERED
	})
}

func checkExperience(f *facts) outcome {
	asked, held := f.req.GetMinYearsExperience(), f.q.GetYearsExperience()
	switch {
	case asked <= 0:
		return pass("")
	case held < asked:
		return fail(fmt.Sprintf("needs %s experience; you have %d", yearsText(asked), held))
	}
	return pass(fmt.Sprintf("%s experience meets the %d-year requirement", yearsText(held), asked))
}

// commonSpecialisms returns the vacancy's specialisms the candidate also
// lists, distinct, in the vacancy's order.
func commonSpecialisms(f *facts) []eventsv1.Specialism {
	var common []eventsv1.Specialism
	for _, s := range dedupe(f.v.GetSpecialisms()) {
		if slices.Contains(f.c.GetSpecialisms(), s) {
			common = append(common, s)
		}
	}
	return common
}
