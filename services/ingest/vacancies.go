package ingest

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/match"
	"github.com/clinjobs/clinjobs/pkg/problem"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/ingest/internal/projection"
)

// vacancyID is derived from the trust and its reference, so that the one
// write that creates a vacancy is also what keeps references unique per trust.
func vacancyID(trust, reference string) string { return ids.Derived("v", trust, reference) }

// newVacancy checks a posted vacancy and returns its record.
func (s *Service) newVacancy(ctx context.Context, trust *eventsv1.Trust, in *jobs.VacancyInput, actor string, now time.Time, idemKey []byte) (*eventsv1.VacancyChanged, error) {
	v, err := in.Check(ctx, now, s.gazetteer)
	if err != nil {
		return nil, err
	}
	v.Id = vacancyID(trust.GetCode(), v.GetReference())
	v.Trust = &eventsv1.TrustRef{Code: trust.GetCode(), Name: trust.GetName()}
	v.Status = eventsv1.VacancyStatus_VACANCY_STATUS_OPEN
	v.CreatedAtUnixMs, v.UpdatedAtUnixMs = now.UnixMilli(), now.UnixMilli()
	return &eventsv1.VacancyChanged{
		Change: eventsv1.VacancyChange_VACANCY_CHANGE_POSTED, Vacancy: v, OccurredAtUnixMs: now.UnixMilli(),
		Actor: actor, IdempotencyKeyHash: idemKey,
	}, nil
}

// postMsgID is the message id of one attempt to post a vacancy: its own, so
// that JetStream takes only a retry of this attempt for a duplicate, never
// a second request that happens to carry the same vacancy.
func postMsgID(id string) string { return "vacancy.post." + id + "." + ids.New("") }

// postVacancy stores and announces a new vacancy.
func (s *Service) postVacancy(c *gin.Context) {
	var in jobs.VacancyInput
	body, err := httpserver.ReadJSON(c, &in)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	trust := trustOf(c)
	if s.supersedeImport(c, trust, &in) {
		return
	}
	s.create(c, "trust."+trust.GetCode(), body, func(idemKey []byte) (*creation, error) {
		rec, err := s.newVacancy(c.Request.Context(), trust, &in, c.GetString(auth.ContextActor), s.now(), idemKey)
		if err != nil {
			return nil, err
		}
		data, err := bus.Encode(rec)
		if err != nil {
			return nil, err
		}
		v := rec.GetVacancy()
		return &creation{
			store: s.vacancies, key: v.GetId(), msgID: postMsgID(v.GetId()), record: data,
			status: http.StatusCreated, body: jobs.ViewVacancy(v), header: map[string]string{"Location": "/v1/vacancies/" + v.GetId()},
			conflict: func(context.Context) error {
				return problem.New(problem.Conflict, "reference %s is used by vacancy %s already", v.GetReference(), v.GetId())
			},
		}, nil
	})
}

// ownVacancy reads a vacancy of the requesting trust. Another trust's
// vacancy is not found: a trust learns nothing of others' ids this way.
func (s *Service) ownVacancy(c *gin.Context) (*eventsv1.VacancyChanged, uint64, error) {
	id := c.Param("id")
	var rec eventsv1.VacancyChanged
	if !ids.Valid("v", id) {
		return nil, 0, problem.New(problem.NotFound, "no vacancy %s", id)
	}
	rev, err := s.vacancies.Get(c.Request.Context(), id, &rec)
	if errors.Is(err, bus.ErrNotFound) || err == nil && rec.GetVacancy().GetTrust().GetCode() != trustOf(c).GetCode() {
		return nil, 0, problem.New(problem.NotFound, "no vacancy %s", id)
	}
	if err != nil {
		return nil, 0, err
	}
	return &rec, rev, nil
}

