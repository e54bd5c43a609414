// Package rates counts what flows through the system per second over the
// last hour — vacancies posted, matches found, alerts delivered and failed by
// channel — and the time from a vacancy's posting to its first alert. It
// learns them by following the streams that announce them, starting an hour
// back when the dashboard starts, so a restart loses nothing recent.
package rates

import (
	"slices"
	"sync"
	"time"
)

// Window is how far back the counts go.
const Window = time.Hour

const slots = int(Window / time.Second)

// Series counts events per second in a ring of one hour.
type Series struct {
	mu    sync.Mutex
	count [slots]uint32
	// second is the unix second each slot was last written for, so that a
	// slot from an earlier hour reads as zero.
	second [slots]int64
}

// Add counts n events at t; events older than the window are ignored.
func (s *Series) Add(t time.Time, n int) {
	sec := t.Unix()
	i := int(sec % int64(slots))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.second[i] != sec {
		if s.second[i] > sec {
			return
		}
		s.second[i], s.count[i] = sec, 0
	}
	s.count[i] += uint32(n)
}

// Sum returns the events in the window ending at now.
func (s *Series) Sum(now time.Time, window time.Duration) int {
	end := now.Unix()
	start := end - int64(window/time.Second) + 1
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0
	for i := range slots {
		if sec := s.second[i]; sec >= start && sec <= end {
			total += int(s.count[i])
		}
	}
	return total
}

// PerMinute returns the events of each of the last n minutes up to now,
// oldest first: the points of a chart.
func (s *Series) PerMinute(now time.Time, n int) []int {
	out := make([]int, n)
	end := now.Unix()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range slots {
		sec := s.second[i]
		age := int((end - sec) / 60)
		if sec <= end && age < n {
			out[n-1-age] += int(s.count[i])
		}
	}
	return out
}

// Board holds every series by name, and the posting-to-first-alert times.
type Board struct {
	mu     sync.Mutex
	series map[string]*Series
	first  map[string]firstAlert
}

type firstAlert struct {
	posted, alerted time.Time
}

// NewBoard returns an empty board.
func NewBoard() *Board {
	return &Board{series: map[string]*Series{}, first: map[string]firstAlert{}}
}

// Series returns the series of name, made on first use.
func (b *Board) Series(name string) *Series {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.series[name]
	if !ok {
		s = &Series{}
		b.series[name] = s
	}
	return s
}

// Names returns the names of the series, sorted.
func (b *Board) Names() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	names := make([]string, 0, len(b.series))
	for n := range b.series {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Alerted notes an alert about a vacancy posted at posted; only the first
// alert of each vacancy counts.
func (b *Board) Alerted(vacancyID string, posted, at time.Time) {
	if posted.IsZero() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if f, ok := b.first[vacancyID]; ok && !at.Before(f.alerted) {
		return
	}
	b.first[vacancyID] = firstAlert{posted: posted, alerted: at}
}

// Latency summarises the time from posting to first alert of the vacancies
// first alerted in the window ending at now.
type Latency struct {
	Vacancies int     `json:"vacancies"`
	P50Secs   float64 `json:"p50_seconds"`
	P90Secs   float64 `json:"p90_seconds"`
	MaxSecs   float64 `json:"max_seconds"`
}

// FirstAlertLatency returns the posting-to-first-alert times of the window,
// forgetting vacancies first alerted before it.
func (b *Board) FirstAlertLatency(now time.Time, window time.Duration) Latency {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ds []float64
	for id, f := range b.first {
		if now.Sub(f.alerted) > Window {
			delete(b.first, id)
			continue
		}
		if now.Sub(f.alerted) <= window {
			ds = append(ds, f.alerted.Sub(f.posted).Seconds())
		}
	}
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	at := func(q float64) float64 { return ds[int(q*float64(len(ds)-1))] }
	return Latency{Vacancies: len(ds), P50Secs: at(0.5), P90Secs: at(0.9), MaxSecs: ds[len(ds)-1]}
}
