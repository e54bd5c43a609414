package jobs

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/clinjobs/clinjobs/pkg/problem"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// VacancyInput is a vacancy as a trust posts or replaces it.
type VacancyInput struct {
	Reference   string       `json:"reference" api:"required,minLength=1,maxLength=64" pattern:"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"`
	Title       string       `json:"title" api:"required,minLength=3,maxLength=200"`
	Description string       `json:"description" api:"required,minLength=1,maxLength=20000"`
	RoleFamily  string       `json:"role_family" api:"required"`
	Specialisms []string     `json:"specialisms,omitempty"`
	Setting     string       `json:"setting" api:"required"`
	Band        string       `json:"band" api:"required"`
	Salary      *SalaryInput `json:"salary" api:"required"`
	Contract    string       `json:"contract" api:"required"`
	// Hours (full_time or part_time) is the one working pattern of
	// before: give it or working_patterns, or both.
	Hours           string             `json:"hours,omitempty"`
	WorkingPatterns []string           `json:"working_patterns,omitempty" api:"maxItems=8"`
	Site            *SiteInput         `json:"site" api:"required"`
	Requirements    *RequirementsInput `json:"requirements,omitempty"`
	ClosingDate     string             `json:"closing_date" api:"required,format=date"`
	StartDate       string             `json:"start_date,omitempty" api:"format=date"`
	Apply           *ApplyInput        `json:"apply" api:"required"`

	// What an NHS Jobs advert carries besides; all optional.
	StaffGroup string `json:"staff_group,omitempty"`
	// Posts is how many posts the advert fills (1 when unset).
	Posts int32 `json:"posts,omitempty" api:"min=0,max=500"`
	// FixedTermMonths is the length of a fixed-term contract or secondment.
	FixedTermMonths int32 `json:"fixed_term_months,omitempty" api:"min=0,max=60"`
	// HoursPerWeek are the contracted hours (37.5 full time).
	HoursPerWeek float64 `json:"hours_per_week,omitempty" api:"min=0,max=48"`
	// ProRata: the salary is full time, paid pro rata to the hours.
	ProRata bool `json:"pro_rata,omitempty"`
	// HighCostArea is the supplement the post attracts on top of the salary:
	// none, inner_london, outer_london, fringe.
	HighCostArea string `json:"high_cost_area,omitempty"`
	// PayScale: afc_england (the band's 2025/26 pay points are checked),
	// afc_wales, afc_scotland, afc_northern_ireland (not checked), other.
	PayScale string `json:"pay_scale,omitempty"`
	// OtherSites are up to nine more sites, each placed.
	OtherSites             []SiteInput   `json:"other_sites,omitempty" api:"maxItems=9"`
	InterviewDate          string        `json:"interview_date,omitempty" api:"format=date"`
	JobDescriptionURL      string        `json:"job_description_url,omitempty" api:"format=uri,maxLength=2048"`
	PersonSpecificationURL string        `json:"person_specification_url,omitempty" api:"format=uri,maxLength=2048"`
	VisaSponsorship        string        `json:"visa_sponsorship,omitempty"`
	DBSCheck               string        `json:"dbs_check,omitempty"`
	DisabilityConfident    bool          `json:"disability_confident,omitempty"`
	WelshLanguage          string        `json:"welsh_language,omitempty"`
	Contact                *ContactInput `json:"contact,omitempty"`
	// Publishing says who may see the vacancy; public when left out.
	Publishing *PublishingInput `json:"publishing,omitempty"`
	// STP is required of an stp_trainee post written in the NHS Jobs shape
	// (with a staff group), and only for one.
	STP *STPInput `json:"stp,omitempty"`
	// Apprenticeship is required of an apprentice post written in the NHS
	// Jobs shape (with a staff group), and only for one.
	Apprenticeship *ApprenticeshipPostInput `json:"apprenticeship,omitempty"`
}

// ContactInput is who answers questions about the post.
type ContactInput struct {
	Name     string `json:"name" api:"required,minLength=1,maxLength=200"`
	JobTitle string `json:"job_title,omitempty" api:"maxLength=200"`
	Email    string `json:"email,omitempty" api:"format=email,maxLength=254"`
	Phone    string `json:"phone,omitempty" api:"maxLength=30"`
}

// MaxSites is how many sites a vacancy may list, the first included.
const MaxSites = 10

var phonePattern = regexp.MustCompile(`^\+?[0-9 ()-]{6,30}$`)

// SalaryInput is a salary range in whole pounds a year.
type SalaryInput struct {
	Min int32 `json:"min"`
	Max int32 `json:"max"`
}

