package ingest

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/ids"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/partition"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

type signUpView struct {
	Candidate jobs.CandidateView `json:"candidate"`
	// Token is shown once: every later call about the candidate needs it.
	Token string `json:"token"`
}

// signUp stores and announces a new candidate and returns their token.
func (s *Service) signUp(c *gin.Context) {
	var in jobs.CandidateInput
	if _, err := httpserver.ReadJSON(c, &in); err != nil {
		httpserver.Fail(c, err)
		return
	}
	ctx := c.Request.Context()
	now := s.now()
	cand, err := in.Check(ctx, now, s.gazetteer)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	cand.Id = ids.New("c")
	cand.CreatedAtUnixMs, cand.UpdatedAtUnixMs = now.UnixMilli(), now.UnixMilli()
	secret, hash := auth.NewSecret()
	rec := &eventsv1.CandidateChanged{
		Change:           eventsv1.CandidateChange_CANDIDATE_CHANGE_SIGNED_UP,
		Candidate:        cand,
		OccurredAtUnixMs: now.UnixMilli(),
		TokenHash:        hash,
	}
	rev, err := s.candidates.Create(ctx, partition.Key(cand.GetId()), "candidate.signup."+cand.GetId(), rec)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	token := auth.Credential{Prefix: auth.CandidateTokenPrefix, Owner: cand.GetId(), Secret: secret}
	c.Header("Location", "/v1/candidates/"+cand.GetId())
	c.Header("ETag", httpserver.ETag(rev))
	c.JSON(http.StatusCreated, signUpView{Candidate: jobs.ViewCandidate(cand), Token: token.String()})
}

// getCandidate reads the candidate's own profile.
func (s *Service) getCandidate(c *gin.Context) {
	rec, rev := auth.CandidateOf(c)
	c.Header("ETag", httpserver.ETag(rev))
	c.JSON(http.StatusOK, jobs.ViewCandidate(rec.GetCandidate()))
}
