package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/control"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/audit"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/discovery"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/flow"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/market"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/rates"
)

// The subjects of the other services' endpoints the dashboard calls.
const (
	subjectTrustsCreate    = "clinjobs.ingest.trusts.create"
	subjectTrustsList      = "clinjobs.ingest.trusts.list"
	subjectImportRuns      = "clinjobs.ingest.imports.runs"
	subjectKeysIssue       = "clinjobs.ingest.trusts.keys.issue"
	subjectKeysRevoke      = "clinjobs.ingest.trusts.keys.revoke"
	subjectWithdraw        = "clinjobs.ingest.vacancies.withdraw"
	subjectDeadLetters     = "clinjobs.notification.deadletters.list"
	subjectReplay          = "clinjobs.notification.deadletters.replay"
	subjectEndpoints       = "clinjobs.notification.endpoints.list"
	subjectEndpointPause   = "clinjobs.notification.endpoints.pause"
	subjectEndpointResume  = "clinjobs.notification.endpoints.resume"
	subjectMatchCounts     = "clinjobs.matching.counts"
	subjectCacheRebuild    = "clinjobs.matching.cache.rebuild"
	subjectMatchingMarket  = "clinjobs.matching.market"
	headerOperator         = "X-Operator"
	contextOperatorName    = "dashboard.operator"
	defaultAuditListLength = 50
)

var operatorName = regexp.MustCompile(`^[\p{L}\p{N} .'_@-]{1,64}$`)

// actor names who acts: the name the operator logged in with on the page or
// sent as X-Operator, and where from.
func actor(c *gin.Context) string {
	name := c.GetString(contextOperatorName)
	if name == "" {
		name = c.GetHeader(headerOperator)
	}
	if !operatorName.MatchString(name) {
		name = "operator"
	}
	return name + " from " + c.ClientIP()
}

func (s *Service) apiRoutes(g *gin.RouterGroup) {
	g.GET("/services", s.apiServices)
	g.GET("/flow", s.apiFlow)
	g.GET("/rates", s.apiRates)
	g.GET("/market", s.apiMarket)
	g.GET("/audit", s.apiAudit)
	g.GET("/trusts", s.apiTrusts)
	g.GET("/imports", s.apiImports)
	g.POST("/trusts", s.apiCreateTrust)
	g.POST("/trusts/:code/keys", s.apiIssueKey)
	g.POST("/trusts/:code/keys/:key/rotate", s.apiRotateKey)
	g.DELETE("/trusts/:code/keys/:key", s.apiRevokeKey)
	g.POST("/vacancies/:id/withdraw", s.apiWithdraw)
	g.GET("/dead-letters", s.apiDeadLetters)
	g.POST("/dead-letters/:id/replay", s.apiReplayOne)
	g.GET("/endpoints", s.apiEndpoints)
	g.POST("/endpoints/:endpoint/replay", s.apiReplayEndpoint)
	g.POST("/endpoints/:endpoint/pause", s.apiPause)
	g.POST("/endpoints/:endpoint/resume", s.apiResume)
	g.POST("/match-cache/rebuild", s.apiRebuildCache)
}

// answer sends v, or the problem of err.
func answer(c *gin.Context, status int, v any, err error) {
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.JSON(status, v)
}

// --- what the dashboard shows ---

type serviceView struct {
	Name      string               `json:"name"`
	Instances []discovery.Instance `json:"instances"`
}

func (s *Service) services(ctx context.Context) ([]serviceView, error) {
	insts, err := discovery.Discover(ctx, s.nc, s.cfg.DiscoveryWindow, s.now())
	if err != nil {
		return nil, err
	}
	out := []serviceView{}
	for _, in := range insts {
		if len(out) == 0 || out[len(out)-1].Name != in.Name {
			out = append(out, serviceView{Name: in.Name})
		}
		last := &out[len(out)-1]
		last.Instances = append(last.Instances, in)
	}
	return out, nil
}