// changeVacancy writes a change to a vacancy, as of revision rev, and
// answers with the vacancy as it now stands.
func (s *Service) changeVacancy(c *gin.Context, rev uint64, rec *eventsv1.VacancyChanged) {
	newRev, err := s.vacancies.Update(c.Request.Context(), rec.GetVacancy().GetId(), rev, rec)
	if errors.Is(err, bus.ErrStale) {
		httpserver.Fail(c, problem.New(problem.PreconditionFailed, "vacancy %s has changed since revision %d; read it again", rec.GetVacancy().GetId(), rev))
		return
	}
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Header("ETag", httpserver.ETag(newRev))
	c.JSON(http.StatusOK, jobs.ViewVacancy(rec.GetVacancy()))
}

// replaceVacancy replaces an open vacancy's details; If-Match is required.
// Ownership comes first: another trust's vacancy is not found, whatever the
// request's preconditions or body.
func (s *Service) replaceVacancy(c *gin.Context) {
	old, rev, err := s.ownVacancy(c)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	ifMatch, err := httpserver.IfMatch(c)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	var in jobs.VacancyInput
	if _, err := httpserver.ReadJSON(c, &in); err != nil {
		httpserver.Fail(c, err)
		return
	}
	if rev != ifMatch {
		httpserver.Fail(c, problem.New(problem.PreconditionFailed, "vacancy %s is at revision %d, not %d; read it again", c.Param("id"), rev, ifMatch))
		return
	}
	prev := old.GetVacancy()
	if prev.GetStatus() != eventsv1.VacancyStatus_VACANCY_STATUS_OPEN {
		httpserver.Fail(c, jobs.ErrNotOpen(prev))
		return
	}
	if in.Reference != prev.GetReference() {
		httpserver.Fail(c, problem.Fields([]problem.FieldError{{Field: "/reference", Detail: "a vacancy's reference cannot change; post a new vacancy instead"}}))
		return
	}
	now := s.now()
	v, err := in.Check(c.Request.Context(), now, s.gazetteer)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	v.Id, v.Trust, v.Status = prev.GetId(), prev.GetTrust(), prev.GetStatus()
	if src := prev.GetSource(); src != nil {
		// A claimed import: the fields the trust sets are its own from now
		// on, and the importer leaves them.
		v.Source = proto.Clone(src).(*eventsv1.VacancySource)
		v.Source.Claimed = true // editing an import claims it
		for _, f := range trustSetFields(v, prev) {
			if !slices.Contains(v.Source.TrustFields, f) {
				v.Source.TrustFields = append(v.Source.TrustFields, f)
			}
		}
	}
	v.PostedDate, v.CreatedAtUnixMs, v.UpdatedAtUnixMs = prev.GetPostedDate(), prev.GetCreatedAtUnixMs(), now.UnixMilli()
	s.changeVacancy(c, rev, &eventsv1.VacancyChanged{
		Change: eventsv1.VacancyChange_VACANCY_CHANGE_UPDATED, Vacancy: v, OccurredAtUnixMs: now.UnixMilli(),
		Actor: c.GetString(auth.ContextActor), IdempotencyKeyHash: old.GetIdempotencyKeyHash(),
	})
}

// ReasonInput gives the reason for withdrawing a vacancy.
type ReasonInput struct {
	Reason string `json:"reason"`
}

// closeVacancy closes an open vacancy before its closing date.
func (s *Service) closeVacancy(c *gin.Context) {
	s.endVacancy(c, eventsv1.VacancyChange_VACANCY_CHANGE_CLOSED, "")
}

// withdrawVacancy withdraws a vacancy, with a reason.
func (s *Service) withdrawVacancy(c *gin.Context) {
	var in ReasonInput
	if _, err := httpserver.ReadJSON(c, &in); err != nil {
		httpserver.Fail(c, err)
		return
	}
	if err := checkReason(in.Reason); err != nil {
		httpserver.Fail(c, err)
		return
	}
	s.endVacancy(c, eventsv1.VacancyChange_VACANCY_CHANGE_WITHDRAWN, strings.TrimSpace(in.Reason))
}

