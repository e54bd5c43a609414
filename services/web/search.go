package web

import (
	"errors"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/web/internal/jobsapi"
)

// pageSize is how many results a page of search shows.
const pageSize = 20

// distances are the choices of the distance filter, in km.
var distances = []int{5, 10, 25, 50, 100, 200}

// closingSoonDays is what "closing soon" means.
const closingSoonDays = 7

// query is a job search as the form sends it.
type query struct {
	Role, Specialism, Band, Postcode, Contract, Pattern string
	Km                                                  int
	Soon                                                bool
	Cursor                                              string
}

func readQuery(c *gin.Context) query {
	q := query{
		Role: c.Query("role"), Specialism: c.Query("specialism"), Band: c.Query("band"),
		Postcode: c.Query("postcode"), Contract: c.Query("contract"), Pattern: c.Query("pattern"),
		Soon: c.Query("soon") == "1", Cursor: c.Query("cursor"), Km: 25,
	}
	if km, err := strconv.Atoi(c.Query("km")); err == nil {
		q.Km = km
	}
	return q
}

// values is the query as this site's URL parameters, without the cursor.
func (q query) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"role": q.Role, "specialism": q.Specialism, "band": q.Band,
		"postcode": q.Postcode, "contract": q.Contract, "pattern": q.Pattern} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Postcode != "" {
		v.Set("km", strconv.Itoa(q.Km))
	}
	if q.Soon {
		v.Set("soon", "1")
	}
	return v
}

// check finds what is wrong with q before the API is asked, so that each
// error names the form's own field.
func (q query) check() []fieldError {
	var errs []fieldError
	enum := func(field, value string, ok bool) {
		if value != "" && !ok {
			errs = append(errs, fieldError{Field: field, Message: "search.field.invalid"})
		}
	}
	_, ok := jobs.Parse[eventsv1.RoleFamily](q.Role)
	enum("role", q.Role, ok)
	_, ok = jobs.Parse[eventsv1.Specialism](q.Specialism)
	enum("specialism", q.Specialism, ok)
	_, ok = jobs.Parse[eventsv1.Band](q.Band)
	enum("band", q.Band, ok)
	_, ok = jobs.Parse[eventsv1.Contract](q.Contract)
	enum("contract", q.Contract, ok)
	_, ok = jobs.Parse[eventsv1.WorkingPattern](q.Pattern)
	enum("pattern", q.Pattern, ok)
	if q.Postcode != "" {
		if _, err := geo.ParsePostcode(q.Postcode); err != nil {
			errs = append(errs, fieldError{Field: "postcode", Message: "search.field.postcode.invalid"})
		}
		if q.Km < 1 || q.Km > 1000 {
			errs = append(errs, fieldError{Field: "km", Message: "search.field.invalid"})
		}
	}
	return errs
}

// apiValues is the query as ingest's GET /v1/vacancies takes it.
func (q query) apiValues(today time.Time, limit int) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"role_family": q.Role, "specialism": q.Specialism, "band": q.Band,
		"postcode": q.Postcode, "contract": q.Contract, "working_pattern": q.Pattern, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Postcode != "" {
		v.Set("within_km", strconv.Itoa(q.Km))
	}
	if q.Soon {
		v.Set("closing_before", today.AddDate(0, 0, closingSoonDays).Format(jobs.DateLayout))
	}
	v.Set("limit", strconv.Itoa(limit))
	return v
}

// apiFields maps ingest's parameter names back to the form's.
var apiFields = map[string]string{"role_family": "role", "specialism": "specialism", "band": "band", "postcode": "postcode",
	"within_km": "km", "contract": "contract", "working_pattern": "pattern"}

// result is one vacancy in a list of results.
type result struct {
	jobs.VacancyView
	// DistanceKm is from the place searched; negative without one.
	DistanceKm float64
}

type searchPage struct {
	Q         query
	Options   searchOptions
	Results   []result
	Searched  bool
	NextURL   string
	FirstURL  string
	FeedURL   string
	Distances []int
	Fields    []selectField
	Distance  selectField
}

type searchOptions struct {
	Roles, Specialisms, Bands, Contracts, Patterns []string
}

func options() searchOptions {
	return searchOptions{
		Roles: jobs.Names[eventsv1.RoleFamily](), Specialisms: jobs.Names[eventsv1.Specialism](), Bands: jobs.Names[eventsv1.Band](),
		Contracts: jobs.Names[eventsv1.Contract](), Patterns: jobs.Names[eventsv1.WorkingPattern](),
	}
}

func (s *Service) home(c *gin.Context) { s.search(c) }

