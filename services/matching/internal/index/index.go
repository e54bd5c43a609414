// Package index holds what the matching service knows: the candidates of the
// partitions it owns and every vacancy, each at the revision it was last
// seen, and answers which candidates a vacancy matches and which open
// vacancies a candidate matches.
//
// This version scans: it applies the rules of pkg/match to every candidate
// (or open vacancy) in turn. It is exact, and it is the reference that a
// faster index must agree with.
package index

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/match"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Match is one (candidate, vacancy) pair that fits.
type Match struct {
	CandidateID string
	VacancyID   string
	Result      match.Result
	// ClosesAtUnixMs is the vacancy's, for ranking.
	ClosesAtUnixMs int64
}

// Ranked returns m as ranked in the candidate's list.
func (m Match) Ranked() match.Ranked {
	return match.Ranked{ID: m.VacancyID, Score: m.Result.Score, ClosesAtUnixMs: m.ClosesAtUnixMs}
}

type candidate struct {
	c   *eventsv1.Candidate
	rev uint64
}

type vacancy struct {
	v   *eventsv1.Vacancy
	rev uint64
}

// Index is safe for concurrent use.
type Index struct {
	mu         sync.RWMutex
	candidates map[string]candidate
	vacancies  map[string]vacancy
}

// New returns an empty index.
func New() *Index {
	return &Index{candidates: map[string]candidate{}, vacancies: map[string]vacancy{}}
}

// PutCandidate records c at revision rev, unless the index holds a later
// revision; it reports whether c was recorded.
func (ix *Index) PutCandidate(c *eventsv1.Candidate, rev uint64) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if old, ok := ix.candidates[c.GetId()]; ok && old.rev > rev {
		return false
	}
	ix.candidates[c.GetId()] = candidate{c: c, rev: rev}
	return true
}

// RemoveCandidate forgets a candidate and reports whether it was known.
func (ix *Index) RemoveCandidate(id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	_, ok := ix.candidates[id]
	delete(ix.candidates, id)
	return ok
}

// Candidate returns a candidate by id.
func (ix *Index) Candidate(id string) (*eventsv1.Candidate, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	c, ok := ix.candidates[id]
	return c.c, ok
}

// PutVacancy records v at revision rev, unless the index holds a later
// revision; it reports whether v was recorded.
func (ix *Index) PutVacancy(v *eventsv1.Vacancy, rev uint64) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if old, ok := ix.vacancies[v.GetId()]; ok && old.rev > rev {
		return false
	}
	ix.vacancies[v.GetId()] = vacancy{v: v, rev: rev}
	return true
}

// Vacancy returns a vacancy by id, open or not.
func (ix *Index) Vacancy(id string) (*eventsv1.Vacancy, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	v, ok := ix.vacancies[id]
	return v.v, ok
}

// Sizes returns how many candidates and vacancies the index holds.
func (ix *Index) Sizes() (candidates, vacancies int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.candidates), len(ix.vacancies)
}

// MatchVacancy returns every candidate v fits at now, ordered by candidate id.
func (ix *Index) MatchVacancy(v *eventsv1.Vacancy, now time.Time) []Match {
	if !jobs.IsOpen(v, now) {
		return nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []Match
	for id, c := range ix.candidates {
		if r := match.Evaluate(c.c, v, now); r.Eligible {
			out = append(out, Match{CandidateID: id, VacancyID: v.GetId(), Result: r, ClosesAtUnixMs: v.GetClosesAtUnixMs()})
		}
	}
	slices.SortFunc(out, func(a, b Match) int { return cmp.Compare(a.CandidateID, b.CandidateID) })
	return out
}

// MatchCandidate returns every open vacancy c fits at now, best first.
func (ix *Index) MatchCandidate(c *eventsv1.Candidate, now time.Time) []Match {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []Match
	for id, v := range ix.vacancies {
		if r := match.Evaluate(c, v.v, now); r.Eligible {
			out = append(out, Match{CandidateID: c.GetId(), VacancyID: id, Result: r, ClosesAtUnixMs: v.v.GetClosesAtUnixMs()})
		}
	}
	slices.SortFunc(out, func(a, b Match) int {
		switch {
		case match.Less(a.Ranked(), b.Ranked()):
			return -1
		case match.Less(b.Ranked(), a.Ranked()):
			return 1
		}
		return 0
	})
	return out
}
