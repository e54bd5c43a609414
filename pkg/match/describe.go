package match

import (
	"fmt"
	"strings"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Describe words a requirement group as a vacancy would: its label when the
// trust gave one, otherwise its alternatives joined by "or", each an "and"
// of its conditions: "a 1st or 2:1 honours degree in medical engineering,
// or a 2:2 honours degree and a higher degree in medical engineering".
func Describe(g *eventsv1.RequirementGroup) string {
	if l := strings.TrimSpace(g.GetLabel()); l != "" {
		return l
	}
	alts := make([]string, 0, len(g.GetAnyOf()))
	for _, a := range g.GetAnyOf() {
		conds := make([]string, 0, len(a.GetAllOf()))
		for _, c := range a.GetAllOf() {
			conds = append(conds, DescribeCondition(c))
		}
		alts = append(alts, andList(conds))
	}
	if len(alts) == 0 {
		return "a requirement no one can meet"
	}
	return strings.Join(alts, ", or ")
}

// DescribeCondition words one condition: "HCPC registration", "GCSE
// mathematics at grade 4 or above", "2 years' experience in renal".
func DescribeCondition(c *eventsv1.Condition) string {
	predicted := ""
	if c.GetPredictedOk() {
		predicted = " (predicted counts)"
	}
	switch c.GetKind() {
	case eventsv1.ConditionKind_CONDITION_KIND_DEGREE:
		d := "an honours degree"
		if cl := c.GetMinClass(); cl > eventsv1.DegreeClass_DEGREE_CLASS_THIRD {
			d = classWithArticle(cl) + " or above honours degree"
			if cl == eventsv1.DegreeClass_DEGREE_CLASS_FIRST {
				d = "a first-class honours degree"
			}
		}
		if len(c.GetSubjects()) > 0 {
			d += " in " + degreeSubjectList(c.GetSubjects())
		}
		return d + predicted
	case eventsv1.ConditionKind_CONDITION_KIND_HIGHER_DEGREE:
		d := "a higher degree (master's or above)"
		if len(c.GetSubjects()) > 0 {
			d += " in " + degreeSubjectList(c.GetSubjects())
		}
		return d + predicted
	case eventsv1.ConditionKind_CONDITION_KIND_LEVEL:
		return fmt.Sprintf("a level %d qualification or above%s", c.GetLevel(), predicted)
	case eventsv1.ConditionKind_CONDITION_KIND_AWARD:
		return awardWithArticle(c.GetAward()) + predicted
	case eventsv1.ConditionKind_CONDITION_KIND_APPRENTICESHIP:
		return fmt.Sprintf("a level %d apprenticeship or above%s", c.GetLevel(), predicted)
	case eventsv1.ConditionKind_CONDITION_KIND_A_LEVELS:
		d := fmt.Sprintf("A levels or equivalent worth %d UCAS points", c.GetTariffPoints())
		if len(c.GetALevelSubjects()) > 0 {
			d += " including " + andList(names(dedupe(c.GetALevelSubjects()), aLevelName))
		}
		return d + predicted
	case eventsv1.ConditionKind_CONDITION_KIND_GCSE:
		var subjects []string
		if c.GetGcseMaths() > 0 {
			subjects = append(subjects, fmt.Sprintf("mathematics at grade %d", c.GetGcseMaths()))
		}
		if c.GetGcseEnglish() > 0 {
			subjects = append(subjects, fmt.Sprintf("English at grade %d", c.GetGcseEnglish()))
		}
		if len(subjects) == 0 {
			return "GCSEs"
		}
		return "GCSE " + andList(subjects) + " or above"
	case eventsv1.ConditionKind_CONDITION_KIND_REGISTRATION:
		reg, _ := registrations([]eventsv1.Registration{c.GetRegister()})
		switch c.GetState() {
		case eventsv1.RegistrationState_REGISTRATION_STATE_WORKING_TOWARDS:
			return reg + " or working towards it"
		case eventsv1.RegistrationState_REGISTRATION_STATE_ELIGIBLE:
			return "eligibility for " + reg
		}
		return reg
	case eventsv1.ConditionKind_CONDITION_KIND_MEMBERSHIP:
		return "IPEM membership (" + words(max(c.GetMembership(), eventsv1.MembershipGrade_MEMBERSHIP_GRADE_STUDENT)) + " or above)"
	case eventsv1.ConditionKind_CONDITION_KIND_EXPERIENCE:
		d := yearsText(c.GetYears()) + " experience"
		if s := c.GetSpecialism(); s != eventsv1.Specialism_SPECIALISM_UNSPECIFIED {
			d += " in " + specialismName(s)
		}
		return d
	}
	return "a requirement no one can meet"
}

// awardWithArticle is "an HNC", "an MSc", "the STP certificate of attainment", "a PhD".
func awardWithArticle(a eventsv1.Award) string {
	switch a {
	case eventsv1.Award_AWARD_HNC:
		return "an HNC"
	case eventsv1.Award_AWARD_HND:
		return "an HND"
	case eventsv1.Award_AWARD_FOUNDATION_DEGREE:
		return "a foundation degree"
	case eventsv1.Award_AWARD_MSC:
		return "an MSc"
	case eventsv1.Award_AWARD_STP_CERTIFICATE:
		return "the STP certificate of attainment"
	case eventsv1.Award_AWARD_HSST:
		return "HSST"
	case eventsv1.Award_AWARD_PHD:
		return "a PhD"
	}
	return "a requirement no one can meet"
}