// servicesAnswer is every running instance, by service.
type servicesAnswer struct {
	Services []serviceView `json:"services" api:"required"`
}

func (s *Service) apiServices(c *gin.Context) {
	svcs, err := s.services(c.Request.Context())
	answer(c, http.StatusOK, servicesAnswer{Services: svcs}, err)
}

type flowView struct {
	Streams []flow.Stream `json:"streams"`
	Redis   flow.Redis    `json:"redis"`
}

func (s *Service) flow(ctx context.Context) (flowView, error) {
	streams, err := flow.Streams(ctx, s.js, s.now())
	if err != nil {
		return flowView{}, problem.Wrap(problem.Unavailable, err, "stream state cannot be read just now")
	}
	return flowView{Streams: streams, Redis: flow.RedisState(ctx, s.redis)}, nil
}

func (s *Service) apiFlow(c *gin.Context) {
	f, err := s.flow(c.Request.Context())
	answer(c, http.StatusOK, f, err)
}

// rateView is one series: the last minute, the last hour, and per minute.
type rateView struct {
	Name       string `json:"name"`
	LastMinute int    `json:"last_minute" api:"min=0"`
	LastHour   int    `json:"last_hour" api:"min=0"`
	PerMinute  []int  `json:"per_minute" api:"required,min=0"`
}

// ratesAnswer is every series and the posting-to-first-alert times.
type ratesAnswer struct {
	Rates            []rateView    `json:"rates" api:"required"`
	FirstAlertMinute rates.Latency `json:"first_alert_minute"`
	FirstAlertHour   rates.Latency `json:"first_alert_hour"`
}

// chartMinutes is how many minutes the charts show.
const chartMinutes = 60

func (s *Service) rates() []rateView {
	now := s.now()
	names := []string{rates.VacanciesPosted, rates.MatchesFound}
	for _, n := range s.board.Names() {
		if n != rates.VacanciesPosted && n != rates.MatchesFound {
			names = append(names, n)
		}
	}
	out := make([]rateView, 0, len(names))
	for _, n := range names {
		series := s.board.Series(n)
		out = append(out, rateView{
			Name: n, LastMinute: series.Sum(now, time.Minute), LastHour: series.Sum(now, time.Hour),
			PerMinute: series.PerMinute(now, chartMinutes),
		})
	}
	return out
}

func (s *Service) apiRates(c *gin.Context) {
	now := s.now()
	c.JSON(http.StatusOK, ratesAnswer{
		Rates:            s.rates(),
		FirstAlertMinute: s.board.FirstAlertLatency(now, time.Minute),
		FirstAlertHour:   s.board.FirstAlertLatency(now, time.Hour),
	})
}

type marketView struct {
	Vacancies market.Summary `json:"vacancies"`
	// CandidatesByRoleFamily counts candidates by the role families they
	// want, from the matching replicas.
	CandidatesByRoleFamily map[string]int `json:"candidates_by_role_family"`
	Candidates             int            `json:"candidates"`
	// Unmatched are the open vacancies no candidate fits.
	Unmatched      []unmatchedView `json:"unmatched"`
	UnmatchedTotal int             `json:"unmatched_total"`
	FirstAlert     rates.Latency   `json:"first_alert_last_hour"`
	// Incomplete says which figures are missing because a service did
	// not answer.
	Incomplete string `json:"incomplete,omitempty"`
}

type unmatchedView struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Trust string `json:"trust"`
}

// maxUnmatchedShown bounds the unmatched vacancies listed by name.
const maxUnmatchedShown = 100

