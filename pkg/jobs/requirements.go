package jobs

import (
	"encoding/json"
	"fmt"
	"strings"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// RequirementsInput is what a vacancy asks of candidates; every part is
// optional. The plain fields are essential; Essential adds requirements
// with alternatives, and Desirable those that only rank and explain.
type RequirementsInput struct {
	ALevels          *ALevelsInput   `json:"a_levels,omitempty"`
	Degree           *DegreeReqInput `json:"degree,omitempty"`
	AccreditedDegree bool            `json:"accredited_degree,omitempty"`
	MSc              bool            `json:"msc,omitempty"`
	NVQ              bool            `json:"nvq,omitempty"`
	// Registrations are asked as registered; a registration condition in
	// Essential asks "registered or working towards" or "eligible".
	Registrations      []string     `json:"registrations,omitempty"`
	MinYearsExperience int32        `json:"min_years_experience,omitempty" api:"min=0,max=50"`
	Essential          []GroupInput `json:"essential,omitempty" api:"maxItems=10"`
	Desirable          []GroupInput `json:"desirable,omitempty" api:"maxItems=10"`
}

// ALevelsInput asks for A levels: every subject listed, and at least MinCount in all.
type ALevelsInput struct {
	Subjects []string `json:"subjects,omitempty"`
	MinCount int32    `json:"min_count,omitempty"`
}

// DegreeReqInput asks for an honours degree of at least MinClass, in one of
// Subjects (any subject if none are listed).
type DegreeReqInput struct {
	Subjects []string `json:"subjects,omitempty"`
	MinClass string   `json:"min_class"`
}

// MaxYearsExperience bounds years of experience asked or held.
const MaxYearsExperience = 50

func (c *checker) requirements(field string, in *RequirementsInput) *eventsv1.Requirements {
	r := &eventsv1.Requirements{}
	if in == nil {
		return r
	}
	if a := in.ALevels; a != nil {
		r.ALevelSubjects = enumList[eventsv1.ALevelSubject](c, field+"/a_levels/subjects", a.Subjects, false)
		switch {
		case a.MinCount < 0 || a.MinCount > 5:
			c.add(field+"/a_levels/min_count", "must be 0 to 5")
		case int(a.MinCount) < len(r.ALevelSubjects) && a.MinCount != 0:
			c.add(field+"/a_levels/min_count", "is less than the %d subjects listed", len(r.ALevelSubjects))
		}
		r.MinALevels = max(a.MinCount, int32(len(r.ALevelSubjects)))
	}
	if d := in.Degree; d != nil {
		r.DegreeSubjects = enumList[eventsv1.DegreeSubject](c, field+"/degree/subjects", d.Subjects, false)
		r.MinDegreeClass = enumField[eventsv1.DegreeClass](c, field+"/degree/min_class", d.MinClass, true)
	}
	if in.AccreditedDegree && r.MinDegreeClass == 0 && in.Degree == nil {
		// An accredited degree is a degree: ask for one of any class.
		r.MinDegreeClass = eventsv1.DegreeClass_DEGREE_CLASS_THIRD
	}
	r.AccreditedDegree, r.Msc, r.Nvq = in.AccreditedDegree, in.MSc, in.NVQ
	r.Registrations = enumList[eventsv1.Registration](c, field+"/registrations", in.Registrations, false)
	if in.MinYearsExperience < 0 || in.MinYearsExperience > MaxYearsExperience {
		c.add(field+"/min_years_experience", "must be 0 to %d", MaxYearsExperience)
	}
	r.MinYearsExperience = in.MinYearsExperience
	r.Essential = c.groups(field+"/essential", in.Essential)
	r.Desirable = c.groups(field+"/desirable", in.Desirable)
	return r
}

func requirementsView(r *eventsv1.Requirements) RequirementsInput {
	v := RequirementsInput{
		AccreditedDegree:   r.GetAccreditedDegree(),
		MSc:                r.GetMsc(),
		NVQ:                r.GetNvq(),
		Registrations:      NamesOf(r.GetRegistrations()),
		MinYearsExperience: r.GetMinYearsExperience(),
	}
	if r.GetMinALevels() > 0 || len(r.GetALevelSubjects()) > 0 {
		v.ALevels = &ALevelsInput{Subjects: NamesOf(r.GetALevelSubjects()), MinCount: r.GetMinALevels()}
	}
	if r.GetMinDegreeClass() != 0 {
		v.Degree = &DegreeReqInput{Subjects: NamesOf(r.GetDegreeSubjects()), MinClass: Name(r.GetMinDegreeClass())}
	}
	if len(r.GetEssential()) > 0 {
		v.Essential = groupsView(r.GetEssential())
	}
	if len(r.GetDesirable()) > 0 {
		v.Desirable = groupsView(r.GetDesirable())
	}
	return v
}

// QualificationsInput is what a candidate holds.
type QualificationsInput struct {
	// ALevels are A-level subjects held, grades not given; Level3 gives
	// them (and their equivalents) with grades.
	ALevels          []string     `json:"a_levels,omitempty"`
	Degree           *DegreeInput `json:"degree,omitempty"`
	AccreditedDegree bool         `json:"accredited_degree,omitempty"`
	// MSc is written as an MSc award: Awards says more (subject, in progress).
	MSc             bool                `json:"msc,omitempty"`
	NVQ             bool                `json:"nvq,omitempty"`
	Registrations   []RegistrationInput `json:"registrations,omitempty" api:"maxItems=6"`
	YearsExperience int32               `json:"years_experience,omitempty" api:"min=0,max=50"`
	// GCSE grades, 9-1.
	GCSEMaths            int32                  `json:"gcse_maths,omitempty" api:"min=0,max=9"`
	GCSEEnglish          int32                  `json:"gcse_english,omitempty" api:"min=0,max=9"`
	Level3               []Level3Input          `json:"level3,omitempty" api:"maxItems=10"`
	Awards               []AwardInput           `json:"awards,omitempty" api:"maxItems=10"`
	Apprenticeships      []ApprenticeshipInput  `json:"apprenticeships,omitempty" api:"maxItems=5"`
	IPEMMembership       string                 `json:"ipem_membership,omitempty"`
	SpecialismExperience []SpecialismYearsInput `json:"specialism_experience,omitempty" api:"maxItems=9"`
}

// DegreeInput is an honours degree held, or predicted.
type DegreeInput struct {
	Subject string `json:"subject"`
	Class   string `json:"class"`
	// Predicted: the class is predicted (a final-year student's).
	Predicted bool `json:"predicted,omitempty"`
	// IntegratedMasters: an integrated master's such as an MEng.
	IntegratedMasters bool `json:"integrated_masters,omitempty"`
}

// RegistrationInput is a registration and how far the candidate is with
// it. A bare string ("rct"), as profiles were written before, is read as
// registered.
type RegistrationInput struct {
	Register string `json:"register" api:"required"`
	// State: registered (when unset), eligible, or working_towards.
	State string `json:"state,omitempty"`
	// ExpectedDate (YYYY-MM-DD): when working towards it.
	ExpectedDate string `json:"expected_date,omitempty" api:"format=date"`
}

// OpenAPIAlternative says that a register's name alone is read too (see
// openapi.Alternative).
func (*RegistrationInput) OpenAPIAlternative() any { return "" }

// UnmarshalJSON reads an object, or a register's name alone as registered.
func (r *RegistrationInput) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		*r = RegistrationInput{Register: name}
		return nil
	}
	type plain RegistrationInput
	return json.Unmarshal(b, (*plain)(r))
}

