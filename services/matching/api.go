package matching

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/match"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/problem"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/matching/internal/matchcache"
)

// HeaderMatchSource says where a match list came from: "cache", or "index"
// when the cache missed, was unreachable or is being mended.
const HeaderMatchSource = "X-Match-Source"

// MatchView is one match as a candidate reads it.
type MatchView struct {
	Vacancy    jobs.SummaryView `json:"vacancy"`
	Score      int              `json:"score" api:"min=0,max=100"`
	DistanceKm float64          `json:"distance_km" api:"min=0"`
	Reasons    []string         `json:"reasons" api:"required,minItems=1"`
}

// MatchList is a page of a candidate's matches, best first.
type MatchList struct {
	Matches    []MatchView `json:"matches" api:"required"`
	Total      int         `json:"total" api:"min=0"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

// NearMissView is an open vacancy the candidate fits but for one requirement.
type NearMissView struct {
	Vacancy jobs.SummaryView `json:"vacancy"`
	Score   int              `json:"score" api:"min=0,max=100"`
	// Requirement is the rule missed, and Missing what would meet it.
	Requirement string `json:"requirement"`
	Missing     string `json:"missing"`
}

// NearMisses lists a candidate's near misses, best first.
type NearMisses struct {
	NearMisses []NearMissView `json:"near_misses" api:"required"`
}

// Page sizes of match lists.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// candidateMatches answers a candidate's ranked matches with reasons. Any
// replica answers any candidate: each sees every vacancy, the cache is
// shared, and the profile came with the token.
func (s *Service) candidateMatches(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	offset, limit, err := pageParams(c)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	list, source := s.matches(c.Request.Context(), rec.GetCandidate(), offset, limit)
	c.Header(HeaderMatchSource, source)
	c.JSON(http.StatusOK, list)
}

// matches returns a page of a candidate's list and where it came from.
func (s *Service) matches(ctx context.Context, cand *eventsv1.Candidate, offset, limit int) (MatchList, string) {
	var entries []match.Ranked
	var total int
	source := "cache"
	err := errors.New("cache skipped while it is mended")
	if !s.dirty.Load() {
		entries, total, err = s.cache.CandidateMatches(ctx, cand.GetId(), offset, limit)
		s.cacheRead(ctx, err)
	} else {
		s.metrics.cacheReads.WithLabelValues("skipped").Inc()
	}
	if err != nil {
		source = "index"
		all := s.fromIndex(ctx, cand, errors.Is(err, matchcache.ErrMiss))
		total = len(all)
		entries = all[min(offset, len(all)):min(offset+limit, len(all))]
	}
	now := s.now()
	out := MatchList{Matches: []MatchView{}, Total: total}
	for _, e := range entries {
		v, ok := s.index.Vacancy(e.ID)
		if !ok || !jobs.IsOpen(v, now) {
			continue
		}
		r := match.Evaluate(cand, v, now)
		if !r.Eligible {
			continue
		}
		out.Matches = append(out.Matches, MatchView{
			Vacancy: jobs.ViewSummary(jobs.Summarize(v)), Score: r.Score, DistanceKm: r.DistanceKm, Reasons: r.Reasons,
		})
	}
	if offset+limit < total {
		out.NextCursor = encodeCursor(offset + limit)
	}
	return out, source
}

// fromIndex computes a candidate's whole list from the index; concurrent
// misses of one candidate compute it once. The owner of the candidate's
// partition puts a missed list back in the cache; other replicas leave the
// cache to the owner, whose writes it would otherwise race.
func (s *Service) fromIndex(ctx context.Context, cand *eventsv1.Candidate, recache bool) []match.Ranked {
	v, _, _ := s.misses.Do(cand.GetId(), func() (any, error) {
		ranked := rankedOf(s.index.MatchCandidate(cand, s.now()))
		if recache && s.cfg.Partitions.Owns(partition.Of(cand.GetId())) {
			if err := s.putCandidate(ctx, cand, ranked); err != nil {
				s.cacheWrite(ctx, "recache a candidate's matches", err)
			}
		}
		return ranked, nil
	})
	return v.([]match.Ranked)
}

// nearMisses answers the open vacancies a candidate fits but for exactly one
// requirement, naming it: the next step on their career path.
func (s *Service) nearMisses(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	_, limit, err := pageParams(c)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.near(rec.GetCandidate(), limit, s.now()))
}

func (s *Service) near(cand *eventsv1.Candidate, limit int, now time.Time) NearMisses {
	type miss struct {
		v *eventsv1.Vacancy
		r match.Result
		m match.Miss
	}
	var all []miss
	for _, v := range s.index.Vacancies() {
		r := match.Evaluate(cand, v, now)
		if m, ok := match.NearMiss(r); ok {
			all = append(all, miss{v, r, m})
		}
	}
	slices.SortFunc(all, func(a, b miss) int {
		return match.Compare(
			match.Ranked{ID: a.v.GetId(), Score: a.r.Score, ClosesAtUnixMs: a.v.GetClosesAtUnixMs()},
			match.Ranked{ID: b.v.GetId(), Score: b.r.Score, ClosesAtUnixMs: b.v.GetClosesAtUnixMs()})
	})
	out := NearMisses{NearMisses: []NearMissView{}}
	for _, m := range all[:min(limit, len(all))] {
		out.NearMisses = append(out.NearMisses, NearMissView{
			Vacancy: jobs.ViewSummary(jobs.Summarize(m.v)), Score: m.r.Score, Requirement: string(m.m.Rule), Missing: m.m.Reason,
		})
	}
	return out
}

func pageParams(c *gin.Context) (offset, limit int, err error) {
	limit = defaultLimit
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			return 0, 0, problem.Fields([]problem.FieldError{{Field: "limit", Detail: "must be 1 to 100"}})
		}
		limit = n
	}
	if cur := c.Query("cursor"); cur != "" {
		if offset, err = decodeCursor(cur); err != nil {
			return 0, 0, problem.Fields([]problem.FieldError{{Field: "cursor", Detail: "is not a cursor this API gave"}})
		}
	}
	return offset, limit, nil
}

// Cursors are opaque to clients, so that the paging scheme may change.
func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset)))
}

func decodeCursor(s string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 3 || string(b[:2]) != "o:" {
		return 0, errors.New("bad cursor")
	}
	n, err := strconv.Atoi(string(b[2:]))
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, errors.New("bad cursor")
	}
	return n, nil
}
