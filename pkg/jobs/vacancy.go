package jobs

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/clinjobs/clinjobs/pkg/problem"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// VacancyInput is a vacancy as a trust posts or replaces it.
type VacancyInput struct {
	Reference   string       `json:"reference"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	RoleFamily  string       `json:"role_family"`
	Specialisms []string     `json:"specialisms,omitempty"`
	Setting     string       `json:"setting"`
	Band        string       `json:"band"`
	Salary      *SalaryInput `json:"salary"`
	Contract    string       `json:"contract"`
	// Hours (full_time or part_time) is the one working pattern of
	// before: give it or working_patterns, or both.
	Hours           string             `json:"hours,omitempty"`
	WorkingPatterns []string           `json:"working_patterns,omitempty"`
	Site            *SiteInput         `json:"site"`
	Requirements    *RequirementsInput `json:"requirements,omitempty"`
	ClosingDate     string             `json:"closing_date"`
	StartDate       string             `json:"start_date,omitempty"`
	Apply           *ApplyInput        `json:"apply"`
}

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
