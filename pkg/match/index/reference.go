package index

import (
	"sync"
	"time"

	"github.com/clinjobs/clinjobs/pkg/match"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Reference is the plain matcher: it applies [match.Evaluate] to every
// candidate (or open vacancy) in turn. It is exact by construction and slow
// by design; the index is tested against it.
type Reference struct {
	mu         sync.RWMutex
	candidates map[string]*eventsv1.Candidate
	vacancies  map[string]*eventsv1.Vacancy
}

// NewReference returns an empty reference matcher.
func NewReference() *Reference {
	return &Reference{candidates: map[string]*eventsv1.Candidate{}, vacancies: map[string]*eventsv1.Vacancy{}}
}

// PutCandidate records c.
func (r *Reference) PutCandidate(c *eventsv1.Candidate) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.candidates[c.GetId()] = c
}

// RemoveCandidate forgets a candidate.
func (r *Reference) RemoveCandidate(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.candidates, id)
}

// PutVacancy records v; one that is not open is forgotten.
func (r *Reference) PutVacancy(v *eventsv1.Vacancy) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v.GetStatus() != eventsv1.VacancyStatus_VACANCY_STATUS_OPEN {
		delete(r.vacancies, v.GetId())
		return
	}
	r.vacancies[v.GetId()] = v
}

// RemoveVacancy forgets a vacancy.
func (r *Reference) RemoveVacancy(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.vacancies, id)
}

// MatchVacancy returns every candidate v fits at now.
func (r *Reference) MatchVacancy(v *eventsv1.Vacancy, now time.Time) []Hit {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Hit
	for id, c := range r.candidates {
		if res := match.Evaluate(c, v, now); res.Eligible {
			out = append(out, Hit{ID: id, Score: res.Score, DistanceTenths: int64(res.DistanceKm*10 + 0.5), ClosesAtUnixMs: v.GetClosesAtUnixMs()})
		}
	}
	return out
}

// MatchCandidate returns every open vacancy c fits at now, best first.
func (r *Reference) MatchCandidate(c *eventsv1.Candidate, now time.Time) []Hit {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Hit
	for id, v := range r.vacancies {
		if res := match.Evaluate(c, v, now); res.Eligible {
			out = append(out, Hit{ID: id, Score: res.Score, DistanceTenths: int64(res.DistanceKm*10 + 0.5), ClosesAtUnixMs: v.GetClosesAtUnixMs()})
		}
	}
	SortRanked(out)
	return out
}
