package matchcache

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/clinjobs/clinjobs/pkg/match"
)

// Memory is the in-process cache of the all-in-one process without Redis.
type Memory struct {
	mu         sync.Mutex
	now        func() time.Time
	candidates map[string]memList
	vacancies  map[string]memSet
}

type memList struct {
	entries []match.Ranked
	expires time.Time
}

type memSet struct {
	ids     map[string]bool
	expires time.Time
}

// NewMemory returns an empty in-process cache on the clock now.
func NewMemory(now func() time.Time) *Memory {
	return &Memory{now: now, candidates: map[string]memList{}, vacancies: map[string]memSet{}}
}

func (m *Memory) list(id string) (memList, bool) {
	l, ok := m.candidates[id]
	if ok && !m.now().Before(l.expires) {
		delete(m.candidates, id)
		return memList{}, false
	}
	return l, ok
}

// VacancyMembers implements Cache.
func (m *Memory) VacancyMembers(_ context.Context, vacancyID string) (map[string]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.vacancies[vacancyID]
	if !ok || !m.now().Before(s.expires) {
		return nil, ErrMiss
	}
	return maps.Clone(s.ids), nil
}

// PutVacancy implements Cache.
func (m *Memory) PutVacancy(_ context.Context, vacancyID string, closesAtUnixMs int64, members []Member) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	matched := make(map[string]bool, len(members))
	for _, mem := range members {
		matched[mem.CandidateID] = true
	}
	for id := range m.vacancies[vacancyID].ids {
		if !matched[id] {
			m.dropFromList(id, vacancyID)
		}
	}
	for _, mem := range members {
		if l, ok := m.list(mem.CandidateID); ok {
			l.entries = slices.DeleteFunc(l.entries, func(e match.Ranked) bool { return e.ID == vacancyID })
			l.entries = append(l.entries, match.Ranked{ID: vacancyID, Score: mem.Score, ClosesAtUnixMs: closesAtUnixMs})
			slices.SortFunc(l.entries, compare)
			l.expires = expiry(l.entries, now)
			m.candidates[mem.CandidateID] = l
		}
	}
	m.vacancies[vacancyID] = memSet{ids: matched, expires: time.UnixMilli(closesAtUnixMs)}
	return nil
}

func (m *Memory) dropFromList(candidateID, vacancyID string) {
	if l, ok := m.list(candidateID); ok {
		l.entries = slices.DeleteFunc(l.entries, func(e match.Ranked) bool { return e.ID == vacancyID })
		m.candidates[candidateID] = l
	}
}

// RemoveVacancy implements Cache.
func (m *Memory) RemoveVacancy(_ context.Context, vacancyID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id := range m.vacancies[vacancyID].ids {
		m.dropFromList(id, vacancyID)
	}
	delete(m.vacancies, vacancyID)
	return nil
}

// CandidateVacancies implements Cache.
func (m *Memory) CandidateVacancies(_ context.Context, candidateID string) (map[string]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.list(candidateID)
	if !ok {
		return nil, ErrMiss
	}
	ids := make(map[string]bool, len(l.entries))
	for _, e := range l.entries {
		ids[e.ID] = true
	}
	return ids, nil
}

// PutCandidate implements Cache.
func (m *Memory) PutCandidate(_ context.Context, candidateID string, vs []match.Ranked) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.unlinkCandidate(candidateID)
	entries := slices.Clone(vs)
	slices.SortFunc(entries, compare)
	m.candidates[candidateID] = memList{entries: entries, expires: expiry(entries, now)}
	for _, v := range entries {
		if s, ok := m.vacancies[v.ID]; ok {
			s.ids[candidateID] = true
		}
	}
	return nil
}

// unlinkCandidate takes the candidate out of every vacancy set it is in.
func (m *Memory) unlinkCandidate(candidateID string) {
	for _, s := range m.vacancies {
		delete(s.ids, candidateID)
	}
}

// RemoveCandidate implements Cache.
func (m *Memory) RemoveCandidate(_ context.Context, candidateID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unlinkCandidate(candidateID)
	delete(m.candidates, candidateID)
	return nil
}

// CandidateMatches implements Cache.
func (m *Memory) CandidateMatches(_ context.Context, candidateID string, offset, limit int) ([]match.Ranked, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.list(candidateID)
	if !ok {
		return nil, 0, ErrMiss
	}
	return page(l.entries, offset, limit), len(l.entries), nil
}

// Flush implements Cache.
func (m *Memory) Flush(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.candidates)
	clear(m.vacancies)
	return nil
}

func compare(a, b match.Ranked) int {
	switch {
	case match.Less(a, b):
		return -1
	case match.Less(b, a):
		return 1
	}
	return 0
}

func page(entries []match.Ranked, offset, limit int) []match.Ranked {
	if offset >= len(entries) {
		return nil
	}
	end := min(len(entries), offset+limit)
	return slices.Clone(entries[offset:end])
}
