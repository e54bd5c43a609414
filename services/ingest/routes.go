package ingest

import (
	"context"
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/health"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/match"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/pkg/ratelimit"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

func (s *Service) routes() (*gin.Engine, error) {
	r := httpserver.New(s.log, httpserver.Options{MaxBodyBytes: s.cfg.MaxBulkBytes, Metrics: s.metrics, Tracer: s.tracer, TrustedProxies: s.cfg.TrustedProxies})
	health.Register(r, bus.Check(s.nc), health.Check{Name: "vacancies", Check: s.projection.Check})
	doc, err := Document().Handler()
	if err != nil {
		return nil, err
	}
	r.GET("/openapi.json", doc)

	// Every request counts against its client's address first, so that
	// guessing credentials is limited too; an authenticated request then
	// counts against its credential.
	byAddr := ratelimit.Middleware("address", s.limitByAddr, func(c *gin.Context) string { return c.ClientIP() }, s.log, s.limits)
	byKey := ratelimit.Middleware("credential", s.limitByKey, func(c *gin.Context) string { return c.GetString(auth.ContextActor) }, s.log, s.limits)
	small := httpserver.LimitBody(s.cfg.MaxBodyBytes)
	candidates := auth.NewCandidates(s.candidates)
	operator := []gin.HandlerFunc{byAddr, small, auth.Operator(s.operatorKey, s.liveCredential), byKey}
	trust := []gin.HandlerFunc{byAddr, s.requireTrust, byKey}
	candidate := []gin.HandlerFunc{byAddr, small, candidates.Candidate("id"), byKey}
	public := []gin.HandlerFunc{byAddr, small}

	v1 := r.Group("/v1")
	v1.POST("/trusts", with(operator, s.createTrust)...)
	v1.GET("/trusts", with(operator, s.listTrusts)...)
	v1.POST("/trusts/:code/keys", with(operator, s.issueKey)...)
	v1.DELETE("/trusts/:code/keys/:key", with(operator, s.revokeKey)...)

	v1.POST("/vacancies", with(trust, small, s.postVacancy)...)
	v1.POST("/vacancies/bulk", with(trust, s.bulkPost)...)
	v1.GET("/vacancies", with(public, s.listOpen)...)
	v1.GET("/vacancies/:id", with(public, s.getVacancy)...)
	v1.GET("/vacancies/:id/jobposting", with(public, s.getJobPosting)...)
	v1.PUT("/vacancies/:id", with(trust, small, s.replaceVacancy)...)
	v1.POST("/vacancies/:id/close", with(trust, small, s.closeVacancy)...)
	v1.POST("/vacancies/:id/withdraw", with(trust, small, s.withdrawVacancy)...)
	v1.GET("/vacancies/:id/stats", with(trust, s.vacancyStats)...)
	v1.GET("/trust/vacancies", with(trust, s.listOwn)...)
	v1.POST("/vacancies/:id/claim", with(trust, small, s.claimVacancy)...)
	v1.GET("/imports", with(operator, s.importRuns)...)
	v1.POST("/imports/run", with(operator, s.runImport)...)
	v1.GET("/feed.xml", with(public, s.feedXML)...)

	v1.POST("/candidates", with(public, s.signUp)...)
	v1.GET("/candidates/:id", with(candidate, s.getCandidate)...)
	v1.PUT("/candidates/:id", with(candidate, s.replaceCandidate)...)
	v1.DELETE("/candidates/:id", with(candidate, s.eraseCandidate)...)
	v1.POST("/candidates/:id/token", with(candidate, s.rotateToken)...)
	v1.GET("/candidates/:id/export", with(candidate, s.exportCandidate)...)
	return r, nil
}

func with(chain []gin.HandlerFunc, more ...gin.HandlerFunc) []gin.HandlerFunc {
	return append(append([]gin.HandlerFunc{}, chain...), more...)
}

// requireTrust admits requests bearing a live API key of a trust.
// hasKey reports whether t holds the live key cred presents.
func hasKey(t *eventsv1.Trust, cred auth.Credential) bool {
	for _, k := range t.GetApiKeys() {
		if k.GetId() == cred.KeyID && k.GetRevokedAtUnixMs() == 0 && auth.Matches(k.GetSecretHash(), cred.Secret) {
			return true
		}
	}
	return false
}

func (s *Service) requireTrust(c *gin.Context) {
	tok, ok := auth.Bearer(c.GetHeader("Authorization"))
	if !ok {
		httpserver.Fail(c, problem.New(problem.Unauthenticated, "send Authorization: Bearer <trust API key>"))
		return
	}
	cred, err := auth.Parse(tok)
	if err != nil {
		httpserver.Fail(c, problem.New(problem.Unauthenticated, "the API key is not valid"))
		return
	}
	if cred.Prefix != auth.TrustKeyPrefix {
		httpserver.Fail(c, auth.WrongKind(c.Request.Context(), s.liveCredential, tok, "a trust API key"))
		return
	}
	t, err := s.trustOfKey(c.Request.Context(), cred)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.Set(auth.ContextTrust, t)
	c.Set(auth.ContextActor, "trust:"+t.GetCode()+"/"+cred.KeyID)
	c.Next()
}

// trustOfKey returns the trust whose live key cred is; a key of no trust,
// a wrong secret and a revoked key are alike 401.
func (s *Service) trustOfKey(ctx context.Context, cred auth.Credential) (*eventsv1.Trust, error) {
	var t eventsv1.Trust
	// A trust or key made a moment ago may not have reached the replica
	// that answers: the leader decides before a refusal.
	_, err := s.trusts.GetConfirmed(ctx, cred.Owner, &t, func() bool { return hasKey(&t, cred) })
	switch {
	case errors.Is(err, bus.ErrNotFound):
		return nil, problem.New(problem.Unauthenticated, "the API key is not valid")
	case err != nil:
		return nil, problem.Wrap(problem.Unavailable, err, "keys cannot be checked just now")
	case !hasKey(&t, cred):
		return nil, problem.New(problem.Unauthenticated, "the API key is not valid or was revoked")
	}
	return &t, nil
}

// liveCredential says whether tok is a live credential of any kind (see
// auth.Live): the difference between 403 and 401 on a route that needs
// another kind.
func (s *Service) liveCredential(ctx context.Context, tok string) (bool, error) {
	cred, err := auth.Parse(tok)
	if err != nil {
		return false, nil
	}
	switch cred.Prefix {
	case auth.OperatorKeyPrefix:
		return auth.Matches(s.operatorKey, tok), nil
	case auth.TrustKeyPrefix:
		_, err = s.trustOfKey(ctx, cred)
	default:
		_, _, err = auth.NewCandidates(s.candidates).Verify(ctx, tok, cred.Owner)
	}
	if problem.KindOf(err) == problem.Unavailable {
		return false, err
	}
	return err == nil, nil
}

// viewer is who reads a vacancy: a stranger (neither set), a trust, or a
// candidate.
type viewer struct {
	trust     string
	candidate *eventsv1.Candidate
}

// sees reports whether w may see v: a public vacancy anyone; an internal
// or restricted one its own trust, and the candidates match.Visible admits.
func (w viewer) sees(v *eventsv1.Vacancy) bool {
	return match.Public(v) || w.trust != "" && w.trust == v.GetTrust().GetCode() ||
		w.candidate != nil && match.Visible(w.candidate, v)
}

// viewerOf reads the optional credential of a public read: none is a
// stranger; a trust key or candidate token that does not check out is
// refused rather than read as a stranger, so a client learns its mistake.
func (s *Service) viewerOf(c *gin.Context) (viewer, error) {
	tok, ok := auth.Bearer(c.GetHeader("Authorization"))
	if !ok {
		if c.GetHeader("Authorization") != "" {
			return viewer{}, problem.New(problem.Unauthenticated, "send Authorization: Bearer <trust API key or candidate token>")
		}
		return viewer{}, nil
	}
	cred, err := auth.Parse(tok)
	switch {
	case err != nil:
		return viewer{}, problem.New(problem.Unauthenticated, "the credential is not valid")
	case cred.Prefix == auth.TrustKeyPrefix:
		t, err := s.trustOfKey(c.Request.Context(), cred)
		if err != nil {
			return viewer{}, err
		}
		c.Set(auth.ContextActor, "trust:"+t.GetCode()+"/"+cred.KeyID)
		return viewer{trust: t.GetCode()}, nil
	case cred.Prefix == auth.CandidateTokenPrefix:
		rec, _, err := auth.NewCandidates(s.candidates).Verify(c.Request.Context(), tok, cred.Owner)
		if err != nil {
			return viewer{}, err
		}
		c.Set(auth.ContextActor, "candidate:"+rec.GetCandidate().GetId())
		return viewer{candidate: rec.GetCandidate()}, nil
	}
	return viewer{}, nil
}

func trustOf(c *gin.Context) *eventsv1.Trust {
	t, _ := c.Get(auth.ContextTrust)
	return t.(*eventsv1.Trust)
}
