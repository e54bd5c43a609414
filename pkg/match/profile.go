package match

import (
	"math"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Profile is what a candidate holds, in the plain numbers the conditions of
// a vacancy's essential and desirable groups test: no pointers, so that the
// matching index keeps one a candidate and tests it exactly as [Evaluate]
// does. The fields named ...Predicted include what is held as well as what
// is predicted or in progress.
type Profile struct {
	Years int32
	// SpecialismYears is years of experience by specialism number.
	SpecialismYears [16]uint8
	// Reg is the state held in each register, by Registration number; an
	// Engineering Council grade is raised to the best state of any grade
	// above it (a registered CEng is a registered IEng and EngTech too).
	Reg                             [8]uint8
	Ipem                            uint8
	GCSEMaths, GCSEEnglish          uint8
	Tariff, TariffPredicted         uint16
	Subjects, SubjectsPredicted     uint16 // level 3 subjects, bit per ALevelSubject
	Level, LevelPredicted           uint8  // the highest rung of the ladder reached
	Awards, AwardsPredicted         uint16 // bit per Award
	Apprentice, ApprenticePredicted uint8  // the highest apprenticeship level
	// DegreeClass is the honours degree's class (0: none), predicted or not.
	DegreeClass, DegreeSubject uint8
	DegreePredicted            bool
	// Higher and HigherPredicted are the subjects of higher degrees held,
	// bit per DegreeSubject (bit 0: a subject not given).
	Higher, HigherPredicted uint16
}

// Ladder levels (RQF) of what a Profile holds.
const (
	levelGCSE      = 2
	levelThree     = 3
	levelHNC       = 4
	levelHND       = 5
	levelDegree    = 6
	levelMasters   = 7
	levelDoctorate = 8
)

var awardLevel = map[eventsv1.Award]uint8{
	eventsv1.Award_AWARD_HNC: levelHNC, eventsv1.Award_AWARD_HND: levelHND, eventsv1.Award_AWARD_FOUNDATION_DEGREE: levelHND,
	eventsv1.Award_AWARD_MSC: levelMasters, eventsv1.Award_AWARD_STP_CERTIFICATE: levelMasters,
	eventsv1.Award_AWARD_HSST: levelDoctorate, eventsv1.Award_AWARD_PHD: levelDoctorate,
}

// higherDegree reports whether an award is a higher degree.
func higherDegree(a eventsv1.Award) bool { return awardLevel[a] >= levelMasters }

func sat8(n int64) uint8 { return uint8(min(max(n, 0), math.MaxUint8)) }

func sat16(n int64) uint16 { return uint16(min(max(n, 0), math.MaxUint16)) }

// ProfileOf returns the profile of a candidate's qualifications, read in
// the current shape ([eventsv1.UpgradeCandidate] for records from before).
func ProfileOf(q *eventsv1.Qualifications) Profile {
	if len(q.GetRegistrations()) > 0 || q.GetMsc() {
		q = eventsv1.UpgradeCandidate(&eventsv1.Candidate{Qualifications: q}).GetQualifications()
	}
	p := Profile{Years: q.GetYearsExperience(), GCSEMaths: sat8(int64(q.GetGcseMaths())), GCSEEnglish: sat8(int64(q.GetGcseEnglish()))}
	for _, e := range q.GetSpecialismExperience() {
		if s := e.GetSpecialism(); s > 0 && int(s) < len(p.SpecialismYears) {
			p.SpecialismYears[s] = max(p.SpecialismYears[s], sat8(int64(e.GetYears())))
		}
	}
	for _, h := range q.GetRegistrationStates() {
		if r := h.GetRegister(); r > 0 && int(r) < len(p.Reg) && r != eventsv1.Registration_REGISTRATION_IPEM {
			p.Reg[r] = max(p.Reg[r], sat8(int64(h.GetState())))
		}
	}
	p.Reg[engTech] = max(p.Reg[engTech], p.Reg[engRegIEng], p.Reg[engRegCEng])
	p.Reg[engRegIEng] = max(p.Reg[engRegIEng], p.Reg[engRegCEng])
	p.Ipem = sat8(int64(q.GetIpemMembership()))
	raise := func(level uint8, predicted bool) {
		p.LevelPredicted = max(p.LevelPredicted, level)
		if !predicted {
			p.Level = max(p.Level, level)
		}
	}
	if p.GCSEMaths >= 4 || p.GCSEEnglish >= 4 {
		raise(levelGCSE, false)
	}
	var tariff, tariffPredicted int64
	for _, s := range q.GetALevels() {
		if s > 0 && s < 16 {
			p.Subjects |= 1 << s
			raise(levelThree, false)
		}
	}
	for _, l := range q.GetLevel3() {
		points, ok := jobs.TariffPoints(l.GetKind(), l.GetGrade())
		if !ok {
			continue
		}
		var bit uint16
		if s := l.GetSubject(); s > 0 && s < 16 {
			bit = 1 << s
		}
		tariffPredicted += int64(points)
		p.SubjectsPredicted |= bit
		if !l.GetPredicted() {
			tariff += int64(points)
			p.Subjects |= bit
		}
		raise(levelThree, l.GetPredicted())
	}
	p.Tariff, p.TariffPredicted = sat16(tariff), sat16(tariffPredicted)
	p.SubjectsPredicted |= p.Subjects
	for _, a := range q.GetApprenticeships() {
		level := sat8(int64(a.GetLevel()))
		if level < 2 || level > 7 {
			continue
		}
		p.ApprenticePredicted = max(p.ApprenticePredicted, level)
		if !a.GetPredicted() {
			p.Apprentice = max(p.Apprentice, level)
		}
		raise(level, a.GetPredicted())
	}
	for _, a := range q.GetAwards() {
		level, ok := awardLevel[a.GetAward()]
		if !ok {
			continue
		}
		bit := uint16(1) << a.GetAward()
		p.AwardsPredicted |= bit
		if !a.GetPredicted() {
			p.Awards |= bit
		}
		if higherDegree(a.GetAward()) {
			p.addHigher(a.GetSubject(), a.GetPredicted())
		}
		raise(level, a.GetPredicted())
	}
	if d := q.GetDegree(); d.GetClass() > 0 && int(d.GetClass()) < 5 && d.GetSubject() >= 0 && d.GetSubject() < 16 {
		p.DegreeClass, p.DegreeSubject, p.DegreePredicted = uint8(d.GetClass()), uint8(d.GetSubject()), d.GetPredicted()
		level := uint8(levelDegree)
		if d.GetIntegratedMasters() {
			level = levelMasters
			p.addHigher(d.GetSubject(), d.GetPredicted())
		}
		raise(level, d.GetPredicted())
	}
	return p
}

func (p *Profile) addHigher(s eventsv1.DegreeSubject, predicted bool) {
	if s < 0 || s >= 16 {
		return
	}
	p.HigherPredicted |= 1 << s
	if !predicted {
		p.Higher |= 1 << s
	}
}

// Cond is a Condition compiled to plain numbers: a mask or a threshold,
// tested against a [Profile] without reading the protocol message.
type Cond struct {
	kind      eventsv1.ConditionKind
	predicted bool
	// n is the threshold (class, level, points, grade, state, years); m
	// the mask of subjects or the award bit; a and b what else the kind
	// reads (the register or specialism; GCSE English).
	n, m, a, b uint16
	// never is set for a condition no profile meets (a value outside the
	// protocol's): the write API refuses those.
	never bool
}

func mask16[E ~int32](vs []E) (uint16, bool) {
	var m uint16
	for _, v := range vs {
		if v <= 0 || v >= 16 {
			return 0, false
		}
		m |= 1 << v
	}
	return m, true
}

// CompileCondition returns c in the form [Cond.Met] tests.
func CompileCondition(c *eventsv1.Condition) Cond {
	k := Cond{kind: c.GetKind(), predicted: c.GetPredictedOk()}
	ok := true
	switch c.GetKind() {
	case eventsv1.ConditionKind_CONDITION_KIND_DEGREE:
		k.n = uint16(max(c.GetMinClass(), eventsv1.DegreeClass_DEGREE_CLASS_THIRD))
		k.m, ok = mask16(c.GetSubjects())
		ok = ok && c.GetMinClass() >= 0 && c.GetMinClass() < 5
	case eventsv1.ConditionKind_CONDITION_KIND_HIGHER_DEGREE:
		k.m, ok = mask16(c.GetSubjects())
	case eventsv1.ConditionKind_CONDITION_KIND_LEVEL, eventsv1.ConditionKind_CONDITION_KIND_APPRENTICESHIP:
		k.n = sat16(int64(c.GetLevel()))
	case eventsv1.ConditionKind_CONDITION_KIND_AWARD:
		_, ok = awardLevel[c.GetAward()]
		k.m = 1 << max(min(c.GetAward(), 15), 0)
	case eventsv1.ConditionKind_CONDITION_KIND_A_LEVELS:
		k.n = sat16(int64(c.GetTariffPoints()))
		k.m, ok = mask16(c.GetALevelSubjects())
	case eventsv1.ConditionKind_CONDITION_KIND_GCSE:
		k.n, k.b = sat16(int64(c.GetGcseMaths())), sat16(int64(c.GetGcseEnglish()))
	case eventsv1.ConditionKind_CONDITION_KIND_REGISTRATION:
		r, s := c.GetRegister(), c.GetState()
		if s == eventsv1.RegistrationState_REGISTRATION_STATE_UNSPECIFIED {
			s = eventsv1.RegistrationState_REGISTRATION_STATE_REGISTERED
		}
		ok = r > 0 && r < 8 && r != eventsv1.Registration_REGISTRATION_IPEM && s > 0 && s <= eventsv1.RegistrationState_REGISTRATION_STATE_REGISTERED
		k.a, k.n = uint16(max(min(r, 7), 0)), uint16(max(s, 0))
	case eventsv1.ConditionKind_CONDITION_KIND_MEMBERSHIP:
		k.n = uint16(max(c.GetMembership(), eventsv1.MembershipGrade_MEMBERSHIP_GRADE_STUDENT))
	case eventsv1.ConditionKind_CONDITION_KIND_EXPERIENCE:
		k.n = sat16(int64(c.GetYears()))
		s := c.GetSpecialism()
		ok = s >= 0 && s < 16
		k.a = uint16(max(min(s, 15), 0))
	default:
		ok = false
	}
	k.never = !ok
	return k
}

// Met reports whether a profile meets the condition.
func (k *Cond) Met(p *Profile) bool {
	if k.never {
		return false
	}
	switch k.kind {
	case eventsv1.ConditionKind_CONDITION_KIND_DEGREE:
		return p.DegreeClass >= uint8(k.n) && (k.predicted || !p.DegreePredicted) && (k.m == 0 || k.m&(1<<p.DegreeSubject) != 0)
	case eventsv1.ConditionKind_CONDITION_KIND_HIGHER_DEGREE:
		held := p.Higher
		if k.predicted {
			held = p.HigherPredicted
		}
		return held != 0 && (k.m == 0 || held&k.m != 0)
	case eventsv1.ConditionKind_CONDITION_KIND_LEVEL:
		return uint16(pick(k.predicted, p.LevelPredicted, p.Level)) >= k.n
	case eventsv1.ConditionKind_CONDITION_KIND_APPRENTICESHIP:
		return uint16(pick(k.predicted, p.ApprenticePredicted, p.Apprentice)) >= k.n
	case eventsv1.ConditionKind_CONDITION_KIND_AWARD:
		return pick(k.predicted, p.AwardsPredicted, p.Awards)&k.m != 0
	case eventsv1.ConditionKind_CONDITION_KIND_A_LEVELS:
		return pick(k.predicted, p.TariffPredicted, p.Tariff) >= k.n && pick(k.predicted, p.SubjectsPredicted, p.Subjects)&k.m == k.m
	case eventsv1.ConditionKind_CONDITION_KIND_GCSE:
		return uint16(p.GCSEMaths) >= k.n && uint16(p.GCSEEnglish) >= k.b
	case eventsv1.ConditionKind_CONDITION_KIND_REGISTRATION:
		return uint16(p.Reg[k.a]) >= k.n
	case eventsv1.ConditionKind_CONDITION_KIND_MEMBERSHIP:
		return uint16(p.Ipem) >= k.n
	case eventsv1.ConditionKind_CONDITION_KIND_EXPERIENCE:
		if k.a == 0 {
			return p.Years >= int32(k.n)
		}
		return uint16(p.SpecialismYears[k.a]) >= k.n
	}
	return false
}

func pick[T any](predicted bool, withPredicted, held T) T {
	if predicted {
		return withPredicted
	}
	return held
}

// Group is a RequirementGroup compiled: met when every condition of any
// one alternative is.
type Group struct {
	Alts [][]Cond
	src  *eventsv1.RequirementGroup
	// essential: the group is an essential one of the vacancy; inferred
	// from an imported advert, it is compiled among the desirables all the
	// same, so that it ranks and explains and never excludes.
	essential bool
}

// Inferred reports whether the group was inferred from an imported
// advert's words rather than stated by the trust.
func (g *Group) Inferred() bool { return g.src.GetInferred() }

// Met reports whether a profile meets the group.
func (g *Group) Met(p *Profile) bool {
	for _, alt := range g.Alts {
		all := true
		for i := range alt {
			if !alt[i].Met(p) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// Groups are a vacancy's essential and desirable groups, compiled.
// Essential holds only the groups that decide eligibility: an essential
// group marked inferred (read from an imported advert, not stated by the
// trust) is compiled into Desirable, after the desirables proper, so that
// every matcher built on Groups (the reference, the index, the SQL of the
// benchmark) ranks and explains with it and never excludes by it.
type Groups struct {
	Essential, Desirable []Group
}

// CompileGroups compiles the groups of r. A group with no alternatives is
// met by no one; the write API refuses one.
func CompileGroups(r *eventsv1.Requirements) Groups {
	compile := func(gs []*eventsv1.RequirementGroup, essential bool) []Group {
		out := make([]Group, 0, len(gs))
		for _, g := range gs {
			cg := Group{src: g, essential: essential}
			for _, alt := range g.GetAnyOf() {
				conds := make([]Cond, 0, len(alt.GetAllOf()))
				for _, c := range alt.GetAllOf() {
					conds = append(conds, CompileCondition(c))
				}
				cg.Alts = append(cg.Alts, conds)
			}
			out = append(out, cg)
		}
		return out
	}
	var stated, inferred []*eventsv1.RequirementGroup
	for _, g := range r.GetEssential() {
		if g.GetInferred() {
			inferred = append(inferred, g)
		} else {
			stated = append(stated, g)
		}
	}
	return Groups{
		Essential: compile(stated, true),
		Desirable: append(compile(r.GetDesirable(), false), compile(inferred, true)...),
	}
}

// EssentialMet reports whether a profile meets every essential group.
func (g *Groups) EssentialMet(p *Profile) bool {
	for i := range g.Essential {
		if !g.Essential[i].Met(p) {
			return false
		}
	}
	return true
}

// DesirablesMet counts the desirable groups a profile meets.
func (g *Groups) DesirablesMet(p *Profile) int {
	n := 0
	for i := range g.Desirable {
		if g.Desirable[i].Met(p) {
			n++
		}
	}
	return n
}

// Params returns the condition as numbers, for a matcher of another kind
// (the benchmark's SQL) to test it by the same thresholds: see the fields
// of Cond.
func (k Cond) Params() (kind eventsv1.ConditionKind, predicted bool, n, m, a, b uint16, never bool) {
	return k.kind, k.predicted, k.n, k.m, k.a, k.b, k.never
}