// Level3Input is an A level or an equivalent with its grade.
type Level3Input struct {
	// Qualification: a_level, scottish_higher, advanced_higher, btec_extended_diploma, t_level.
	Qualification string `json:"qualification" api:"required"`
	// ALevelSubject is the subject, in the A levels' terms.
	ALevelSubject string `json:"a_level_subject" api:"required"`
	// Grade as awarded: A* to E; A to D; three of D*, D, M, P; D*, D, M or P.
	Grade     string `json:"grade" api:"required"`
	Predicted bool   `json:"predicted,omitempty"`
}

// AwardInput is a qualification above level 3 other than an honours degree.
type AwardInput struct {
	// Award: hnc, hnd, foundation_degree, msc, stp_certificate, hsst, phd.
	Award   string `json:"award" api:"required"`
	Subject string `json:"subject,omitempty"`
	// Predicted: in progress.
	Predicted bool `json:"predicted,omitempty"`
}

// ApprenticeshipInput is an apprenticeship standard done or in progress.
type ApprenticeshipInput struct {
	Level     int32  `json:"level" api:"required,min=2,max=7"`
	Standard  string `json:"standard" api:"required,minLength=1,maxLength=200"`
	Predicted bool   `json:"predicted,omitempty"`
}

// SpecialismYearsInput is experience in one specialism.
type SpecialismYearsInput struct {
	Specialism string `json:"specialism" api:"required"`
	Years      int32  `json:"years" api:"required,min=1,max=50"`
}