func (s *Service) marketView(ctx context.Context, actor string) marketView {
	now := s.now()
	v := marketView{
		Vacancies: s.market.Summarize(now), CandidatesByRoleFamily: map[string]int{},
		FirstAlert: s.board.FirstAlertLatency(now, time.Hour), Unmatched: []unmatchedView{},
	}
	var problems []string
	err := s.control.Gather(ctx, subjectMatchingMarket, actor, struct{}{}, func(data []byte) error {
		var part struct {
			Candidates             int            `json:"candidates"`
			CandidatesByRoleFamily map[string]int `json:"candidates_by_role_family"`
		}
		if err := json.Unmarshal(data, &part); err != nil {
			return err
		}
		v.Candidates += part.Candidates
		for k, n := range part.CandidatesByRoleFamily {
			v.CandidatesByRoleFamily[k] += n
		}
		return nil
	})
	if err != nil {
		problems = append(problems, "candidates: "+err.Error())
	}
	open := s.market.Open(now)
	ids := make([]string, len(open))
	for i, o := range open {
		ids[i] = o.ID
	}
	counts := map[string]int{}
	if len(ids) > 0 {
		err = s.control.Gather(ctx, subjectMatchCounts, actor, map[string]any{"vacancy_ids": ids}, func(data []byte) error {
			var part struct {
				Counts map[string]int `json:"counts"`
			}
			if err := json.Unmarshal(data, &part); err != nil {
				return err
			}
			for id, n := range part.Counts {
				counts[id] += n
			}
			return nil
		})
		if err != nil {
			problems = append(problems, "match counts: "+err.Error())
		}
	}
	if err == nil {
		for _, o := range open {
			if counts[o.ID] > 0 {
				continue
			}
			v.UnmatchedTotal++
			if len(v.Unmatched) < maxUnmatchedShown {
				v.Unmatched = append(v.Unmatched, unmatchedView{ID: o.ID, Title: o.Title, Trust: o.TrustName})
			}
		}
	}
	if len(problems) > 0 {
		v.Incomplete = strings.Join(problems, "; ")
	}
	return v
}

func (s *Service) apiMarket(c *gin.Context) {
	c.JSON(http.StatusOK, s.marketView(c.Request.Context(), actor(c)))
}

// auditAnswer is the audit log, newest first.
type auditAnswer struct {
	Entries []audit.Entry `json:"entries" api:"required"`
}

func (s *Service) apiAudit(c *gin.Context) {
	limit := defaultAuditListLength
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			httpserver.Fail(c, problem.Fields([]problem.FieldError{{Field: "limit", Detail: "must be 1 to 1000"}}))
			return
		}
		limit = n
	}
	entries, err := s.audit.List(c.Request.Context(), limit)
	answer(c, http.StatusOK, auditAnswer{Entries: entries}, err)
}

// --- what operators do ---

// act carries out an action, records it in the audit log whatever its
// outcome, and returns its result. An action whose audit record cannot be
// written is reported as failed: an operator must be able to account for
// every change.
func (s *Service) act(ctx context.Context, who, action, target, detail string, do func(context.Context) (any, error)) (any, error) {
	result, err := do(ctx)
	e := audit.Entry{At: s.now().UTC(), Actor: who, Action: action, Target: target, Detail: detail, Outcome: "done"}
	if err != nil {
		e.Outcome, e.Error = "failed", problem.DetailsOf(err).Detail
	}
	if _, aerr := s.audit.Record(ctx, e); aerr != nil {
		s.log.ErrorContext(ctx, "audit record lost", "action", action, "target", target, "err", aerr)
		return nil, errors.Join(err, problem.Wrap(problem.Unavailable, aerr, "the action ran but its audit record could not be written"))
	}
	return result, err
}

// request is an action carried to its owner by one request.
func (s *Service) request(subject string, req any) func(context.Context) (any, error) {
	return func(ctx context.Context) (any, error) {
		var resp map[string]any
		err := s.control.Request(ctx, subject, actorFrom(ctx), req, &resp)
		return resp, err
	}
}

type actorKey struct{}

func withActor(ctx context.Context, who string) context.Context {
	return context.WithValue(ctx, actorKey{}, who)
}

