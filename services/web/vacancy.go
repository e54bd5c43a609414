package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/jobs"
)

type vacancyPage struct {
	V        jobs.VacancyView
	Open     bool
	DaysLeft int
	Map      siteMap
	Sites    []jobs.SiteView
	// ClosedOn is the date it closed: its closing date, or the day the
	// trust closed it early.
	ClosedOn string
	// Requirements is nil when the vacancy states none.
	Requirements *requirements
}

// vacancy is a vacancy's page. A closed or withdrawn vacancy keeps its page,
// which says so and offers no way to apply.
func (s *Service) vacancy(c *gin.Context) {
	id := c.Param("id")
	if !ids.Valid("v", id) {
		s.notFound(c)
		return
	}
	ctx, client := c.Request.Context(), c.ClientIP()
	vac, err := s.api.Vacancy(ctx, id, client)
	if err != nil {
		s.failed(c, err)
		return
	}
	ld, err := s.api.JobPosting(ctx, id, client)
	if err != nil {
		s.failed(c, err)
		return
	}
	open := vac.Status == "open" && s.now().Before(vac.ClosesAt)
	sites := append([]jobs.SiteView{vac.Site}, vac.OtherSites...)
	page := vacancyPage{V: vac, Open: open, DaysLeft: s.daysLeft(vac.ClosingDate), Sites: sites, Map: drawMap(sites),
		Requirements: s.requirementsOf(vac.Requirements), ClosedOn: vac.ClosingDate}
	if c := vac.ClosesAt.UTC().Format(jobs.DateLayout); !open && c < vac.ClosingDate {
		page.ClosedOn = c
	}
	s.render(c, http.StatusOK, "vacancy", view{
		Title: vac.Title + " - " + vac.Trust.Name, Nav: "search",
		Canonical: s.baseURL(c.Request) + "/jobs/" + vac.ID,
		JSONLD:    json.RawMessage(ld), Data: page,
	})
}

// requirements are a vacancy's requirements in words.
type requirements struct{ Essential, Desirable []string }

// requirementsOf writes r as lines: the plain fields and the essential
// groups (in the trust's words where it gave them) are essential.
func (s *Service) requirementsOf(r jobs.RequirementsInput) *requirements {
	var out requirements
	if d := r.Degree; d != nil {
		line := s.msg.T("vacancy.req.degree.class", d.MinClass)
		if len(d.Subjects) > 0 {
			line += " " + s.msg.T("vacancy.req.in", strings.Join(words(d.Subjects), ", "))
		}
		out.Essential = append(out.Essential, line)
	}
	if a := r.ALevels; a != nil {
		line := s.msg.T("vacancy.req.a_levels.count", a.MinCount)
		if len(a.Subjects) > 0 {
			line += " " + s.msg.T("vacancy.req.including", strings.Join(words(a.Subjects), ", "))
		}
		out.Essential = append(out.Essential, line)
	}
	for _, p := range []struct {
		on  bool
		key string
	}{{r.AccreditedDegree, "vacancy.req.accredited"}, {r.MSc, "vacancy.req.msc"}, {r.NVQ, "vacancy.req.nvq"}} {
		if p.on {
			out.Essential = append(out.Essential, s.msg.T(p.key))
		}
	}
	for _, reg := range r.Registrations {
		out.Essential = append(out.Essential, s.msg.T("vacancy.req.registration", s.msg.T("register."+reg)))
	}
	if n := r.MinYearsExperience; n > 0 {
		out.Essential = append(out.Essential, s.msg.T("vacancy.req.experience", n))
	}
	for _, g := range r.Essential {
		if g.Label != "" {
			out.Essential = append(out.Essential, g.Label)
		}
	}
	for _, g := range r.Desirable {
		if g.Label != "" {
			out.Desirable = append(out.Desirable, g.Label)
		}
	}
	if len(out.Essential)+len(out.Desirable) == 0 {
		return nil
	}
	return &out
}

// words turns snake_case names (subjects) into words.
func words(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.ReplaceAll(n, "_", " ")
	}
	return out
}