// SiteInput is where the post is based.
type SiteInput struct {
	Name string `json:"name"`
	PlaceInput
}

// ApplyInput says how to apply: a URL, an email address, or both, and words.
type ApplyInput struct {
	URL          string `json:"url,omitempty"`
	Email        string `json:"email,omitempty"`
	Instructions string `json:"instructions,omitempty"`
}

// Limits of a vacancy.
const (
	MinSalary = 10_000
	MaxSalary = 300_000
	// MaxClosingAhead is how far ahead a closing date may be.
	MaxClosingAhead = 366 * 24 * time.Hour
	// MaxStartAhead is how far ahead a start date may be.
	MaxStartAhead = 3 * 366 * 24 * time.Hour
)

var referencePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$`)

// Check checks every field of in as of now, resolves the site's postcode,
// and returns the vacancy it describes, without the fields the system sets
// (id, trust, status, times). A bad field is an Invalid problem listing all.
func (in *VacancyInput) Check(ctx context.Context, now time.Time, r Resolver) (*eventsv1.Vacancy, error) {
	var c checker
	v := &eventsv1.Vacancy{
		Title:           c.text("/title", in.Title, 3, 200, false),
		Description:     c.text("/description", in.Description, 1, 20_000, true),
		RoleFamily:      enumField[eventsv1.RoleFamily](&c, "/role_family", in.RoleFamily, true),
		Specialisms:     enumList[eventsv1.Specialism](&c, "/specialisms", in.Specialisms, false),
		Setting:         enumField[eventsv1.Setting](&c, "/setting", in.Setting, true),
		Band:            enumField[eventsv1.Band](&c, "/band", in.Band, true),
		Contract:        enumField[eventsv1.Contract](&c, "/contract", in.Contract, true),
		Hours:           enumField[eventsv1.Hours](&c, "/hours", in.Hours, false),
		WorkingPatterns: enumList[eventsv1.WorkingPattern](&c, "/working_patterns", in.WorkingPatterns, false),
	}
	if p := eventsv1.WorkingPattern(v.Hours); v.Hours != 0 && !slices.Contains(v.WorkingPatterns, p) {
		v.WorkingPatterns = append([]eventsv1.WorkingPattern{p}, v.WorkingPatterns...)
	}
	if len(v.WorkingPatterns) == 0 && len(in.WorkingPatterns) == 0 && in.Hours == "" {
		c.add("/working_patterns", "is required: one or more of %s", strings.Join(Names[eventsv1.WorkingPattern](), ", "))
	}
	if v.Hours == 0 {
		// Readers of hours alone see the first full- or part-time pattern.
		for _, p := range v.WorkingPatterns {
			if p == eventsv1.WorkingPattern_WORKING_PATTERN_FULL_TIME || p == eventsv1.WorkingPattern_WORKING_PATTERN_PART_TIME {
				v.Hours = eventsv1.Hours(p)
				break
			}
		}
	}
	v.Reference = in.Reference
	if !referencePattern.MatchString(in.Reference) {
		c.add("/reference", "must be 1 to 64 letters, digits and . _ / - , starting with a letter or digit")
	}
	switch s := in.Salary; {
	case s == nil:
		c.add("/salary", "is required: {\"min\": pounds, \"max\": pounds}")
	case s.Min < MinSalary || s.Max > MaxSalary:
		c.add("/salary", "must lie between £%d and £%d a year", MinSalary, MaxSalary)
	case s.Min > s.Max:
		c.add("/salary", "min £%d is more than max £%d", s.Min, s.Max)
	default:
		v.SalaryMin, v.SalaryMax = s.Min, s.Max
	}
	var site *place
	if in.Site == nil {
		c.add("/site", "is required: a name and a postcode or latitude and longitude")
	} else {
		v.Site = &eventsv1.Site{Name: c.text("/site/name", in.Site.Name, 1, 200, false)}
		site = c.place("/site", &in.Site.PlaceInput)
	}
	v.Requirements = c.requirements("/requirements", in.Requirements)
	v.StaffGroup = enumField[eventsv1.StaffGroup](&c, "/staff_group", in.StaffGroup, false)
	v.HighCostArea = enumField[eventsv1.HighCostArea](&c, "/high_cost_area", in.HighCostArea, false)
	v.PayScale = enumField[eventsv1.PayScale](&c, "/pay_scale", in.PayScale, false)
	v.VisaSponsorship = enumField[eventsv1.VisaSponsorship](&c, "/visa_sponsorship", in.VisaSponsorship, false)
	v.DbsCheck = enumField[eventsv1.DbsCheck](&c, "/dbs_check", in.DBSCheck, false)
	v.WelshLanguage = enumField[eventsv1.WelshLanguage](&c, "/welsh_language", in.WelshLanguage, false)
	v.DisabilityConfident, v.ProRata = in.DisabilityConfident, in.ProRata
	c.checkPay(v.PayScale, v.Band, v.SalaryMin, v.SalaryMax)
	switch {
	case in.Posts < 0 || in.Posts > 500:
		c.add("/posts", "must be 1 to 500")
	case in.Posts == 0:
		v.Posts = 1
	default:
		v.Posts = in.Posts
	}
	switch fixed := v.Contract == eventsv1.Contract_CONTRACT_FIXED_TERM || v.Contract == eventsv1.Contract_CONTRACT_SECONDMENT; {
	case in.FixedTermMonths < 0 || in.FixedTermMonths > 60:
		c.add("/fixed_term_months", "must be 1 to 60")
	case fixed && in.FixedTermMonths == 0 && in.StaffGroup != "":
		// Required of adverts written in the NHS Jobs shape (with a staff
		// group); posts of before gave no length.
		c.add("/fixed_term_months", "is required for a %s contract: its length in months", in.Contract)
	case !fixed && in.FixedTermMonths != 0:
		c.add("/fixed_term_months", "is for a fixed-term contract or a secondment")
	default:
		v.FixedTermMonths = in.FixedTermMonths
	}
	if h := in.HoursPerWeek; h < 0 || h > 48 || h != h {
		c.add("/hours_per_week", "must be 0 to 48 (the Working Time Regulations' average)")
	} else {
		v.HoursPerWeek = math.Round(h*100) / 100
	}
	if in.ProRata && in.HoursPerWeek == 0 {
		c.add("/hours_per_week", "is required with pro_rata: the salary is paid for these hours")
	}
	if len(in.OtherSites) > MaxSites-1 {
		c.add("/other_sites", "has %d sites; a vacancy lists at most %d in all", len(in.OtherSites), MaxSites)
	}
	others := make([]*place, 0, len(in.OtherSites))
	for i := range in.OtherSites {
		f := fmt.Sprintf("/other_sites/%d", i)
		v.OtherSites = append(v.OtherSites, &eventsv1.Site{Name: c.text(f+"/name", in.OtherSites[i].Name, 1, 200, false)})
		others = append(others, c.place(f, &in.OtherSites[i].PlaceInput))
	}
	v.JobDescriptionUrl = c.url("/job_description_url", in.JobDescriptionURL)
	v.PersonSpecificationUrl = c.url("/person_specification_url", in.PersonSpecificationURL)
	if ct := in.Contact; ct != nil {
		v.Contact = &eventsv1.Contact{
			Name:     c.text("/contact/name", ct.Name, 1, 200, false),
			JobTitle: c.text("/contact/job_title", ct.JobTitle, 0, 200, false),
			Email:    c.email("/contact/email", ct.Email, false),
			Phone:    strings.TrimSpace(ct.Phone),
		}
		if v.Contact.Phone != "" && !phonePattern.MatchString(v.Contact.Phone) {
			c.add("/contact/phone", "is not a telephone number such as 020 7188 7188")
		}
	}

	today := Today(now)
	v.PostedDate = FormatDate(today)
	if closing, ok := c.date("/closing_date", in.ClosingDate, true); ok {
		switch {
		case closing.Before(today):
			c.add("/closing_date", "%s has passed", in.ClosingDate)
		case closing.After(today.Add(MaxClosingAhead)):
			c.add("/closing_date", "must be within a year")
		default:
			v.ClosingDate = FormatDate(closing)
			v.ClosesAtUnixMs = EndOfDay(closing).UnixMilli()
		}
	}
	if start, ok := c.date("/start_date", in.StartDate, false); ok {
		switch {
		case start.Before(today):
			c.add("/start_date", "%s has passed", in.StartDate)
		case v.ClosingDate != "" && FormatDate(start) < v.ClosingDate:
			c.add("/start_date", "must not be before the closing date")
		case start.After(today.Add(MaxStartAhead)):
			c.add("/start_date", "must be within three years")
		default:
			v.StartDate = FormatDate(start)
		}
	}
	if interview, ok := c.date("/interview_date", in.InterviewDate, false); ok {
		switch {
		case interview.Before(today):
			c.add("/interview_date", "%s has passed", in.InterviewDate)
		case v.ClosingDate != "" && FormatDate(interview) < v.ClosingDate:
			c.add("/interview_date", "must not be before the closing date")
		case v.StartDate != "" && FormatDate(interview) > v.StartDate:
			c.add("/interview_date", "must not be after the start date")
		default:
			v.InterviewDate = FormatDate(interview)
		}
	}
	v.Publishing = c.publishing("/publishing", in.Publishing)
	v.Stp = c.stp("/stp", in.STP, v, in.StaffGroup != "")
	v.Apprenticeship = c.apprenticeship("/apprenticeship", in.Apprenticeship, v, in.StaffGroup != "")
	if a := in.Apply; a == nil || a.URL == "" && a.Email == "" {
		c.add("/apply", "is required: a url or an email address to apply to")
	} else {
		v.Apply = &eventsv1.HowToApply{
			Url:          c.url("/apply/url", a.URL),
			Email:        c.email("/apply/email", a.Email, false),
			Instructions: c.text("/apply/instructions", a.Instructions, 0, 2000, true),
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	loc, err := site.resolve(ctx, r, &c)
	if err != nil {
		return nil, err
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	v.Site.Location = loc
	for i, p := range others {
		loc, err := p.resolve(ctx, r, &c)
		if err != nil {
			return nil, err
		}
		v.OtherSites[i].Location = loc
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return v, nil
}

// VacancyView is a vacancy as read.
type VacancyView struct {
	ID              string            `json:"id"`
	Trust           TrustView         `json:"trust"`
	Reference       string            `json:"reference"`
	Title           string            `json:"title"`
	Description     string            `json:"description"`
	RoleFamily      string            `json:"role_family"`
	Specialisms     []string          `json:"specialisms"`
	Setting         string            `json:"setting"`
	Band            string            `json:"band"`
	Salary          SalaryView        `json:"salary"`
	Contract        string            `json:"contract"`
	Hours           string            `json:"hours,omitempty"`
	WorkingPatterns []string          `json:"working_patterns"`
	Site            SiteView          `json:"site"`
	Requirements    RequirementsInput `json:"requirements"`
	PostedDate      string            `json:"posted_date"`
	ClosingDate     string            `json:"closing_date"`
	StartDate       string            `json:"start_date,omitempty"`
	Apply           ApplyInput        `json:"apply"`
	Status          string            `json:"status"`
	ClosesAt        time.Time         `json:"closes_at"`
	CreatedAt       time.Time         `json:"created_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
	WithdrawnReason string            `json:"withdrawn_reason,omitempty"`

	StaffGroup             string       `json:"staff_group,omitempty"`
	Posts                  int32        `json:"posts"`
	FixedTermMonths        int32        `json:"fixed_term_months,omitempty"`
	HoursPerWeek           float64      `json:"hours_per_week,omitempty"`
	ProRata                bool         `json:"pro_rata"`
	HighCostArea           string       `json:"high_cost_area,omitempty"`
	PayScale               string       `json:"pay_scale,omitempty"`
	OtherSites             []SiteView   `json:"other_sites"`
	InterviewDate          string       `json:"interview_date,omitempty" api:"format=date"`
	JobDescriptionURL      string       `json:"job_description_url,omitempty" api:"format=uri"`
	PersonSpecificationURL string       `json:"person_specification_url,omitempty" api:"format=uri"`
	VisaSponsorship        string       `json:"visa_sponsorship,omitempty"`
	DBSCheck               string       `json:"dbs_check,omitempty"`
	DisabilityConfident    bool         `json:"disability_confident"`
	WelshLanguage          string       `json:"welsh_language,omitempty"`
	Contact                *ContactView `json:"contact,omitempty"`
	// Publishing is who may see the vacancy (public for records of before).
	Publishing     PublishingInput          `json:"publishing"`
	STP            *STPInput                `json:"stp,omitempty"`
	Apprenticeship *ApprenticeshipPostInput `json:"apprenticeship,omitempty"`
	// Source says where an imported vacancy came from; absent for a
	// trust's own posting.
	Source *SourceView `json:"source,omitempty"`
}

