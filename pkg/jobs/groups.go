package jobs

import (
	"fmt"
	"strings"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// GroupInput is one requirement as a person specification words it: met
// by any one of AnyOf, each alternative met by all of its conditions. The
// STP's entry rule is one group of two alternatives: [[a 2:1 in a relevant
// subject]], [[a 2:2], [a relevant higher degree]].
type GroupInput struct {
	// Label is the trust's own words for it, used in reasons when given.
	Label string             `json:"label,omitempty" api:"maxLength=300"`
	AnyOf [][]ConditionInput `json:"any_of" api:"required,minItems=1,maxItems=5"`
	// Inferred marks a group read from an imported advert's words rather
	// than stated by the trust: it ranks and explains a match, and never
	// excludes a candidate, even among the essentials.
	Inferred bool `json:"inferred,omitempty"`
}

// ConditionInput is one condition: kind says which, and which of the other
// fields it reads (the others must be empty).
type ConditionInput struct {
	Kind string `json:"kind" api:"required"`
	// degree: a class of at least min_class ("third" when unset) in one of subjects (any when empty).
	MinClass string `json:"min_class,omitempty"`
	// degree, higher_degree: the subjects that count.
	Subjects []string `json:"subjects,omitempty"`
	// level: the rung of the qualification ladder (2 to 8); apprenticeship: its level (2 to 7).
	Level int32 `json:"level,omitempty" api:"min=0,max=8"`
	// award: hnc, hnd, foundation_degree, msc, stp_certificate, hsst, phd.
	Award string `json:"award,omitempty"`
	// a_levels: UCAS tariff points at least, and every subject listed.
	TariffPoints   int32    `json:"tariff_points,omitempty" api:"min=0,max=500"`
	ALevelSubjects []string `json:"a_level_subjects,omitempty"`
	// gcse: grades (9-1) at least, 0 asking nothing of the subject.
	GCSEMaths   int32 `json:"gcse_maths,omitempty" api:"min=0,max=9"`
	GCSEEnglish int32 `json:"gcse_english,omitempty" api:"min=0,max=9"`
	// registration: the register, and the state accepted at least
	// (registered when unset; working_towards accepts eligible and
	// registered too; eligible accepts registered too).
	Register string `json:"register,omitempty"`
	State    string `json:"state,omitempty"`
	// membership: the IPEM grade at least.
	Membership string `json:"membership,omitempty"`
	// experience: years at least, in specialism when given.
	Years      int32  `json:"years,omitempty" api:"min=0,max=50"`
	Specialism string `json:"specialism,omitempty"`
	// PredictedOK lets predicted grades and awards in progress count.
	PredictedOK bool `json:"predicted_ok,omitempty"`
}

// Limits of requirement groups.
const (
	MaxGroups       = 10
	MaxAlternatives = 5
	MaxConditions   = 5
)

func (c *checker) groups(field string, in []GroupInput) []*eventsv1.RequirementGroup {
	if len(in) > MaxGroups {
		c.add(field, "has %d groups; at most %d", len(in), MaxGroups)
		return nil
	}
	var out []*eventsv1.RequirementGroup
	for i, g := range in {
		f := fmt.Sprintf("%s/%d", field, i)
		grp := &eventsv1.RequirementGroup{Label: c.text(f+"/label", g.Label, 0, 300, false), Inferred: g.Inferred}
		switch {
		case len(g.AnyOf) == 0:
			c.add(f+"/any_of", "is required: one or more alternatives, each a list of conditions")
		case len(g.AnyOf) > MaxAlternatives:
			c.add(f+"/any_of", "has %d alternatives; at most %d", len(g.AnyOf), MaxAlternatives)
		}
		for j, alt := range g.AnyOf {
			af := fmt.Sprintf("%s/any_of/%d", f, j)
			switch {
			case len(alt) == 0:
				c.add(af, "is an empty alternative: give one or more conditions")
			case len(alt) > MaxConditions:
				c.add(af, "has %d conditions; at most %d", len(alt), MaxConditions)
			}
			a := &eventsv1.Alternative{}
			for k := range alt {
				a.AllOf = append(a.AllOf, c.condition(fmt.Sprintf("%s/%d", af, k), &alt[k]))
			}
			grp.AnyOf = append(grp.AnyOf, a)
		}
		out = append(out, grp)
	}
	return out
}

func (c *checker) condition(field string, in *ConditionInput) *eventsv1.Condition {
	k := enumField[eventsv1.ConditionKind](c, field+"/kind", in.Kind, true)
	out := &eventsv1.Condition{Kind: k, PredictedOk: in.PredictedOK}
	// used names the fields the kind reads; any other given is refused.
	var used []string
	switch k {
	case eventsv1.ConditionKind_CONDITION_KIND_DEGREE:
		used = []string{"min_class", "subjects"}
		out.MinClass = enumField[eventsv1.DegreeClass](c, field+"/min_class", in.MinClass, false)
		out.Subjects = enumList[eventsv1.DegreeSubject](c, field+"/subjects", in.Subjects, false)
	case eventsv1.ConditionKind_CONDITION_KIND_HIGHER_DEGREE:
		used = []string{"subjects"}
		out.Subjects = enumList[eventsv1.DegreeSubject](c, field+"/subjects", in.Subjects, false)
	case eventsv1.ConditionKind_CONDITION_KIND_LEVEL:
		used = []string{"level"}
		if in.Level < 2 || in.Level > 8 {
			c.add(field+"/level", "must be 2 to 8 (GCSE 2, A level 3, HNC 4, HND 5, degree 6, master's 7, doctorate 8)")
		}
		out.Level = in.Level
	case eventsv1.ConditionKind_CONDITION_KIND_APPRENTICESHIP:
		used = []string{"level"}
		if in.Level < 2 || in.Level > 7 {
			c.add(field+"/level", "must be 2 to 7")
		}
		out.Level = in.Level
	case eventsv1.ConditionKind_CONDITION_KIND_AWARD:
		used = []string{"award"}
		out.Award = enumField[eventsv1.Award](c, field+"/award", in.Award, true)
	case eventsv1.ConditionKind_CONDITION_KIND_A_LEVELS:
		used = []string{"tariff_points", "a_level_subjects"}
		if in.TariffPoints < 0 || in.TariffPoints > 500 {
			c.add(field+"/tariff_points", "must be 0 to 500")
		}
		out.TariffPoints = in.TariffPoints
		out.ALevelSubjects = enumList[eventsv1.ALevelSubject](c, field+"/a_level_subjects", in.ALevelSubjects, false)
	case eventsv1.ConditionKind_CONDITION_KIND_GCSE:
		used = []string{"gcse_maths", "gcse_english"}
		for name, g := range map[string]int32{"gcse_maths": in.GCSEMaths, "gcse_english": in.GCSEEnglish} {
			if g < 0 || g > 9 {
				c.add(field+"/"+name, "must be a grade 1 to 9 (0: not asked)")
			}
		}
		if in.GCSEMaths == 0 && in.GCSEEnglish == 0 {
			c.add(field, "a gcse condition asks gcse_maths, gcse_english or both")
		}
		out.GcseMaths, out.GcseEnglish = in.GCSEMaths, in.GCSEEnglish
	case eventsv1.ConditionKind_CONDITION_KIND_REGISTRATION:
		used = []string{"register", "state"}
		out.Register = enumField[eventsv1.Registration](c, field+"/register", in.Register, true)
		out.State = enumField[eventsv1.RegistrationState](c, field+"/state", in.State, false)
		if out.State == 0 {
			out.State = eventsv1.RegistrationState_REGISTRATION_STATE_REGISTERED
		}
	case eventsv1.ConditionKind_CONDITION_KIND_MEMBERSHIP:
		used = []string{"membership"}
		out.Membership = enumField[eventsv1.MembershipGrade](c, field+"/membership", in.Membership, true)
	case eventsv1.ConditionKind_CONDITION_KIND_EXPERIENCE:
		used = []string{"years", "specialism"}
		if in.Years < 1 || in.Years > MaxYearsExperience {
			c.add(field+"/years", "must be 1 to %d", MaxYearsExperience)
		}
		out.Years = in.Years
		out.Specialism = enumField[eventsv1.Specialism](c, field+"/specialism", in.Specialism, false)
	}
	given := map[string]bool{
		"min_class": in.MinClass != "", "subjects": len(in.Subjects) > 0, "level": in.Level != 0, "award": in.Award != "",
		"tariff_points": in.TariffPoints != 0, "a_level_subjects": len(in.ALevelSubjects) > 0, "gcse_maths": in.GCSEMaths != 0,
		"gcse_english": in.GCSEEnglish != 0, "register": in.Register != "", "state": in.State != "", "membership": in.Membership != "",
		"years": in.Years != 0, "specialism": in.Specialism != "",
	}
	if k != 0 {
		for _, name := range []string{"min_class", "subjects", "level", "award", "tariff_points", "a_level_subjects", "gcse_maths",
			"gcse_english", "register", "state", "membership", "years", "specialism"} {
			if given[name] && !strings.Contains(" "+strings.Join(used, " ")+" ", " "+name+" ") {
				c.add(field+"/"+name, "is not read by a %s condition (it reads %s)", in.Kind, strings.Join(used, ", "))
			}
		}
	}
	return out
}

func groupsView(gs []*eventsv1.RequirementGroup) []GroupInput {
	out := make([]GroupInput, 0, len(gs))
	for _, g := range gs {
		gi := GroupInput{Label: g.GetLabel(), Inferred: g.GetInferred()}
		for _, alt := range g.GetAnyOf() {
			var conds []ConditionInput
			for _, c := range alt.GetAllOf() {
				conds = append(conds, ConditionInput{
					Kind: Name(c.GetKind()), MinClass: Name(c.GetMinClass()), Subjects: NamesOf(c.GetSubjects()),
					Level: c.GetLevel(), Award: Name(c.GetAward()), TariffPoints: c.GetTariffPoints(),
					ALevelSubjects: NamesOf(c.GetALevelSubjects()), GCSEMaths: c.GetGcseMaths(), GCSEEnglish: c.GetGcseEnglish(),
					Register: Name(c.GetRegister()), State: Name(c.GetState()), Membership: Name(c.GetMembership()),
					Years: c.GetYears(), Specialism: Name(c.GetSpecialism()), PredictedOK: c.GetPredictedOk(),
				})
			}
			gi.AnyOf = append(gi.AnyOf, conds)
		}
		out = append(out, gi)
	}
	return out
}