func checkReason(reason string) error {
	if n := len(strings.TrimSpace(reason)); n < 3 || n > 500 {
		return problem.Fields([]problem.FieldError{{Field: "/reason", Detail: "must be 3 to 500 characters"}})
	}
	return nil
}

// endVacancy closes or withdraws one of the trust's vacancies. If-Match is
// honoured when sent; without it the change applies to the latest revision.
func (s *Service) endVacancy(c *gin.Context, change eventsv1.VacancyChange, reason string) {
	rec, rev, err := s.ownVacancy(c)
	if err == nil && c.GetHeader("If-Match") != "" {
		var want uint64
		if want, err = httpserver.IfMatch(c); err == nil && want != rev {
			err = problem.New(problem.PreconditionFailed, "vacancy %s is at revision %d, not %d", c.Param("id"), rev, want)
		}
	}
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	next, err := ended(rec.GetVacancy(), change, reason, s.now())
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	next.Actor = c.GetString(auth.ContextActor)
	s.changeVacancy(c, rev, next)
}

// ended returns the record of v closed or withdrawn at now. Closing a closed
// vacancy is a conflict; a closed one may still be withdrawn.
func ended(v *eventsv1.Vacancy, change eventsv1.VacancyChange, reason string, now time.Time) (*eventsv1.VacancyChanged, error) {
	status := eventsv1.VacancyStatus_VACANCY_STATUS_CLOSED
	if change == eventsv1.VacancyChange_VACANCY_CHANGE_WITHDRAWN {
		status = eventsv1.VacancyStatus_VACANCY_STATUS_WITHDRAWN
	}
	switch v.GetStatus() {
	case eventsv1.VacancyStatus_VACANCY_STATUS_WITHDRAWN:
		return nil, jobs.ErrNotOpen(v)
	case eventsv1.VacancyStatus_VACANCY_STATUS_CLOSED:
		if status == eventsv1.VacancyStatus_VACANCY_STATUS_CLOSED {
			return nil, jobs.ErrNotOpen(v)
		}
	}
	next := cloneVacancy(v)
	next.Status = status
	next.WithdrawnReason = reason
	next.UpdatedAtUnixMs = now.UnixMilli()
	next.ClosesAtUnixMs = min(v.GetClosesAtUnixMs(), now.UnixMilli())
	return &eventsv1.VacancyChanged{Change: change, Vacancy: next, OccurredAtUnixMs: now.UnixMilli()}, nil
}

// getVacancy reads one vacancy; vacancies are public, in JSON or, asked
// for application/ld+json, as a schema.org JobPosting.
func (s *Service) getVacancy(c *gin.Context) {
	if strings.Contains(c.GetHeader("Accept"), "application/ld+json") {
		s.getJobPosting(c)
		return
	}
	rec, rev, err := s.publicVacancy(c)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Header("ETag", httpserver.ETag(rev))
	c.JSON(http.StatusOK, jobs.ViewVacancy(rec.GetVacancy()))
}

// publicVacancy reads a vacancy the requester may see; one they may not
// is not found, exactly as one that does not exist.
func (s *Service) publicVacancy(c *gin.Context) (*eventsv1.VacancyChanged, uint64, error) {
	id := c.Param("id")
	if !ids.Valid("v", id) {
		return nil, 0, problem.New(problem.NotFound, "no vacancy %s", id)
	}
	w, err := s.viewerOf(c)
	if err != nil {
		return nil, 0, err
	}
	var rec eventsv1.VacancyChanged
	rev, err := s.vacancies.Get(c.Request.Context(), id, &rec)
	if errors.Is(err, bus.ErrNotFound) || err == nil && !w.sees(rec.GetVacancy()) {
		return nil, 0, problem.New(problem.NotFound, "no vacancy %s", id)
	}
	return &rec, rev, err
}