// SourceView says where an imported vacancy came from: candidates apply at
// its URL.
type SourceView struct {
	Name     string `json:"name"`
	ID       string `json:"id"`
	URL      string `json:"url" api:"format=uri"`
	Employer string `json:"employer,omitempty"`
	// Claimed: the trust took the vacancy over; TrustFields are the fields
	// it set, which the importer no longer writes.
	Claimed     bool     `json:"claimed"`
	TrustFields []string `json:"trust_fields,omitempty"`
}

// ContactView is who answers questions about the post.
type ContactView struct {
	Name     string `json:"name"`
	JobTitle string `json:"job_title,omitempty"`
	Email    string `json:"email,omitempty" api:"format=email"`
	Phone    string `json:"phone,omitempty"`
}

// TrustView names a trust.
type TrustView struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// SalaryView is a salary range.
type SalaryView struct {
	Min      int32  `json:"min"`
	Max      int32  `json:"max"`
	Currency string `json:"currency"`
	Period   string `json:"period"`
}

// SiteView is where a post is based.
type SiteView struct {
	Name string `json:"name"`
	PlaceView
}

// ViewVacancy returns the view of v, read in the current shape.
func ViewVacancy(v *eventsv1.Vacancy) VacancyView {
	v = eventsv1.UpgradeVacancy(v)
	view := VacancyView{
		ID:              v.GetId(),
		Trust:           TrustView{Code: v.GetTrust().GetCode(), Name: v.GetTrust().GetName()},
		Reference:       v.GetReference(),
		Title:           v.GetTitle(),
		Description:     v.GetDescription(),
		RoleFamily:      Name(v.GetRoleFamily()),
		Specialisms:     NamesOf(v.GetSpecialisms()),
		Setting:         Name(v.GetSetting()),
		Band:            Name(v.GetBand()),
		Salary:          SalaryView{Min: v.GetSalaryMin(), Max: v.GetSalaryMax(), Currency: "GBP", Period: "year"},
		Contract:        Name(v.GetContract()),
		Hours:           Name(v.GetHours()),
		WorkingPatterns: NamesOf(v.GetWorkingPatterns()),
		Site:            SiteView{Name: v.GetSite().GetName(), PlaceView: placeView(v.GetSite().GetLocation())},
		Requirements:    requirementsView(v.GetRequirements()),
		PostedDate:      v.GetPostedDate(),
		ClosingDate:     v.GetClosingDate(),
		StartDate:       v.GetStartDate(),
		Status:          Name(v.GetStatus()),
		ClosesAt:        time.UnixMilli(v.GetClosesAtUnixMs()).UTC(),
		CreatedAt:       time.UnixMilli(v.GetCreatedAtUnixMs()).UTC(),
		UpdatedAt:       time.UnixMilli(v.GetUpdatedAtUnixMs()).UTC(),
		Apply: ApplyInput{
			URL: v.GetApply().GetUrl(), Email: v.GetApply().GetEmail(), Instructions: v.GetApply().GetInstructions(),
		},
		WithdrawnReason: v.GetWithdrawnReason(),

		StaffGroup:             Name(v.GetStaffGroup()),
		Posts:                  max(v.GetPosts(), 1),
		FixedTermMonths:        v.GetFixedTermMonths(),
		HoursPerWeek:           v.GetHoursPerWeek(),
		ProRata:                v.GetProRata(),
		HighCostArea:           Name(v.GetHighCostArea()),
		PayScale:               Name(v.GetPayScale()),
		OtherSites:             []SiteView{},
		InterviewDate:          v.GetInterviewDate(),
		JobDescriptionURL:      v.GetJobDescriptionUrl(),
		PersonSpecificationURL: v.GetPersonSpecificationUrl(),
		VisaSponsorship:        Name(v.GetVisaSponsorship()),
		DBSCheck:               Name(v.GetDbsCheck()),
		DisabilityConfident:    v.GetDisabilityConfident(),
		WelshLanguage:          Name(v.GetWelshLanguage()),
		Publishing:             publishingView(v.GetPublishing()),
		STP:                    stpView(v.GetStp()),
		Apprenticeship:         apprenticeshipView(v.GetApprenticeship()),
	}
	for _, s := range v.GetOtherSites() {
		view.OtherSites = append(view.OtherSites, SiteView{Name: s.GetName(), PlaceView: placeView(s.GetLocation())})
	}
	if src := v.GetSource(); src != nil {
		view.Source = &SourceView{
			Name: src.GetName(), ID: src.GetId(), URL: src.GetUrl(), Employer: src.GetEmployer(),
			Claimed: src.GetClaimed(), TrustFields: src.GetTrustFields(),
		}
	}
	if ct := v.GetContact(); ct != nil {
		view.Contact = &ContactView{Name: ct.GetName(), JobTitle: ct.GetJobTitle(), Email: ct.GetEmail(), Phone: ct.GetPhone()}
	}
	return view
}

// IsOpen reports whether v is open and its closing date has not passed at now.
func IsOpen(v *eventsv1.Vacancy, now time.Time) bool {
	return v.GetStatus() == eventsv1.VacancyStatus_VACANCY_STATUS_OPEN && now.UnixMilli() < v.GetClosesAtUnixMs()
}

// ErrNotOpen is the problem of changing a vacancy that is closed or withdrawn.
func ErrNotOpen(v *eventsv1.Vacancy) error {
	return problem.New(problem.Conflict, "vacancy %s is %s", v.GetId(), Name(v.GetStatus()))
}