// search is the job search: the form, and a page of results.
func (s *Service) search(c *gin.Context) {
	q := readQuery(c)
	page := searchPage{Q: q, Options: options(), Distances: distances, Searched: len(c.Request.URL.Query()) > 0}
	v := view{Title: s.msg.T("search.title"), Nav: "search", Canonical: s.baseURL(c.Request) + "/jobs"}
	if v.Errors = q.check(); len(v.Errors) > 0 {
		s.translate(v.Errors)
		v.Title = s.msg.T("error.summary") + ": " + v.Title
		page.Fields, page.Distance = s.fields(q, v)
		v.Data = page
		s.render(c, 400, "search", v)
		return
	}
	list, err := s.api.Search(c.Request.Context(), q.apiValues(s.now().UTC(), pageSize), c.ClientIP())
	var p *jobsapi.Problem
	if errors.As(err, &p) && p.Status == 422 {
		for _, f := range p.Errors {
			if field, ok := apiFields[f.Field]; ok {
				v.Errors = append(v.Errors, fieldError{Field: field, Message: "search.field.invalid"})
			}
		}
		if len(v.Errors) == 0 {
			// Only a cursor no page of ours gave: there is no such page.
			s.notFound(c)
			return
		}
	}
	if len(v.Errors) > 0 {
		s.translate(v.Errors)
		v.Title = s.msg.T("error.summary") + ": " + v.Title
		page.Fields, page.Distance = s.fields(q, v)
		v.Data = page
		s.render(c, 400, "search", v)
		return
	}
	if err != nil {
		s.failed(c, err)
		return
	}
	for _, vac := range list.Vacancies {
		r := result{VacancyView: vac, DistanceKm: -1}
		if list.Near != nil {
			r.DistanceKm = math.Round(geo.DistanceKm(geo.Point{Lat: list.Near.Latitude, Lon: list.Near.Longitude},
				geo.Point{Lat: vac.Site.Latitude, Lon: vac.Site.Longitude}))
		}
		page.Results = append(page.Results, r)
	}
	params := q.values()
	if list.NextCursor != "" {
		next := q.values()
		next.Set("cursor", list.NextCursor)
		page.NextURL = "/jobs?" + next.Encode()
	}
	if q.Cursor != "" {
		page.FirstURL = "/jobs?" + params.Encode()
	}
	page.FeedURL = "/jobs.atom"
	if len(params) > 0 {
		page.FeedURL += "?" + params.Encode()
	}
	v.FeedURL = page.FeedURL
	page.Fields, page.Distance = s.fields(q, v)
	v.Data = page
	s.render(c, 200, "search", v)
}

// translate turns the errors' message keys into words.
func (s *Service) translate(errs []fieldError) {
	for i := range errs {
		errs[i].Message = s.msg.T(errs[i].Message)
	}
}

// selectField is a drop-down of the search form.
type selectField struct {
	ID, Label, Hint, Error, Any string
	Options                     []option
}

type option struct {
	Value, Label string
	Selected     bool
}

// fields builds the form's drop-downs for q, with each field's error.
func (s *Service) fields(q query, v view) ([]selectField, selectField) {
	opts := options()
	enum := func(id, kind, label, hint, anyKey, value string, names []string) selectField {
		f := selectField{ID: id, Label: s.msg.T(label), Any: s.msg.T(anyKey), Error: v.ErrorFor(id)}
		if hint != "" {
			f.Hint = s.msg.T(hint)
		}
		for _, n := range names {
			l := n
			if kind != "" {
				l = s.msg.T(kind + "." + n)
			} else {
				l = s.msg.T("search.band.label", n)
			}
			f.Options = append(f.Options, option{Value: n, Label: l, Selected: n == value})
		}
		return f
	}
	fields := []selectField{
		enum("role", "role_family", "search.role", "", "search.role.any", q.Role, opts.Roles),
		enum("specialism", "specialism", "search.specialism", "", "search.specialism.any", q.Specialism, opts.Specialisms),
		enum("band", "", "search.band", "search.band.hint", "search.band.any", q.Band, opts.Bands),
		enum("contract", "contract", "search.contract", "", "search.contract.any", q.Contract, opts.Contracts),
		enum("pattern", "working_pattern", "search.pattern", "", "search.pattern.any", q.Pattern, opts.Patterns),
	}
	dist := selectField{ID: "km", Label: s.msg.T("search.distance"), Error: v.ErrorFor("km")}
	for _, km := range distances {
		dist.Options = append(dist.Options, option{Value: strconv.Itoa(km), Label: s.msg.T("search.distance.km", km), Selected: km == q.Km})
	}
	return fields, dist
}
