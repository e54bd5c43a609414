package rates_test

import (
	"slices"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/services/dashboard/internal/rates"
)

func TestSeries(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	var s rates.Series
	s.Add(now, 2)
	s.Add(now.Add(-30*time.Second), 1)
	s.Add(now.Add(-90*time.Second), 4)
	s.Add(now.Add(-59*time.Minute), 8)
	s.Add(now.Add(-2*time.Hour), 100) // outside the window: lands in a slot but never counts
	if got := s.Sum(now, time.Minute); got != 3 {
		t.Errorf("last minute = %d, want 3", got)
	}
	if got := s.Sum(now, time.Hour); got != 15 {
		t.Errorf("last hour = %d, want 15", got)
	}
	if got := s.PerMinute(now, 3); !slices.Equal(got, []int{0, 4, 3}) {
		t.Errorf("per minute = %v, want [0 4 3]", got)
	}
	// An hour later the same slots read as empty.
	if got := s.Sum(now.Add(2*time.Hour), time.Hour); got != 0 {
		t.Errorf("two hours on = %d, want 0", got)
	}
	// A late event for a slot already reused by a newer second is dropped.
	s.Add(now.Add(time.Hour), 1)
	s.Add(now, 5)
	if got := s.Sum(now.Add(time.Hour), time.Minute); got != 1 {
		t.Errorf("after reuse = %d, want 1", got)
	}
}

func TestFirstAlertLatency(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	b := rates.NewBoard()
	for i, d := range []time.Duration{2, 4, 6, 8, 100} {
		posted := now.Add(-time.Duration(i+1) * time.Minute)
		b.Alerted(string(rune('a'+i)), posted, posted.Add(d*time.Second))
	}
	// A later alert of a vacancy does not change its first.
	b.Alerted("a", now.Add(-time.Minute), now)
	l := b.FirstAlertLatency(now, time.Hour)
	if l.Vacancies != 5 || l.P50Secs != 6 || l.MaxSecs != 100 {
		t.Errorf("latency %+v", l)
	}
}
