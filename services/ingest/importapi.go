package ingest

import (
	"encoding/xml"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/problem"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/ingest/internal/projection"
)

// importRuns answers the importer's latest runs, to operators.
func (s *Service) importRuns(c *gin.Context) {
	if s.importer == nil {
		c.JSON(http.StatusOK, ImportRuns{Runs: []ImportRun{}})
		return
	}
	c.JSON(http.StatusOK, s.importer.Runs())
}

// runImport runs the importer now and answers its record, to operators.
func (s *Service) runImport(c *gin.Context) {
	if s.importer == nil {
		httpserver.Fail(c, problem.New(problem.Conflict, "the importer is off: set IMPORT_FEED_URL"))
		return
	}
	c.JSON(http.StatusOK, s.importer.Run(c.Request.Context()))
}

// claimVacancy lets a trust take over a vacancy imported from its advert:
// the vacancy becomes the trust's to edit, and the importer stops writing
// the fields the trust sets. A trust claims an advert of its own: one
// imported under its code, or under no code with its name as employer.
func (s *Service) claimVacancy(c *gin.Context) {
	id := c.Param("id")
	trust := trustOf(c)
	var rec eventsv1.VacancyChanged
	rev, err := s.vacancies.Get(c.Request.Context(), id, &rec)
	if !ids.Valid("v", id) || errors.Is(err, bus.ErrNotFound) {
		httpserver.Fail(c, problem.New(problem.NotFound, "no vacancy %s", id))
		return
	}
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	v := rec.GetVacancy()
	src := v.GetSource()
	code := v.GetTrust().GetCode()
	mine := code == trust.GetCode() || code == "" && normName(src.GetEmployer()) == normName(trust.GetName())
	switch {
	case !mine:
		httpserver.Fail(c, problem.New(problem.NotFound, "no vacancy %s", id))
		return
	case src == nil:
		httpserver.Fail(c, problem.New(problem.Conflict, "vacancy %s was posted here, not imported", id))
		return
	case src.GetClaimed():
		httpserver.Fail(c, problem.New(problem.Conflict, "vacancy %s is claimed already", id))
		return
	}
	now := s.now()
	next := cloneVacancy(v)
	next.Trust = &eventsv1.TrustRef{Code: trust.GetCode(), Name: trust.GetName()}
	next.Source.Claimed = true
	next.UpdatedAtUnixMs = now.UnixMilli()
	s.changeVacancy(c, rev, &eventsv1.VacancyChanged{
		Change: eventsv1.VacancyChange_VACANCY_CHANGE_UPDATED, Vacancy: next, OccurredAtUnixMs: now.UnixMilli(),
		Actor: c.GetString(auth.ContextActor),
	})
}

// aggregatorFeed is our open public vacancies as job aggregators take
// them: the XML of Indeed's feed, which Adzuna, Jooble and the others read
// too. Each job's referencenumber is our vacancy id, unique and stable.
// Vacancies imported and not claimed are left out: they are the source's
// to syndicate.
type aggregatorFeed struct {
	XMLName       xml.Name        `xml:"source"`
	Publisher     string          `xml:"publisher"`
	PublisherURL  string          `xml:"publisherurl"`
	LastBuildDate string          `xml:"lastBuildDate"`
	Jobs          []aggregatorJob `xml:"job"`
}

type aggregatorJob struct {
	Title           cdata `xml:"title"`
	Date            cdata `xml:"date"`
	ReferenceNumber cdata `xml:"referencenumber"`
	URL             cdata `xml:"url"`
	Company         cdata `xml:"company"`
	City            cdata `xml:"city"`
	Country         cdata `xml:"country"`
	PostalCode      cdata `xml:"postalcode"`
	Description     cdata `xml:"description"`
	Salary          cdata `xml:"salary"`
	JobType         cdata `xml:"jobtype"`
	Category        cdata `xml:"category"`
	Expiration      cdata `xml:"expirationdate"`
}

type cdata struct {
	Text string `xml:",cdata"`
}

// feedXML answers the aggregators' feed, to anyone.
func (s *Service) feedXML(c *gin.Context) {
	now := s.now()
	out := aggregatorFeed{Publisher: "Clinical Engineering Jobs", PublisherURL: s.cfg.PublicURL, LastBuildDate: now.UTC().Format(time.RFC1123Z)}
	after := ""
	for {
		page := s.projection.List(projection.Filter{OpenAt: now}, after, 1000)
		for _, e := range page.Entries {
			v := e.Vacancy
			if src := v.GetSource(); src != nil && !src.GetClaimed() {
				continue
			}
			view := jobs.ViewVacancy(v)
			out.Jobs = append(out.Jobs, aggregatorJob{
				Title: cdata{v.GetTitle()}, Date: cdata{v.GetPostedDate()}, ReferenceNumber: cdata{v.GetId()},
				URL:     cdata{strings.TrimRight(s.cfg.PublicURL, "/") + "/v1/vacancies/" + v.GetId()},
				Company: cdata{v.GetTrust().GetName()}, City: cdata{v.GetSite().GetName()}, Country: cdata{"GB"},
				PostalCode:  cdata{v.GetSite().GetLocation().GetPostcode()},
				Description: cdata{v.GetDescription()},
				Salary:      cdata{"£" + pounds(v.GetSalaryMin()) + " to £" + pounds(v.GetSalaryMax()) + " a year, band " + view.Band},
				JobType:     cdata{strings.Join(append([]string{view.Contract}, view.WorkingPatterns...), ", ")},
				Category:    cdata{view.RoleFamily}, Expiration: cdata{v.GetClosingDate()},
			})
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	slices.SortFunc(out.Jobs, func(a, b aggregatorJob) int { return strings.Compare(a.ReferenceNumber.Text, b.ReferenceNumber.Text) })
	body, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/xml; charset=utf-8", append([]byte(xml.Header), body...))
}

func pounds(n int32) string {
	s := strconv.Itoa(int(n))
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
