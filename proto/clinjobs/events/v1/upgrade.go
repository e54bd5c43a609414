package eventsv1

import (
	"slices"

	"google.golang.org/protobuf/proto"
)

// Records are stored for as long as a vacancy or a profile lives, so a
// record written before a contract changed is read in the new shape by
// these functions rather than rewritten in place: every reader that
// interprets a record (matching, the JSON views) reads it through them.

// UpgradeCandidate returns c in the current shape: registrations of field 6
// as REGISTERED in registration_states (IPEM, which is a professional body,
// as IPEM membership of grade MEMBER), an MSc flag as an MSc award, and the
// hours of field 11 as working patterns. A record already in the current
// shape is returned as it is, not copied.
func UpgradeCandidate(c *Candidate) *Candidate {
	q := c.GetQualifications()
	if len(q.GetRegistrations()) == 0 && !q.GetMsc() && (len(c.GetHours()) == 0 || len(c.GetWorkingPatterns()) > 0) {
		return c
	}
	c = proto.Clone(c).(*Candidate)
	if len(c.WorkingPatterns) == 0 {
		for _, h := range c.Hours {
			c.WorkingPatterns = append(c.WorkingPatterns, WorkingPattern(h))
		}
	}
	c.Hours = nil
	if q := c.Qualifications; q != nil {
		upgradeQualifications(q)
	}
	return c
}

func upgradeQualifications(q *Qualifications) {
	for _, r := range q.Registrations {
		if r == Registration_REGISTRATION_IPEM {
			q.IpemMembership = max(q.IpemMembership, MembershipGrade_MEMBERSHIP_GRADE_MEMBER)
			continue
		}
		i := slices.IndexFunc(q.RegistrationStates, func(h *RegistrationHeld) bool { return h.GetRegister() == r })
		if i < 0 {
			q.RegistrationStates = append(q.RegistrationStates, &RegistrationHeld{Register: r, State: RegistrationState_REGISTRATION_STATE_REGISTERED})
		} else {
			q.RegistrationStates[i].State = RegistrationState_REGISTRATION_STATE_REGISTERED
			q.RegistrationStates[i].ExpectedDate = ""
		}
	}
	q.Registrations = nil
	if q.Msc {
		if !slices.ContainsFunc(q.Awards, func(a *AwardHeld) bool { return a.GetAward() == Award_AWARD_MSC && !a.GetPredicted() }) {
			q.Awards = append(q.Awards, &AwardHeld{Award: Award_AWARD_MSC})
		}
		q.Msc = false
	}
}

// UpgradeVacancy returns v in the current shape: an IPEM "registration"
// asked for as an essential IPEM membership of grade MEMBER, and the hours
// of field 13 as working patterns. A record already in the current shape is
// returned as it is, not copied.
func UpgradeVacancy(v *Vacancy) *Vacancy {
	r := v.GetRequirements()
	ipem := slices.Contains(r.GetRegistrations(), Registration_REGISTRATION_IPEM)
	oldHours := v.GetHours() != Hours_HOURS_UNSPECIFIED && len(v.GetWorkingPatterns()) == 0
	if !ipem && !oldHours {
		return v
	}
	v = proto.Clone(v).(*Vacancy)
	if oldHours {
		v.WorkingPatterns = []WorkingPattern{WorkingPattern(v.Hours)}
	}
	if ipem {
		r := v.Requirements
		r.Registrations = slices.DeleteFunc(r.Registrations, func(g Registration) bool { return g == Registration_REGISTRATION_IPEM })
		r.Essential = append(r.Essential, &RequirementGroup{AnyOf: []*Alternative{{AllOf: []*Condition{{
			Kind: ConditionKind_CONDITION_KIND_MEMBERSHIP, Membership: MembershipGrade_MEMBERSHIP_GRADE_MEMBER,
		}}}}})
	}
	return v
}
