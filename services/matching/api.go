package matching

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/match"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/services/matching/internal/matchcache"
)

// HeaderMatchSource says where a match list came from: "cache", or "index"
// when the cache missed or was unreachable.
const HeaderMatchSource = "X-Match-Source"

type matchView struct {
	Vacancy    jobs.SummaryView `json:"vacancy"`
	Score      int              `json:"score"`
	DistanceKm float64          `json:"distance_km"`
	Reasons    []string         `json:"reasons"`
}

type matchesView struct {
	Matches    []matchView `json:"matches"`
	Total      int         `json:"total"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

// Page sizes of match lists.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// candidateMatches answers a candidate's ranked matches with reasons.
func (s *Service) candidateMatches(c *gin.Context) {
	rec, _ := auth.CandidateOf(c)
	cand := rec.GetCandidate()
	offset, limit, err := pageParams(c)
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	if !s.cfg.Partitions.Owns(partition.Of(cand.GetId())) {
		httpserver.Fail(c, problem.New(problem.Unavailable, "this replica does not hold candidate %s", cand.GetId()))
		return
	}
	ctx := c.Request.Context()
	source := "cache"
	entries, total, err := s.cache.CandidateMatches(ctx, cand.GetId(), offset, limit)
	if err != nil {
		if !errors.Is(err, matchcache.ErrMiss) {
			s.log.WarnContext(ctx, "match cache unreachable; answering from the index", "err", err)
		}
		source = "index"
		all := s.fromIndex(c, cand.GetId(), errors.Is(err, matchcache.ErrMiss))
		total = len(all)
		entries = all[min(offset, len(all)):min(offset+limit, len(all))]
	}
	now := s.now()
	out := matchesView{Matches: []matchView{}, Total: total}
	for _, e := range entries {
		v, ok := s.index.Vacancy(e.ID)
		if !ok || !jobs.IsOpen(v, now) {
			continue
		}
		r := match.Evaluate(cand, v, now)
		if !r.Eligible {
			continue
		}
		out.Matches = append(out.Matches, matchView{
			Vacancy: jobs.ViewSummary(jobs.Summarize(v)), Score: r.Score, DistanceKm: r.DistanceKm, Reasons: r.Reasons,
		})
	}
	if offset+limit < total {
		out.NextCursor = encodeCursor(offset + limit)
	}
	c.Header(HeaderMatchSource, source)
	c.JSON(http.StatusOK, out)
}

// fromIndex computes a candidate's whole list from the index; concurrent
// misses of one candidate compute it once. A missed list is cached again.
func (s *Service) fromIndex(c *gin.Context, candidateID string, recache bool) []match.Ranked {
	ctx := c.Request.Context()
	v, _, _ := s.misses.Do(candidateID, func() (any, error) {
		cand, ok := s.index.Candidate(candidateID)
		if !ok {
			return []match.Ranked{}, nil
		}
		ms := s.index.MatchCandidate(cand, s.now())
		ranked := make([]match.Ranked, len(ms))
		for i, m := range ms {
			ranked[i] = m.Ranked()
		}
		if recache {
			s.cacheFailed(ctx, "recache candidate matches", s.cache.PutCandidate(ctx, candidateID, ranked))
		}
		return ranked, nil
	})
	return v.([]match.Ranked)
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