// getJobPosting answers a public vacancy as a schema.org JobPosting; an
// internal or restricted one has none, whoever asks: JSON-LD is for
// search engines.
func (s *Service) getJobPosting(c *gin.Context) {
	rec, rev, err := s.publicVacancy(c)
	if err == nil && !match.Public(rec.GetVacancy()) {
		err = problem.New(problem.NotFound, "no vacancy %s", c.Param("id"))
	}
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Header("ETag", httpserver.ETag(rev))
	c.Render(http.StatusOK, jsonLD{data: JobPosting(rec.GetVacancy())})
}

// VacancyList is a page of vacancies.
type VacancyList struct {
	Vacancies  []jobs.VacancyView `json:"vacancies"`
	NextCursor string             `json:"next_cursor,omitempty"`
	// Near is the point a search by place was made around (a postcode
	// placed), so that a client can show each site's distance from it.
	Near *jobs.PlaceView `json:"near,omitempty"`
}

// Page sizes of lists.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// listOpen lists the open vacancies the requester may see: the public ones
// to anyone, and the internal and restricted ones to their trust and the
// candidates they are for.
func (s *Service) listOpen(c *gin.Context) {
	f, err := s.filter(c, true)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	w, err := s.viewerOf(c)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	f.OpenAt, f.Visible = s.now(), w.sees
	s.list(c, f)
}

// listOwn lists the requesting trust's vacancies, whatever their state.
func (s *Service) listOwn(c *gin.Context) {
	f, err := s.filter(c, false)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	f.Trust = trustOf(c).GetCode()
	s.list(c, f)
}

func (s *Service) list(c *gin.Context, f projection.Filter) {
	limit, after, err := paging(c)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	page := s.projection.List(f, after, limit)
	out := VacancyList{Vacancies: make([]jobs.VacancyView, 0, len(page.Entries))}
	for _, e := range page.Entries {
		out.Vacancies = append(out.Vacancies, jobs.ViewVacancy(e.Vacancy))
	}
	if f.Near != nil {
		out.Near = &jobs.PlaceView{Latitude: f.Near.Lat, Longitude: f.Near.Lon}
	}
	if page.Next != "" {
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(page.Next))
	}
	c.JSON(http.StatusOK, out)
}

func paging(c *gin.Context) (int, string, error) {
	limit := defaultLimit
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			return 0, "", problem.Fields([]problem.FieldError{{Field: "limit", Detail: "must be 1 to 100"}})
		}
		limit = n
	}
	var after string
	if cur := c.Query("cursor"); cur != "" {
		b, err := base64.RawURLEncoding.DecodeString(cur)
		if err != nil || len(b) > 200 {
			return 0, "", problem.Fields([]problem.FieldError{{Field: "cursor", Detail: "is not a cursor this API gave"}})
		}
		after = string(b)
	}
	return limit, after, nil
}

