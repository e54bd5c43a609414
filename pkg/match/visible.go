package match

import (
	"slices"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Visible reports whether candidate c may see vacancy v, by v's publishing
// option and what c declares of their employer:
//
//   - public (or unset, as every record of before): anyone.
//   - internal: a candidate who says they work for the posting trust
//     (audience trust) or for one of the group's trusts (audience group;
//     the posting trust is always one).
//   - restricted: as internal, and the candidate holds restricted status
//     (at risk, redeployment) with their employer; audience nhs admits any
//     NHS employer's staff holding it.
//
// Anything else (an audience an option does not allow, an option this
// code does not know) is visible to no candidate: an advert is never shown
// wider than its trust asked.
func Visible(c *eventsv1.Candidate, v *eventsv1.Vacancy) bool {
	p := v.GetPublishing()
	e := c.GetEmployment()
	switch p.GetOption() {
	case eventsv1.PublishingOption_PUBLISHING_OPTION_UNSPECIFIED, eventsv1.PublishingOption_PUBLISHING_OPTION_PUBLIC:
		return true
	case eventsv1.PublishingOption_PUBLISHING_OPTION_INTERNAL:
		return worksFor(e, v, p, false)
	case eventsv1.PublishingOption_PUBLISHING_OPTION_RESTRICTED:
		return e.GetRestrictedStatus() && worksFor(e, v, p, true)
	}
	return false
}

// Public reports whether v is seen by anyone, signed in or not.
func Public(v *eventsv1.Vacancy) bool {
	o := v.GetPublishing().GetOption()
	return o == eventsv1.PublishingOption_PUBLISHING_OPTION_UNSPECIFIED || o == eventsv1.PublishingOption_PUBLISHING_OPTION_PUBLIC
}

// Declares reports whether c declares anything of an employer: a
// candidate who does not sees public vacancies only.
func Declares(c *eventsv1.Candidate) bool {
	e := c.GetEmployment()
	return len(e.GetTrusts()) > 0 || e.GetNhs() || e.GetRestrictedStatus()
}

func worksFor(e *eventsv1.Employment, v *eventsv1.Vacancy, p *eventsv1.Publishing, nhsAllowed bool) bool {
	own := v.GetTrust().GetCode()
	switch p.GetAudience() {
	case eventsv1.Audience_AUDIENCE_TRUST:
		return own != "" && slices.Contains(e.GetTrusts(), own)
	case eventsv1.Audience_AUDIENCE_GROUP:
		return slices.ContainsFunc(e.GetTrusts(), func(t string) bool {
			return t != "" && (t == own || slices.Contains(p.GetGroupTrusts(), t))
		})
	case eventsv1.Audience_AUDIENCE_NHS:
		return nhsAllowed && (e.GetNhs() || len(e.GetTrusts()) > 0)
	}
	return false
}
