// Package matchcache keeps the match lists the read API serves: per candidate
// the vacancies they match, best first; per vacancy the candidates it matches
// (for counts). It is a cache: everything in it can be recomputed from the
// index, so a miss or an outage is answered from the index, never as an
// error. Redis holds it when configured, an in-process map otherwise; both
// pass the same test suite.
package matchcache

import (
	"context"
	"errors"
	"time"

	"github.com/clinjobs/clinjobs/pkg/match"
)

// ErrMiss reports that a list is not in the cache (never written, expired,
// or lost with a restart of Redis): the caller computes it.
var ErrMiss = errors.New("not cached")

// Cache is where match lists are kept.
type Cache interface {
	// PutVacancy records the candidates a vacancy matches now. Each cached
	// list of those candidates gains it, ranked by their own score; the
	// candidates it no longer matches lose it. Its entries expire when it
	// closes.
	PutVacancy(ctx context.Context, vacancyID string, closesAtUnixMs int64, members []Member) error
	// RemoveVacancy takes a closed or withdrawn vacancy out of every list.
	RemoveVacancy(ctx context.Context, vacancyID string) error
	// PutCandidate replaces a candidate's list, and their place in each
	// vacancy's set.
	PutCandidate(ctx context.Context, candidateID string, vacancies []match.Ranked) error
	// RemoveCandidate takes an erased candidate out of the cache.
	RemoveCandidate(ctx context.Context, candidateID string) error
	// CandidateMatches returns a page of a candidate's list, best first,
	// and the length of the whole list, or ErrMiss.
	CandidateMatches(ctx context.Context, candidateID string, offset, limit int) ([]match.Ranked, int, error)
	// VacancyCount returns how many candidates a vacancy matches, or ErrMiss.
	VacancyCount(ctx context.Context, vacancyID string) (int, error)
	// Flush empties the cache of every list, for a rebuild.
	Flush(ctx context.Context) error
}

// Member is a candidate a vacancy matches, with the score of the match.
type Member struct {
	CandidateID string
	Score       int
}

// DefaultTTL bounds how long a candidate list with nothing that closes
// sooner may stay cached.
const DefaultTTL = 24 * time.Hour

// expiry returns when a list of vs must go: when the first of them closes,
// so that no entry outlives its vacancy, or after DefaultTTL.
func expiry(vs []match.Ranked, now time.Time) time.Time {
	exp := now.Add(DefaultTTL)
	for _, v := range vs {
		if t := time.UnixMilli(v.ClosesAtUnixMs); v.ClosesAtUnixMs > 0 && t.Before(exp) {
			exp = t
		}
	}
	return exp
}
