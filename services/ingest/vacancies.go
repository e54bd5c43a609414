package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/problem"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// vacancyID is derived from the trust and its reference, so that the one
// write that creates a vacancy is also what keeps references unique per trust.
func vacancyID(trust, reference string) string { return ids.Derived("v", trust, reference) }

// postVacancy stores and announces a new vacancy.
func (s *Service) postVacancy(c *gin.Context) {
	var in jobs.VacancyInput
	body, err := httpserver.ReadJSON(c, &in)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	ctx := c.Request.Context()
	now := s.now()
	v, err := in.Check(ctx, now, s.gazetteer)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	trust := trustOf(c)
	v.Id = vacancyID(trust.GetCode(), v.GetReference())
	v.Trust = &eventsv1.TrustRef{Code: trust.GetCode(), Name: trust.GetName()}
	v.Status = eventsv1.VacancyStatus_VACANCY_STATUS_OPEN
	v.CreatedAtUnixMs, v.UpdatedAtUnixMs = now.UnixMilli(), now.UnixMilli()

	reqHash := sha256.Sum256(body)
	var keyHash []byte
	if k := c.GetHeader("Idempotency-Key"); k != "" {
		h := sha256.Sum256([]byte(trust.GetCode() + "\x00" + k))
		keyHash = h[:]
	}
	rec := &eventsv1.VacancyChanged{
		Change:             eventsv1.VacancyChange_VACANCY_CHANGE_POSTED,
		Vacancy:            v,
		OccurredAtUnixMs:   now.UnixMilli(),
		Actor:              c.GetString(auth.ContextActor),
		IdempotencyKeyHash: keyHash,
		RequestHash:        reqHash[:],
	}
	msgID := "vacancy.post." + v.GetId() + "." + hex.EncodeToString(reqHash[:8])
	rev, err := s.vacancies.Create(ctx, v.GetId(), msgID, rec)
	if errors.Is(err, bus.ErrExists) {
		rev, rec, err = s.replayPost(c, v.GetId(), keyHash, reqHash[:])
	}
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Header("Location", "/v1/vacancies/"+v.GetId())
	c.Header("ETag", httpserver.ETag(rev))
	c.JSON(http.StatusCreated, jobs.ViewVacancy(rec.GetVacancy()))
}

// replayPost answers a post whose vacancy exists already: a retry with the
// same Idempotency-Key gets the first answer; anything else is a conflict.
func (s *Service) replayPost(c *gin.Context, id string, keyHash, reqHash []byte) (uint64, *eventsv1.VacancyChanged, error) {
	var existing eventsv1.VacancyChanged
	rev, err := s.vacancies.Get(c.Request.Context(), id, &existing)
	if err != nil {
		return 0, nil, err
	}
	switch {
	case keyHash == nil || !bytes.Equal(existing.GetIdempotencyKeyHash(), keyHash):
		return 0, nil, problem.New(problem.Conflict, "reference %s is used by vacancy %s already", existing.GetVacancy().GetReference(), id)
	case !bytes.Equal(existing.GetRequestHash(), reqHash):
		return 0, nil, problem.New(problem.Invalid, "this Idempotency-Key was used with another request body")
	}
	return rev, &existing, nil
}

// getVacancy reads one vacancy; vacancies are public.
func (s *Service) getVacancy(c *gin.Context) {
	id := c.Param("id")
	if !ids.Valid("v", id) {
		httpserver.Fail(c, problem.New(problem.NotFound, "no vacancy %s", id))
		return
	}
	var rec eventsv1.VacancyChanged
	rev, err := s.vacancies.Get(c.Request.Context(), id, &rec)
	if errors.Is(err, bus.ErrNotFound) {
		httpserver.Fail(c, problem.New(problem.NotFound, "no vacancy %s", id))
		return
	}
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Header("ETag", httpserver.ETag(rev))
	c.JSON(http.StatusOK, jobs.ViewVacancy(rec.GetVacancy()))
}
