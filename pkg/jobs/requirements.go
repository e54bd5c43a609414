package jobs

import (
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// RequirementsInput is what a vacancy asks of candidates; every part is optional.
type RequirementsInput struct {
	ALevels            *ALevelsInput   `json:"a_levels,omitempty"`
	Degree             *DegreeReqInput `json:"degree,omitempty"`
	AccreditedDegree   bool            `json:"accredited_degree,omitempty"`
	MSc                bool            `json:"msc,omitempty"`
	NVQ                bool            `json:"nvq,omitempty"`
	Registrations      []string        `json:"registrations,omitempty"`
	MinYearsExperience int32           `json:"min_years_experience,omitempty"`
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
	return v
}

// QualificationsInput is what a candidate holds.
type QualificationsInput struct {
	ALevels          []string     `json:"a_levels,omitempty"`
	Degree           *DegreeInput `json:"degree,omitempty"`
	AccreditedDegree bool         `json:"accredited_degree,omitempty"`
	MSc              bool         `json:"msc,omitempty"`
	NVQ              bool         `json:"nvq,omitempty"`
	Registrations    []string     `json:"registrations,omitempty"`
	YearsExperience  int32        `json:"years_experience,omitempty"`
}

// DegreeInput is an honours degree held.
type DegreeInput struct {
	Subject string `json:"subject"`
	Class   string `json:"class"`
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
	q.AccreditedDegree, q.Msc, q.Nvq = in.AccreditedDegree, in.MSc, in.NVQ
	q.Registrations = enumList[eventsv1.Registration](c, field+"/registrations", in.Registrations, false)
	if in.YearsExperience < 0 || in.YearsExperience > MaxYearsExperience {
		c.add(field+"/years_experience", "must be 0 to %d", MaxYearsExperience)
	}
	q.YearsExperience = in.YearsExperience
	return q
}

func qualificationsView(q *eventsv1.Qualifications) QualificationsInput {
	v := QualificationsInput{
		ALevels:          NamesOf(q.GetALevels()),
		AccreditedDegree: q.GetAccreditedDegree(),
		MSc:              q.GetMsc(),
		NVQ:              q.GetNvq(),
		Registrations:    NamesOf(q.GetRegistrations()),
		YearsExperience:  q.GetYearsExperience(),
	}
	if d := q.GetDegree(); d != nil {
		v.Degree = &DegreeInput{Subject: Name(d.GetSubject()), Class: Name(d.GetClass())}
	}
	return v
}
