package jobs

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// PublishingInput is who may see a vacancy, as NHS Jobs' publishing options
// have it. Left out, a vacancy is public.
type PublishingInput struct {
	// Option: public (anyone), internal (staff of the trust or of a trust
	// of its group) or restricted (staff of the trust, the group or any NHS
	// employer who hold restricted status: at risk, redeployment).
	Option string `json:"option" api:"required"`
	// Audience, for internal and restricted: trust, group, or nhs
	// (restricted only).
	Audience string `json:"audience,omitempty"`
	// GroupName and GroupTrusts (ODS codes) name the group, for audience
	// group; the posting trust belongs to it whether listed or not.
	GroupName   string   `json:"group_name,omitempty" api:"maxLength=200"`
	GroupTrusts []string `json:"group_trusts,omitempty" api:"maxItems=50" pattern:"^[A-Za-z0-9]{3,5}$"`
	// PolicyDeclared: the trust declares that limiting the advert follows
	// its recruitment (or redeployment) policy as agreed with staff side;
	// required true for internal and restricted adverts.
	PolicyDeclared bool `json:"policy_declared,omitempty"`
	// ReleaseIfUnfilled: the trust declares the post will be advertised
	// more widely if it is not filled this way.
	ReleaseIfUnfilled bool `json:"release_if_unfilled,omitempty"`
}

// OpenAPIConditions states the rules that join the fields: an internal or
// restricted advert needs an audience and the trust's declaration, and a
// group audience its trusts.
func (PublishingInput) OpenAPIConditions() []map[string]any {
	limited := map[string]any{
		"properties": map[string]any{"option": map[string]any{"enum": []string{
			Name(eventsv1.PublishingOption_PUBLISHING_OPTION_INTERNAL), Name(eventsv1.PublishingOption_PUBLISHING_OPTION_RESTRICTED)}}},
		"required": []string{"option"},
	}
	return []map[string]any{
		{"if": limited, "then": map[string]any{
			"properties": map[string]any{"policy_declared": map[string]any{"const": true}},
			"required":   []string{"audience", "policy_declared"},
		}},
		{"if": map[string]any{
			"properties": map[string]any{"audience": map[string]any{"const": Name(eventsv1.Audience_AUDIENCE_GROUP)}},
			"required":   []string{"audience"},
		}, "then": map[string]any{"required": []string{"group_name", "group_trusts"}}},
	}
}

// EmploymentInput is who a candidate says they work for; it decides which
// internal and restricted vacancies they see. Their employer checks it when
// they apply.
type EmploymentInput struct {
	// Trusts are the ODS codes of the NHS trusts they work for.
	Trusts []string `json:"trusts,omitempty" api:"maxItems=5" pattern:"^[A-Za-z0-9]{3,5}$"`
	// NHS: they work for an NHS employer (implied by trusts).
	NHS bool `json:"nhs,omitempty"`
	// RestrictedStatus: they hold restricted status (at risk of
	// redundancy, on a redeployment register) with their NHS employer.
	RestrictedStatus bool `json:"restricted_status,omitempty"`
}

// STPInput is how a Scientist Training Programme post is recruited.
type STPInput struct {
	// Route: direct_entry (recruited nationally by the National School of
	// Healthcare Science: public, Band 6 while training, a September start,
	// a recruitment window) or in_service (a trust's own post for its own
	// staff: internal).
	Route string `json:"route" api:"required"`
	// STPSpecialism is the programme's specialism; required for direct entry.
	STPSpecialism string `json:"stp_specialism,omitempty"`
	// WindowOpens and WindowCloses are the national recruitment window, for
	// direct entry; the closing date lies within it.
	WindowOpens  string `json:"window_opens,omitempty" api:"format=date"`
	WindowCloses string `json:"window_closes,omitempty" api:"format=date"`
	// IntakeYear is the September the trainees start; set from start_date.
	IntakeYear int32 `json:"intake_year,omitempty" api:"min=0,max=2100"`
}

// ApprenticeshipPostInput is an apprenticeship post's training.
type ApprenticeshipPostInput struct {
	// Level of the apprenticeship standard, 2 to 7.
	Level int32 `json:"level" api:"required,min=2,max=7"`
	// Standard is the standard's name ("Engineering technician"), and
	// StandardReference its reference (ST0457).
	Standard          string `json:"standard" api:"required,minLength=1,maxLength=200"`
	StandardReference string `json:"standard_reference,omitempty" pattern:"^ST[0-9]{4}$"`
	TrainingProvider  string `json:"training_provider" api:"required,minLength=1,maxLength=200"`
	// OffTheJobHoursPerWeek is the training off the job, at least 6 hours a
	// week for a post of 30 hours or more, and no more than its hours.
	OffTheJobHoursPerWeek float64 `json:"off_the_job_hours_per_week" api:"required,min=1,max=48"`
	// DurationMonths is how long the apprenticeship lasts, 8 to 72 months.
	DurationMonths int32 `json:"duration_months" api:"required,min=8,max=72"`
	// QualificationGained is what the apprentice comes away with.
	QualificationGained string `json:"qualification_gained" api:"required,minLength=1,maxLength=300"`
	// LinkedSite is the hospital (the name of one of the vacancy's sites)
	// the apprentice is linked to; the first site when left out.
	LinkedSite string `json:"linked_site,omitempty" api:"maxLength=200"`
	// Rotation lists the departments the apprentice rotates through.
	Rotation []string `json:"rotation,omitempty" api:"maxItems=12,maxLength=100"`
}