func (c *checker) qualifications(field string, in *QualificationsInput) *eventsv1.Qualifications {
	q := &eventsv1.Qualifications{}
	if in == nil {
		return q
	}
	q.ALevels = enumList[eventsv1.ALevelSubject](c, field+"/a_levels", in.ALevels, false)
	if in.Degree != nil {
		q.Degree = &eventsv1.Degree{
			Subject: enumField[eventsv1.DegreeSubject](c, field+"/degree/subject", in.Degree.Subject, true),
			Class:   enumField[eventsv1.DegreeClass](c, field+"/degree/class", in.Degree.Class, true),
		}
	}
	if in.AccreditedDegree && in.Degree == nil {
		c.add(field+"/degree", "is required with an accredited degree")
	}
	if in.Degree != nil && q.Degree != nil {
		q.Degree.Predicted, q.Degree.IntegratedMasters = in.Degree.Predicted, in.Degree.IntegratedMasters
	}
	q.AccreditedDegree, q.Nvq = in.AccreditedDegree, in.NVQ
	if in.MSc {
		q.Awards = append(q.Awards, &eventsv1.AwardHeld{Award: eventsv1.Award_AWARD_MSC})
	}
	if len(in.Registrations) > 6 {
		c.add(field+"/registrations", "has %d entries; there are only 6 registers", len(in.Registrations))
	}
	seen := map[eventsv1.Registration]bool{}
	for i, r := range in.Registrations {
		f := fmt.Sprintf("%s/registrations/%d", field, i)
		h := &eventsv1.RegistrationHeld{
			Register: enumField[eventsv1.Registration](c, f+"/register", r.Register, true),
			State:    enumField[eventsv1.RegistrationState](c, f+"/state", r.State, false),
		}
		if strings.EqualFold(strings.TrimSpace(r.Register), "ipem") {
			c.add(f+"/register", "IPEM is a professional body, not a register: give ipem_membership")
			continue
		}
		if h.State == 0 {
			h.State = eventsv1.RegistrationState_REGISTRATION_STATE_REGISTERED
		}
		if seen[h.Register] && h.Register != 0 {
			c.add(f+"/register", "%q is listed twice", r.Register)
		}
		seen[h.Register] = true
		if r.ExpectedDate != "" {
			if h.State != eventsv1.RegistrationState_REGISTRATION_STATE_WORKING_TOWARDS {
				c.add(f+"/expected_date", "is for a registration being worked towards")
			} else if d, ok := c.date(f+"/expected_date", r.ExpectedDate, false); ok {
				h.ExpectedDate = FormatDate(d)
			}
		}
		q.RegistrationStates = append(q.RegistrationStates, h)
	}
	if in.YearsExperience < 0 || in.YearsExperience > MaxYearsExperience {
		c.add(field+"/years_experience", "must be 0 to %d", MaxYearsExperience)
	}
	q.YearsExperience = in.YearsExperience
	for name, g := range map[string]int32{"gcse_maths": in.GCSEMaths, "gcse_english": in.GCSEEnglish} {
		if g < 0 || g > 9 {
			c.add(field+"/"+name, "must be a grade 1 to 9 (0: none)")
		}
	}
	q.GcseMaths, q.GcseEnglish = in.GCSEMaths, in.GCSEEnglish
	if len(in.Level3) > 10 {
		c.add(field+"/level3", "has %d entries; at most 10", len(in.Level3))
	}
	for i, l := range in.Level3 {
		f := fmt.Sprintf("%s/level3/%d", field, i)
		kind := enumField[eventsv1.Level3Kind](c, f+"/qualification", l.Qualification, true)
		if _, ok := TariffPoints(kind, l.Grade); kind != 0 && !ok {
			c.add(f+"/grade", "%q is not a grade of a %s: %s", l.Grade, l.Qualification, level3GradeExamples[kind])
		}
		q.Level3 = append(q.Level3, &eventsv1.Level3{Kind: kind, Subject: enumField[eventsv1.ALevelSubject](c, f+"/a_level_subject", l.ALevelSubject, true),
			Grade: strings.ToUpper(strings.TrimSpace(l.Grade)), Predicted: l.Predicted})
	}
	if len(in.Awards) > 10 {
		c.add(field+"/awards", "has %d entries; at most 10", len(in.Awards))
	}
	for i, a := range in.Awards {
		f := fmt.Sprintf("%s/awards/%d", field, i)
		q.Awards = append(q.Awards, &eventsv1.AwardHeld{Award: enumField[eventsv1.Award](c, f+"/award", a.Award, true),
			Subject: enumField[eventsv1.DegreeSubject](c, f+"/subject", a.Subject, false), Predicted: a.Predicted})
	}
	if len(in.Apprenticeships) > 5 {
		c.add(field+"/apprenticeships", "has %d entries; at most 5", len(in.Apprenticeships))
	}
	for i, a := range in.Apprenticeships {
		f := fmt.Sprintf("%s/apprenticeships/%d", field, i)
		if a.Level < 2 || a.Level > 7 {
			c.add(f+"/level", "must be 2 to 7")
		}
		q.Apprenticeships = append(q.Apprenticeships, &eventsv1.ApprenticeshipHeld{Level: a.Level,
			Standard: c.text(f+"/standard", a.Standard, 1, 200, false), Predicted: a.Predicted})
	}
	q.IpemMembership = enumField[eventsv1.MembershipGrade](c, field+"/ipem_membership", in.IPEMMembership, false)
	if len(in.SpecialismExperience) > 9 {
		c.add(field+"/specialism_experience", "has %d entries; at most 9", len(in.SpecialismExperience))
	}
	for i, e := range in.SpecialismExperience {
		f := fmt.Sprintf("%s/specialism_experience/%d", field, i)
		if e.Years < 1 || e.Years > MaxYearsExperience {
			c.add(f+"/years", "must be 1 to %d", MaxYearsExperience)
		}
		q.SpecialismExperience = append(q.SpecialismExperience, &eventsv1.SpecialismYears{
			Specialism: enumField[eventsv1.Specialism](c, f+"/specialism", e.Specialism, true), Years: e.Years})
	}
	return q
}

