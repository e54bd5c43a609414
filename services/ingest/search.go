package ingest

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/ingest/internal/projection"
)

// searchFilter reads the public list's filters that a job search asks for
// beyond the API's first ones: a contract, a working pattern, and a place
// given as a postcode, placed by the same gazetteer as vacancies' sites so
// that a searcher and a site a street apart are a street apart. near, read
// after this, wins when both are given.
func (s *Service) searchFilter(c *gin.Context, f *projection.Filter, bad func(name, detail string)) {
	if v := c.Query("contract"); v != "" {
		if f.Contract, _ = jobs.Parse[eventsv1.Contract](v); f.Contract == 0 {
			bad("contract", "is not one of "+strings.Join(jobs.Names[eventsv1.Contract](), ", "))
		}
	}
	if v := c.Query("working_pattern"); v != "" {
		if f.WorkingPattern, _ = jobs.Parse[eventsv1.WorkingPattern](v); f.WorkingPattern == 0 {
			bad("working_pattern", "is not one of "+strings.Join(jobs.Names[eventsv1.WorkingPattern](), ", "))
		}
	}
	v := c.Query("postcode")
	if v == "" || c.Query("near") != "" {
		return
	}
	pc, err := geo.ParsePostcode(v)
	if err != nil {
		bad("postcode", "is not a UK postcode")
		return
	}
	p, _, err := s.gazetteer.Resolve(c.Request.Context(), pc)
	switch {
	case errors.Is(err, geo.ErrUnknownPostcode):
		bad("postcode", "is not a UK postcode we can place")
	case err != nil:
		s.log.WarnContext(c.Request.Context(), "a search's postcode could not be placed", "err", err)
		bad("postcode", "cannot be placed just now")
	}
	if err != nil {
		return
	}
	f.Near, f.WithinKm = &p, 50
	// within_km is read with near's rules below; near is empty, so read it here.
	if w := c.Query("within_km"); w != "" {
		km, err := strconv.ParseFloat(w, 64)
		// Written so that NaN, which compares false with everything, fails.
		if err != nil || !(km > 0 && km <= jobs.MaxTravelRadiusKm) {
			bad("within_km", "must be more than 0 and at most 1000")
			return
		}
		f.WithinKm = km
	}
}
