package web

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
)

// careerPath is a route into clinical engineering as the NHS describes it,
// and the search that finds the open jobs on it.
type careerPath struct {
	Slug   string
	Search url.Values
}

// Title, summary and steps of a path are in the catalogue under
// careers.<slug>.*.
var careerPaths = []careerPath{
	{Slug: "apprenticeship", Search: url.Values{"role": {"apprentice"}}},
	{Slug: "technologist", Search: url.Values{"role": {"clinical_technologist"}}},
	{Slug: "stp", Search: url.Values{"role": {"stp_trainee"}}},
	{Slug: "chartership", Search: url.Values{"role": {"clinical_scientist"}, "band": {"7"}}},
}

// pathView is a path with its open jobs counted.
type pathView struct {
	Slug      string
	SearchURL string
	// Open is how many jobs are open on the path, up to countCap.
	Open  int
	AtCap bool
	Steps []string
}

// countCap bounds how many open jobs a path counts.
const countCap = 100

func (s *Service) pathView(c *gin.Context, p careerPath) (pathView, error) {
	q := query{Role: p.Search.Get("role"), Band: p.Search.Get("band")}
	list, err := s.api.Search(c.Request.Context(), q.apiValues(s.now().UTC(), countCap), c.ClientIP())
	if err != nil {
		return pathView{}, err
	}
	pv := pathView{Slug: p.Slug, SearchURL: "/jobs?" + p.Search.Encode(), Open: len(list.Vacancies), AtCap: list.NextCursor != ""}
	for _, k := range []string{"s1", "s2", "s3"} {
		pv.Steps = append(pv.Steps, s.msg.T("careers."+p.Slug+"."+k))
	}
	return pv, nil
}

// careers lists the paths.
func (s *Service) careers(c *gin.Context) {
	var paths []pathView
	for _, p := range careerPaths {
		pv, err := s.pathView(c, p)
		if err != nil {
			s.failed(c, err)
			return
		}
		paths = append(paths, pv)
	}
	s.render(c, http.StatusOK, "careers", view{Title: s.msg.T("careers.title"), Nav: "careers",
		Canonical: s.baseURL(c.Request) + "/careers", Data: paths})
}

// career is one path's page.
func (s *Service) career(c *gin.Context) {
	for _, p := range careerPaths {
		if p.Slug != c.Param("path") {
			continue
		}
		pv, err := s.pathView(c, p)
		if err != nil {
			s.failed(c, err)
			return
		}
		s.render(c, http.StatusOK, "career", view{Title: s.msg.T("careers." + p.Slug + ".title"), Nav: "careers",
			Canonical: s.baseURL(c.Request) + "/careers/" + p.Slug, Data: pv})
		return
	}
	s.notFound(c)
}