// qualificationsView is q as read; q is in the current shape
// (eventsv1.UpgradeCandidate).
func qualificationsView(q *eventsv1.Qualifications) QualificationsInput {
	v := QualificationsInput{
		ALevels:          NamesOf(q.GetALevels()),
		AccreditedDegree: q.GetAccreditedDegree(),
		NVQ:              q.GetNvq(),
		Registrations:    []RegistrationInput{},
		YearsExperience:  q.GetYearsExperience(),
		GCSEMaths:        q.GetGcseMaths(),
		GCSEEnglish:      q.GetGcseEnglish(),
		IPEMMembership:   Name(q.GetIpemMembership()),
	}
	if d := q.GetDegree(); d != nil {
		v.Degree = &DegreeInput{Subject: Name(d.GetSubject()), Class: Name(d.GetClass()), Predicted: d.GetPredicted(), IntegratedMasters: d.GetIntegratedMasters()}
	}
	for _, r := range q.GetRegistrationStates() {
		v.Registrations = append(v.Registrations, RegistrationInput{Register: Name(r.GetRegister()), State: Name(r.GetState()), ExpectedDate: r.GetExpectedDate()})
	}
	for _, l := range q.GetLevel3() {
		v.Level3 = append(v.Level3, Level3Input{Qualification: Name(l.GetKind()), ALevelSubject: Name(l.GetSubject()), Grade: l.GetGrade(), Predicted: l.GetPredicted()})
	}
	for _, a := range q.GetAwards() {
		v.Awards = append(v.Awards, AwardInput{Award: Name(a.GetAward()), Subject: Name(a.GetSubject()), Predicted: a.GetPredicted()})
	}
	for _, a := range q.GetApprenticeships() {
		v.Apprenticeships = append(v.Apprenticeships, ApprenticeshipInput{Level: a.GetLevel(), Standard: a.GetStandard(), Predicted: a.GetPredicted()})
	}
	for _, e := range q.GetSpecialismExperience() {
		v.SpecialismExperience = append(v.SpecialismExperience, SpecialismYearsInput{Specialism: Name(e.GetSpecialism()), Years: e.GetYears()})
	}
	return v
}
