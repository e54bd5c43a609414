package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/services/web/internal/jobsapi"
)

// view is what every page template gets.
type view struct {
	Lang      string
	Title     string
	Canonical string
	// Nav is the menu item of this page, shown as current.
	Nav string
	// Errors are the page's errors, listed in the error summary and shown
	// beside their fields.
	Errors []fieldError
	// FeedURL, when set, is announced as the page's Atom feed.
	FeedURL string
	// JSONLD is structured data for search engines, put in the page.
	JSONLD any
	Data   any
}

// fieldError is one error of a form: the id of its field and the message.
type fieldError struct {
	Field   string
	Message string
}

// errorFor returns the message of field, if it has one.
func (v view) ErrorFor(field string) string {
	for _, e := range v.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

func (s *Service) parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"t": s.msg.T,
		// label is the words for an enum value, such as role_family.apprentice.
		"label": func(kind, value string) string { return s.msg.T(kind + "." + value) },
		"date":  formatDate,
		"money": money,
		"daysLeft": func(closing string) string {
			d := s.daysLeft(closing)
			switch {
			case d <= 0:
				return s.msg.T("search.daysleft.zero")
			case d == 1:
				return s.msg.T("search.daysleft.one")
			default:
				return s.msg.T("search.daysleft.many", d)
			}
		},
		"add": func(a, b int) int { return a + b },
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"search", "vacancy", "careers", "career", "error"} {
		t, err := layout.Clone()
		if err == nil {
			t, err = t.ParseFS(templateFiles, "templates/"+name+".html")
		}
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes a page, whole or not at all: a template that fails half
// way is an error page, not half a page.
func (s *Service) render(c *gin.Context, status int, page string, v view) {
	v.Lang = s.msg.Lang()
	var buf bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		s.log.ErrorContext(c.Request.Context(), "render page", "page", page, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

func (s *Service) notFound(c *gin.Context) {
	s.render(c, http.StatusNotFound, "error", view{Title: s.msg.T("error.notfound.title"),
		Data: errorPage{Heading: s.msg.T("error.notfound.title"), Body: s.msg.T("error.notfound.body")}})
}

// failed shows the page for an API that could not answer.
func (s *Service) failed(c *gin.Context, err error) {
	if errors.Is(err, jobsapi.ErrNotFound) {
		s.notFound(c)
		return
	}
	s.log.WarnContext(c.Request.Context(), "an API did not answer a page", "path", c.FullPath(), "err", err)
	s.render(c, http.StatusServiceUnavailable, "error", view{Title: s.msg.T("error.unavailable.title"),
		Data: errorPage{Heading: s.msg.T("error.unavailable.title"), Body: s.msg.T("error.unavailable.body")}})
}

type errorPage struct{ Heading, Body string }

// daysLeft is the number of whole days from today to closing, a date.
func (s *Service) daysLeft(closing string) int {
	d, err := time.Parse(jobs.DateLayout, closing)
	if err != nil {
		return 0
	}
	now := s.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return int(d.Sub(today).Hours() / 24)
}

// formatDate writes a YYYY-MM-DD date as the NHS style guide does:
// 7 December 2026.
func formatDate(date string) string {
	d, err := time.Parse(jobs.DateLayout, date)
	if err != nil {
		return date
	}
	return d.Format("2 January 2006")
}

// money writes whole pounds with thousands separated: £31,049.
func money(pounds int32) string {
	s := strconv.Itoa(int(pounds))
	var b strings.Builder
	b.WriteString("£")
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