func actorFrom(ctx context.Context) string {
	who, _ := ctx.Value(actorKey{}).(string)
	return who
}

// run acts for the request's operator and answers with the result.
func (s *Service) run(c *gin.Context, status int, action, target, detail, subject string, req any) {
	who := actor(c)
	ctx := withActor(c.Request.Context(), who)
	result, err := s.act(ctx, who, action, target, detail, s.request(subject, req))
	answer(c, status, result, err)
}

func (s *Service) apiTrusts(c *gin.Context) {
	var resp map[string]any
	err := s.control.Request(c.Request.Context(), subjectTrustsList, actor(c), struct{}{}, &resp)
	answer(c, http.StatusOK, resp, err)
}

// trustCode is what trustInput's pattern tag says.
var trustCode = regexp.MustCompile(`^[A-Z0-9]{3,6}$`)

// apiImports answers the NHS Jobs importer's latest runs (ingest's
// answer): fetched, new, updated, closed, skipped, failed, the last error.
func (s *Service) apiImports(c *gin.Context) {
	var resp map[string]any
	err := s.control.Request(c.Request.Context(), subjectImportRuns, actor(c), struct{}{}, &resp)
	answer(c, http.StatusOK, resp, err)
}

// trustInput onboards a trust, as ingest's POST /v1/trusts.
type trustInput struct {
	Code string `json:"code" pattern:"^[A-Z0-9]{3,6}$"`
	Name string `json:"name" api:"minLength=1,maxLength=200"`
}

// keyInput labels a new key.
type keyInput struct {
	Label string `json:"label,omitempty"`
}

// withdrawInput says why a vacancy is withdrawn.
type withdrawInput struct {
	Reason string `json:"reason" api:"minLength=3,maxLength=500"`
}

func (s *Service) apiCreateTrust(c *gin.Context) {
	var in trustInput
	if _, err := httpserver.ReadJSON(c, &in); err != nil {
		httpserver.Fail(c, err)
		return
	}
	// Checked here as the document says, not left to ingest: a refused
	// onboarding asks nothing of ingest and writes no audit entry.
	var fields []problem.FieldError
	if !trustCode.MatchString(in.Code) {
		fields = append(fields, problem.FieldError{Field: "/code", Detail: "must be 3 to 6 capital letters or digits"})
	}
	if n := len([]rune(in.Name)); n < 1 || n > 200 {
		fields = append(fields, problem.FieldError{Field: "/name", Detail: "must be 1 to 200 characters"})
	}
	if err := problem.Fields(fields); err != nil {
		httpserver.Fail(c, err)
		return
	}
	s.run(c, http.StatusCreated, "trust.create", in.Code, in.Name, subjectTrustsCreate, in)
}

func (s *Service) apiIssueKey(c *gin.Context) {
	var in keyInput
	if _, err := httpserver.ReadJSON(c, &in); err != nil {
		httpserver.Fail(c, err)
		return
	}
	code := c.Param("code")
	s.run(c, http.StatusCreated, "trust.key.issue", code, in.Label, subjectKeysIssue, map[string]string{"code": code, "label": in.Label})
}

// apiRotateKey issues a new key and revokes the old one, in that order, so
// that a failure never leaves the trust without a key.
func (s *Service) apiRotateKey(c *gin.Context) {
	code, key := c.Param("code"), c.Param("key")
	who := actor(c)
	ctx := withActor(c.Request.Context(), who)
	result, err := s.act(ctx, who, "trust.key.rotate", code, key, func(ctx context.Context) (any, error) {
		var issued map[string]any
		if err := s.control.Request(ctx, subjectKeysIssue, who, map[string]string{"code": code, "label": "rotated from " + key}, &issued); err != nil {
			return nil, err
		}
		if err := s.control.Request(ctx, subjectKeysRevoke, who, map[string]string{"code": code, "key_id": key}, nil); err != nil {
			return issued, err
		}
		return issued, nil
	})
	answer(c, http.StatusCreated, result, err)
}

