package web

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// Atom (RFC 4287): a search's results as a feed that a reader polls.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Link      atomLink   `xml:"link"`
	Author    atomPerson `xml:"author"`
	Summary   string     `xml:"summary"`
}

// feed is the Atom feed of a search: its first page of results.
func (s *Service) feed(c *gin.Context) {
	q := readQuery(c)
	q.Cursor = ""
	if len(q.check()) > 0 {
		c.String(http.StatusBadRequest, "the search is not valid: see it at /jobs?%s", q.values().Encode())
		return
	}
	list, err := s.api.Search(c.Request.Context(), q.apiValues(s.now().UTC(), pageSize), c.ClientIP())
	if err != nil {
		c.String(http.StatusBadGateway, "the search could not be made just now")
		return
	}
	base := s.baseURL(c.Request)
	self := base + "/jobs.atom"
	html := base + "/jobs"
	if p := q.values().Encode(); p != "" {
		self += "?" + p
		html += "?" + p
	}
	what := s.msg.T("feed.all")
	if q.Role != "" {
		what = s.msg.T("role_family." + q.Role)
	}
	f := atomFeed{ID: self, Title: s.msg.T("feed.title", what), Author: atomPerson{Name: s.msg.T("site.name")},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self}, {Rel: "alternate", Type: "text/html", Href: html}}}
	var newest time.Time
	for _, v := range list.Vacancies {
		if v.UpdatedAt.After(newest) {
			newest = v.UpdatedAt
		}
		f.Entries = append(f.Entries, atomEntry{
			ID: base + "/jobs/" + v.ID, Title: v.Title, Updated: v.UpdatedAt.UTC().Format(time.RFC3339), Published: v.CreatedAt.UTC().Format(time.RFC3339),
			Link: atomLink{Rel: "alternate", Type: "text/html", Href: base + "/jobs/" + v.ID}, Author: atomPerson{Name: v.Trust.Name},
			Summary: fmt.Sprintf("%s, %s. %s. %s. %s.", v.Trust.Name, v.Site.Name, s.msg.T("search.band.label", v.Band),
				s.msg.T("search.salary", money(v.Salary.Min), money(v.Salary.Max)), s.msg.T("search.closes", formatDate(v.ClosingDate))),
		})
	}
	if newest.IsZero() {
		newest = s.now()
	}
	f.Updated = newest.UTC().Format(time.RFC3339)
	out, err := xml.MarshalIndent(f, "", " ")
	if err != nil {
		s.failed(c, err)
		return
	}
	c.Data(http.StatusOK, "application/atom+xml; charset=utf-8", append([]byte(xml.Header), out...))
}

type urlSet struct {
	XMLName xml.Name  `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []siteURL `xml:"url"`
}

type siteURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// sitemapPages bounds the pages of open vacancies the sitemap reads (100
// each); a sitemap holds at most 50,000 URLs.
const sitemapPages = 100

// sitemap lists the site's pages and every open vacancy's.
func (s *Service) sitemap(c *gin.Context) {
	base := s.baseURL(c.Request)
	set := urlSet{URLs: []siteURL{{Loc: base + "/jobs"}, {Loc: base + "/careers"}}}
	for _, p := range careerPaths {
		set.URLs = append(set.URLs, siteURL{Loc: base + "/careers/" + p.Slug})
	}
	q := query{}
	for range sitemapPages {
		list, err := s.api.Search(c.Request.Context(), q.apiValues(s.now().UTC(), countCap), c.ClientIP())
		if err != nil {
			c.String(http.StatusBadGateway, "the sitemap could not be made just now")
			return
		}
		for _, v := range list.Vacancies {
			set.URLs = append(set.URLs, siteURL{Loc: base + "/jobs/" + v.ID, LastMod: v.UpdatedAt.UTC().Format("2006-01-02")})
		}
		if list.NextCursor == "" {
			break
		}
		q.Cursor = list.NextCursor
	}
	out, err := xml.MarshalIndent(set, "", " ")
	if err != nil {
		s.failed(c, err)
		return
	}
	c.Data(http.StatusOK, "application/xml; charset=utf-8", append([]byte(xml.Header), out...))
}

// robots lets every crawler in and points it at the sitemap; the feeds and
// the assets are not for indexing.
func (s *Service) robots(c *gin.Context) {
	var b strings.Builder
	b.WriteString("User-agent: *\nDisallow: /jobs.atom\nDisallow: /assets/\nAllow: /\n\n")
	b.WriteString("Sitemap: " + s.baseURL(c.Request) + "/sitemap.xml\n")
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(b.String()))
}