var (
	odsPattern      = regexp.MustCompile(`^[A-Z0-9]{3,5}$`)
	standardPattern = regexp.MustCompile(`^ST[0-9]{4}$`)
)

// trusts checks a list of ODS codes, upper-cased and without repeats.
func (c *checker) trusts(field string, in []string, most int) []string {
	if len(in) > most {
		c.add(field, "lists %d trusts; at most %d", len(in), most)
		return nil
	}
	var out []string
	for i, t := range in {
		t = strings.ToUpper(strings.TrimSpace(t))
		if !odsPattern.MatchString(t) {
			c.add(fmt.Sprintf("%s/%d", field, i), "%q is not an NHS organisation (ODS) code such as RJ1", in[i])
			continue
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// publishing checks a vacancy's publishing option; none is public.
func (c *checker) publishing(field string, in *PublishingInput) *eventsv1.Publishing {
	if in == nil {
		return &eventsv1.Publishing{Option: eventsv1.PublishingOption_PUBLISHING_OPTION_PUBLIC}
	}
	p := &eventsv1.Publishing{
		Option:            enumField[eventsv1.PublishingOption](c, field+"/option", in.Option, true),
		Audience:          enumField[eventsv1.Audience](c, field+"/audience", in.Audience, false),
		PolicyDeclared:    in.PolicyDeclared,
		ReleaseIfUnfilled: in.ReleaseIfUnfilled,
	}
	switch p.Option {
	case eventsv1.PublishingOption_PUBLISHING_OPTION_PUBLIC:
		if in.Audience != "" || in.GroupName != "" || len(in.GroupTrusts) > 0 {
			c.add(field, "a public advert has no audience or group")
		}
		p.PolicyDeclared, p.ReleaseIfUnfilled = false, false
		return p
	case eventsv1.PublishingOption_PUBLISHING_OPTION_UNSPECIFIED:
		return p
	}
	switch {
	case p.Audience == eventsv1.Audience_AUDIENCE_UNSPECIFIED && in.Audience == "":
		c.add(field+"/audience", "is required for a %s advert: trust, group or nhs", in.Option)
	case p.Audience == eventsv1.Audience_AUDIENCE_NHS && p.Option == eventsv1.PublishingOption_PUBLISHING_OPTION_INTERNAL:
		c.add(field+"/audience", "nhs is for restricted adverts; an internal one is for the trust or its group")
	}
	if p.Audience == eventsv1.Audience_AUDIENCE_GROUP {
		p.GroupName = c.text(field+"/group_name", in.GroupName, 1, 200, false)
		p.GroupTrusts = c.trusts(field+"/group_trusts", in.GroupTrusts, 50)
		if len(in.GroupTrusts) == 0 {
			c.add(field+"/group_trusts", "is required for audience group: the ODS codes of the group's trusts")
		}
	} else if in.GroupName != "" || len(in.GroupTrusts) > 0 {
		c.add(field, "group_name and group_trusts are for audience group")
	}
	if !in.PolicyDeclared {
		c.add(field+"/policy_declared", "must be true: the trust declares that advertising only to %s follows its recruitment policy", strings.ToLower(in.Option))
	}
	return p
}

func publishingView(p *eventsv1.Publishing) PublishingInput {
	if p.GetOption() == eventsv1.PublishingOption_PUBLISHING_OPTION_UNSPECIFIED {
		return PublishingInput{Option: Name(eventsv1.PublishingOption_PUBLISHING_OPTION_PUBLIC)}
	}
	return PublishingInput{
		Option: Name(p.GetOption()), Audience: Name(p.GetAudience()), GroupName: p.GetGroupName(),
		GroupTrusts: p.GetGroupTrusts(), PolicyDeclared: p.GetPolicyDeclared(), ReleaseIfUnfilled: p.GetReleaseIfUnfilled(),
	}
}

// employment checks what a candidate declares of their employer.
func (c *checker) employment(field string, in *EmploymentInput) *eventsv1.Employment {
	if in == nil {
		return nil
	}
	e := &eventsv1.Employment{
		Trusts: c.trusts(field+"/trusts", in.Trusts, 5), Nhs: in.NHS || len(in.Trusts) > 0, RestrictedStatus: in.RestrictedStatus,
	}
	if e.RestrictedStatus && !e.Nhs {
		c.add(field+"/restricted_status", "is held with an NHS employer: say nhs or list the trusts")
	}
	if !e.Nhs {
		return nil
	}
	return e
}

func employmentView(e *eventsv1.Employment) *EmploymentInput {
	if e == nil {
		return nil
	}
	return &EmploymentInput{Trusts: e.GetTrusts(), NHS: e.GetNhs(), RestrictedStatus: e.GetRestrictedStatus()}
}

// stp checks an STP post's entry route against the rest of the vacancy v
// (role family, band, dates, publishing and requirements checked already).
func (c *checker) stp(field string, in *STPInput, v *eventsv1.Vacancy, nhsShape bool) *eventsv1.StpEntry {
	isSTP := v.GetRoleFamily() == eventsv1.RoleFamily_ROLE_FAMILY_STP_TRAINEE
	switch {
	case in == nil && isSTP && nhsShape:
		c.add(field, "is required for an stp_trainee post: route direct_entry or in_service")
		return nil
	case in == nil:
		return nil
	case !isSTP:
		c.add(field, "is for stp_trainee posts")
		return nil
	}
	s := &eventsv1.StpEntry{
		Route:      enumField[eventsv1.StpRoute](c, field+"/route", in.Route, true),
		Specialism: enumField[eventsv1.StpSpecialism](c, field+"/stp_specialism", in.STPSpecialism, false),
	}
	opens, okOpens := c.date(field+"/window_opens", in.WindowOpens, false)
	closes, okCloses := c.date(field+"/window_closes", in.WindowCloses, false)
	switch s.Route {
	case eventsv1.StpRoute_STP_ROUTE_DIRECT_ENTRY:
		if s.Specialism == 0 && in.STPSpecialism == "" {
			c.add(field+"/stp_specialism", "is required for direct entry")
		}
		if v.GetBand() != eventsv1.Band_BAND_6 {
			c.add("/band", "direct-entry STP trainees are paid Band 6 while training")
		}
		if !Public(v) {
			c.add("/publishing", "direct entry is recruited nationally: the advert is public")
		}
		switch {
		case v.GetStartDate() == "":
			c.add("/start_date", "is required for direct entry: the September the programme starts")
		case v.GetStartDate()[5:7] != "09":
			c.add("/start_date", "direct entry starts in September; %s is not", v.GetStartDate())
		default:
			y, _ := strconv.Atoi(v.GetStartDate()[:4]) // a date checked already
			year := int32(y)
			if in.IntakeYear != 0 && in.IntakeYear != year {
				c.add(field+"/intake_year", "is %d; the start date is in %d", in.IntakeYear, year)
			}
			s.IntakeYear = year
		}
		switch {
		case in.WindowOpens == "" || in.WindowCloses == "":
			c.add(field, "window_opens and window_closes are required for direct entry: the national recruitment window")
		case okOpens && okCloses && closes.Before(opens):
			c.add(field+"/window_closes", "is before window_opens")
		case okOpens && okCloses:
			s.WindowOpens, s.WindowCloses = FormatDate(opens), FormatDate(closes)
			if cd := v.GetClosingDate(); cd != "" && (cd < s.WindowOpens || cd > s.WindowCloses) {
				c.add("/closing_date", "must lie within the recruitment window, %s to %s", s.WindowOpens, s.WindowCloses)
			}
		}
	case eventsv1.StpRoute_STP_ROUTE_IN_SERVICE:
		if v.GetPublishing().GetOption() != eventsv1.PublishingOption_PUBLISHING_OPTION_INTERNAL {
			c.add("/publishing", "in-service STP posts are for the trust's own staff: publish internal")
		}
		if in.WindowOpens != "" || in.WindowCloses != "" || in.IntakeYear != 0 {
			c.add(field, "the recruitment window and intake year are for direct entry")
		}
	}
	// The specialist MSc is part of the programme, not an entry requirement.
	if asksMSc(v.GetRequirements()) {
		c.add("/requirements", "the STP's MSc is part of the programme, not an entry requirement: do not ask for one as essential")
	}
	return s
}

// asksMSc reports whether r asks an MSc as essential.
func asksMSc(r *eventsv1.Requirements) bool {
	if r.GetMsc() {
		return true
	}
	for _, g := range r.GetEssential() {
		for _, alt := range g.GetAnyOf() {
			if len(g.GetAnyOf()) > 1 {
				continue // one way of several: an MSc is not demanded
			}
			for _, k := range alt.GetAllOf() {
				if k.GetKind() == eventsv1.ConditionKind_CONDITION_KIND_AWARD && k.GetAward() == eventsv1.Award_AWARD_MSC {
					return true
				}
			}
		}
	}
	return false
}

// Public reports whether anyone may see v (its publishing option is
// public, or unset as on every record of before).
func Public(v *eventsv1.Vacancy) bool {
	o := v.GetPublishing().GetOption()
	return o == eventsv1.PublishingOption_PUBLISHING_OPTION_UNSPECIFIED || o == eventsv1.PublishingOption_PUBLISHING_OPTION_PUBLIC
}

func stpView(s *eventsv1.StpEntry) *STPInput {
	if s == nil {
		return nil
	}
	return &STPInput{Route: Name(s.GetRoute()), STPSpecialism: Name(s.GetSpecialism()), WindowOpens: s.GetWindowOpens(),
		WindowCloses: s.GetWindowCloses(), IntakeYear: s.GetIntakeYear()}
}

// apprenticeship checks an apprentice post's training against v (its
// sites and hours checked already).
func (c *checker) apprenticeship(field string, in *ApprenticeshipPostInput, v *eventsv1.Vacancy, nhsShape bool) *eventsv1.Apprenticeship {
	isApp := v.GetRoleFamily() == eventsv1.RoleFamily_ROLE_FAMILY_APPRENTICE
	switch {
	case in == nil && isApp && nhsShape:
		c.add(field, "is required for an apprentice post: level, standard, training provider, off-the-job hours, duration and the qualification gained")
		return nil
	case in == nil:
		return nil
	case !isApp:
		c.add(field, "is for apprentice posts")
		return nil
	}
	a := &eventsv1.Apprenticeship{
		Level:               in.Level,
		Standard:            c.text(field+"/standard", in.Standard, 1, 200, false),
		StandardReference:   strings.ToUpper(strings.TrimSpace(in.StandardReference)),
		TrainingProvider:    c.text(field+"/training_provider", in.TrainingProvider, 1, 200, false),
		DurationMonths:      in.DurationMonths,
		QualificationGained: c.text(field+"/qualification_gained", in.QualificationGained, 1, 300, false),
		LinkedSite:          c.text(field+"/linked_site", in.LinkedSite, 0, 200, false),
	}
	if in.Level < 2 || in.Level > 7 {
		c.add(field+"/level", "must be 2 to 7: apprenticeship standards run from level 2 (intermediate) to 7 (master's)")
	}
	if a.StandardReference != "" && !standardPattern.MatchString(a.StandardReference) {
		c.add(field+"/standard_reference", "%q is not a standard's reference such as ST0457", in.StandardReference)
	}
	if in.DurationMonths < 8 || in.DurationMonths > 72 {
		c.add(field+"/duration_months", "must be 8 to 72: an apprenticeship lasts at least 8 months")
	}
	switch h, otj := v.GetHoursPerWeek(), in.OffTheJobHoursPerWeek; {
	case !(otj > 0 && otj <= 48):
		c.add(field+"/off_the_job_hours_per_week", "is required: more than 0 and at most 48 hours a week")
	case h > 0 && otj > h:
		c.add(field+"/off_the_job_hours_per_week", "is more than the post's %.1f hours a week", h)
	case h >= 30 && otj < 6:
		c.add(field+"/off_the_job_hours_per_week", "must be at least 6 hours a week for a post of 30 hours or more")
	default:
		a.OffTheJobHoursPerWeek = math.Round(otj*100) / 100
	}
	sites := []string{v.GetSite().GetName()}
	for _, s := range v.GetOtherSites() {
		sites = append(sites, s.GetName())
	}
	switch {
	case a.LinkedSite == "":
		a.LinkedSite = sites[0]
	case !slices.Contains(sites, a.LinkedSite):
		c.add(field+"/linked_site", "%q is not one of the vacancy's sites", a.LinkedSite)
	}
	if len(in.Rotation) > 12 {
		c.add(field+"/rotation", "lists %d departments; at most 12", len(in.Rotation))
	}
	for i, d := range in.Rotation[:min(len(in.Rotation), 12)] {
		a.Rotation = append(a.Rotation, c.text(fmt.Sprintf("%s/rotation/%d", field, i), d, 1, 100, false))
	}
	return a
}

func apprenticeshipView(a *eventsv1.Apprenticeship) *ApprenticeshipPostInput {
	if a == nil {
		return nil
	}
	return &ApprenticeshipPostInput{
		Level: a.GetLevel(), Standard: a.GetStandard(), StandardReference: a.GetStandardReference(),
		TrainingProvider: a.GetTrainingProvider(), OffTheJobHoursPerWeek: a.GetOffTheJobHoursPerWeek(),
		DurationMonths: a.GetDurationMonths(), QualificationGained: a.GetQualificationGained(),
		LinkedSite: a.GetLinkedSite(), Rotation: a.GetRotation(),
	}
}