func (s *Service) apiRevokeKey(c *gin.Context) {
	code, key := c.Param("code"), c.Param("key")
	s.run(c, http.StatusOK, "trust.key.revoke", code, key, subjectKeysRevoke, map[string]string{"code": code, "key_id": key})
}

func (s *Service) apiWithdraw(c *gin.Context) {
	var in withdrawInput
	if _, err := httpserver.ReadJSON(c, &in); err != nil {
		httpserver.Fail(c, err)
		return
	}
	// The rule ingest holds a reason to, so that a reason of spaces is
	// refused here rather than asked of ingest and audited as failed.
	if n := len(strings.TrimSpace(in.Reason)); n < 3 || n > 500 {
		httpserver.Fail(c, problem.Fields([]problem.FieldError{{Field: "/reason", Detail: "must be 3 to 500 characters"}}))
		return
	}
	id := c.Param("id")
	s.run(c, http.StatusOK, "vacancy.withdraw", id, in.Reason, subjectWithdraw, map[string]string{"vacancy_id": id, "reason": in.Reason})
}

func (s *Service) apiDeadLetters(c *gin.Context) {
	limit := 100
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			httpserver.Fail(c, problem.Fields([]problem.FieldError{{Field: "limit", Detail: "must be 1 to 1000"}}))
			return
		}
		limit = n
	}
	var resp map[string]any
	err := s.control.Request(c.Request.Context(), subjectDeadLetters, actor(c),
		map[string]any{"endpoint": c.Query("endpoint"), "limit": limit}, &resp)
	answer(c, http.StatusOK, resp, err)
}

func (s *Service) apiReplayOne(c *gin.Context) {
	id := c.Param("id")
	s.run(c, http.StatusOK, "deadletter.replay", id, "", subjectReplay, map[string]string{"id": id})
}

func (s *Service) apiEndpoints(c *gin.Context) {
	var resp map[string]any
	err := s.control.Request(c.Request.Context(), subjectEndpoints, actor(c), struct{}{}, &resp)
	answer(c, http.StatusOK, resp, err)
}

func (s *Service) apiReplayEndpoint(c *gin.Context) {
	ep := c.Param("endpoint")
	s.run(c, http.StatusOK, "deadletter.replay", ep, "every dead letter of the endpoint", subjectReplay, map[string]string{"endpoint": ep})
}

func (s *Service) apiPause(c *gin.Context) {
	ep := c.Param("endpoint")
	s.run(c, http.StatusOK, "endpoint.pause", ep, "", subjectEndpointPause, map[string]string{"endpoint": ep})
}

func (s *Service) apiResume(c *gin.Context) {
	ep := c.Param("endpoint")
	s.run(c, http.StatusOK, "endpoint.resume", ep, "", subjectEndpointResume, map[string]string{"endpoint": ep})
}

// rebuildCache asks every matching replica to rebuild the cache of its
// partitions.
func (s *Service) rebuildCache(ctx context.Context, who string) (any, error) {
	return s.act(ctx, who, "match-cache.rebuild", "all partitions", "", func(ctx context.Context) (any, error) {
		total := 0
		err := s.control.Gather(ctx, subjectCacheRebuild, who, struct{}{}, func(data []byte) error {
			var part struct {
				Candidates int `json:"candidates"`
			}
			if err := json.Unmarshal(data, &part); err != nil {
				return err
			}
			total += part.Candidates
			return nil
		})
		var partial control.Partial
		if errors.As(err, &partial) {
			return map[string]any{"candidates": total}, problem.New(problem.Unavailable, "no matching replica answered for partitions %s", partial.Missing)
		}
		return map[string]any{"candidates": total}, err
	})
}

func (s *Service) apiRebuildCache(c *gin.Context) {
	who := actor(c)
	result, err := s.rebuildCache(withActor(c.Request.Context(), who), who)
	answer(c, http.StatusOK, result, err)
}
