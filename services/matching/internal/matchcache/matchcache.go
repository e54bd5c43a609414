// Package matchcache keeps the match lists the read API serves: per candidate
// the vacancies they match, best first; per vacancy the candidates it matches
// (for counts, and to tell a new match from one already announced). It is a
// cache: everything in it can be recomputed from the index, so a miss or an
// outage is answered from the index, never as an error. Redis holds it when
// configured, an in-process map otherwise; both pass the same test suite.
//
// Matching replicas own partitions of the candidates and share one Redis;
// each writes only the entries of candidates it owns.
package matchcache

import (
	"context"
	"errors"
	"time"

	"github.com/clinjobs/clinjobs/pkg/match"
	"github.com/clinjobs/clinjobs/pkg/partition"
)

// ErrMiss reports that a list is not in the cache (never written, expired,
// flushed, or lost with a restart of Redis): the caller computes it.
var ErrMiss = errors.New("not cached")

// Cache is where match lists are kept.
type Cache interface {
	// VacancyMembers returns the candidates (of the cache's partitions) a
	// vacancy matched when last written, or ErrMiss.
	VacancyMembers(ctx context.Context, vacancyID string) (map[string]bool, error)
	// PutVacancy records the candidates (of the cache's partitions) a
	// vacancy matches now. Each cached list of those candidates gains the
	// vacancy, ranked by their own score; the candidates it no longer
	// matches lose it. Its entries expire when it closes.
	PutVacancy(ctx context.Context, vacancyID string, closesAtUnixMs int64, members []Member) error
	// RemoveVacancy takes a closed or withdrawn vacancy out of every list.
	RemoveVacancy(ctx context.Context, vacancyID string) error
	// CandidateVacancies returns the vacancies in a candidate's list, or ErrMiss.
	CandidateVacancies(ctx context.Context, candidateID string) (map[string]bool, error)
	// PutCandidate replaces a candidate's list.
	PutCandidate(ctx context.Context, candidateID string, vacancies []match.Ranked) error
	// RemoveCandidate takes an erased candidate out of the cache.
	RemoveCandidate(ctx context.Context, candidateID string) error
	// CandidateMatches returns a page of a candidate's list, best first,
	// and the length of the whole list, or ErrMiss.
	CandidateMatches(ctx context.Context, candidateID string, offset, limit int) ([]match.Ranked, int, error)
	// Flush empties the cache of the cache's partitions, for a rebuild.
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

// byPartition groups members by their candidate's partition.
func byPartition(members []Member) map[int][]Member {
	out := map[int][]Member{}
	for _, m := range members {
		p := partition.Of(m.CandidateID)
		out[p] = append(out[p], m)
	}
	return out
}