// filter reads the query's filters. Public lists take a place and radius;
// trusts' own lists take a status.
func (s *Service) filter(c *gin.Context, public bool) (projection.Filter, error) {
	var f projection.Filter
	var fields []problem.FieldError
	bad := func(name, detail string) { fields = append(fields, problem.FieldError{Field: name, Detail: detail}) }
	if v := c.Query("role_family"); v != "" {
		if f.RoleFamily, _ = jobs.Parse[eventsv1.RoleFamily](v); f.RoleFamily == 0 {
			bad("role_family", "is not one of "+strings.Join(jobs.Names[eventsv1.RoleFamily](), ", "))
		}
	}
	if v := c.Query("specialism"); v != "" {
		if f.Specialism, _ = jobs.Parse[eventsv1.Specialism](v); f.Specialism == 0 {
			bad("specialism", "is not one of "+strings.Join(jobs.Names[eventsv1.Specialism](), ", "))
		}
	}
	if v := c.Query("band"); v != "" {
		if f.MinBand, _ = jobs.Parse[eventsv1.Band](v); f.MinBand == 0 {
			bad("band", "is not one of "+strings.Join(jobs.Names[eventsv1.Band](), ", "))
		}
	}
	for name, dst := range map[string]*string{"closing_after": &f.ClosingAfter, "closing_before": &f.ClosingBefore} {
		if v := c.Query(name); v != "" {
			if _, err := time.Parse(jobs.DateLayout, v); err != nil {
				bad(name, "is not a date (YYYY-MM-DD)")
			}
			*dst = v
		}
	}
	if public {
		s.searchFilter(c, &f, bad)
		if v := c.Query("near"); v != "" {
			lat, lon, ok := strings.Cut(v, ",")
			la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
			lo, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
			p := geo.Point{Lat: la, Lon: lo}
			if !ok || err1 != nil || err2 != nil || geo.ValidatePoint(p) != nil {
				bad("near", "is not latitude,longitude in the UK")
			}
			f.Near, f.WithinKm = &p, 50
			if w := c.Query("within_km"); w != "" {
				km, err := strconv.ParseFloat(w, 64)
				// Written so that NaN, which compares false with everything, fails.
				if err != nil || !(km > 0 && km <= jobs.MaxTravelRadiusKm) {
					bad("within_km", "must be more than 0 and at most 1000")
				}
				f.WithinKm = km
			}
		}
	} else if v := c.Query("status"); v != "" {
		if f.Status, _ = jobs.Parse[eventsv1.VacancyStatus](v); f.Status == 0 {
			bad("status", "is not one of "+strings.Join(jobs.Names[eventsv1.VacancyStatus](), ", "))
		}
	}
	return f, problem.Fields(fields)
}

// VacancyStats are what a trust may know of who a vacancy reached: counts only.
type VacancyStats struct {
	VacancyID string `json:"vacancy_id"`
	Matched   int    `json:"matched"`
	Alerted   int    `json:"alerted"`
	// Complete is false when a service did not answer for all it holds;
	// Missing says what is missing.
	Complete bool   `json:"complete"`
	Missing  string `json:"missing,omitempty"`
}

// vacancyStats counts, for the owning trust, the candidates a vacancy
// matched and those alerted, asking matching and notification.
func (s *Service) vacancyStats(c *gin.Context) {
	rec, _, err := s.ownVacancy(c)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	id := rec.GetVacancy().GetId()
	c.JSON(http.StatusOK, s.stats(c.Request.Context(), id, c.GetString(auth.ContextActor)))
}

func cloneVacancy(v *eventsv1.Vacancy) *eventsv1.Vacancy { return proto.Clone(v).(*eventsv1.Vacancy) }

// supersedeImport posts, in place of a vacancy imported from the trust's
// own advert with the same reference, the trust's own version: the two are
// one vacancy (one id, so no candidate hears of it twice) and the trust's
// wins. It reports whether it answered.
func (s *Service) supersedeImport(c *gin.Context, trust *eventsv1.Trust, in *jobs.VacancyInput) bool {
	ctx := c.Request.Context()
	id := vacancyID(trust.GetCode(), in.Reference)
	var old eventsv1.VacancyChanged
	rev, err := s.vacancies.Get(ctx, id, &old)
	if err != nil || old.GetVacancy().GetSource() == nil {
		return false
	}
	rec, err := s.newVacancy(ctx, trust, in, c.GetString(auth.ContextActor), s.now(), nil)
	if err != nil {
		httpserver.Fail(c, err)
		return true
	}
	rec.Vacancy.CreatedAtUnixMs = old.GetVacancy().GetCreatedAtUnixMs()
	rec.Change = eventsv1.VacancyChange_VACANCY_CHANGE_UPDATED
	newRev, err := s.vacancies.Update(ctx, id, rev, rec)
	if err != nil {
		if errors.Is(err, bus.ErrStale) {
			err = problem.New(problem.Conflict, "vacancy %s changed as it was posted; post again", id)
		}
		httpserver.Fail(c, err)
		return true
	}
	c.Header("Location", "/v1/vacancies/"+id)
	c.Header("ETag", httpserver.ETag(newRev))
	c.JSON(http.StatusCreated, jobs.ViewVacancy(rec.GetVacancy()))
	return true
}
