package schedule_test

import (
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/services/notification/internal/schedule"
)

func london(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestSlotAcrossClockChanges(t *testing.T) {
	t.Parallel()
	loc := london(t)
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tt := range []struct {
		name    string
		now     string
		hour    int
		weekly  bool
		weekday time.Weekday
		want    string
	}{
		{"winter, just before 9", "2026-03-28T08:59:59Z", 9, false, 0, "2026-03-27T09:00:00Z"},
		{"winter, at 9", "2026-03-28T09:00:00Z", 9, false, 0, "2026-03-28T09:00:00Z"},
		// The clocks go forward at 01:00 GMT on 29 March 2026: 9 o'clock
		// is now 08:00 UTC.
		{"first summer morning, 08:00 UTC is 9 BST", "2026-03-29T08:00:00Z", 9, false, 0, "2026-03-29T08:00:00Z"},
		{"first summer morning, 07:59 UTC is not yet", "2026-03-29T07:59:00Z", 9, false, 0, "2026-03-28T09:00:00Z"},
		{"01:00 does not exist on 29 March: 02:00 BST", "2026-03-29T01:30:00Z", 1, false, 0, "2026-03-29T01:00:00Z"},
		// Back at 01:00 UTC on 25 October 2026: 9 o'clock is 09:00 UTC again.
		{"first winter morning", "2026-10-25T08:30:00Z", 9, false, 0, "2026-10-24T08:00:00Z"},
		{"first winter morning, 9 GMT", "2026-10-25T09:00:00Z", 9, false, 0, "2026-10-25T09:00:00Z"},
		{"01:00 happens twice on 25 October: the first", "2026-10-25T00:30:00Z", 1, false, 0, "2026-10-25T00:00:00Z"},
		{"weekly on Monday at 7, from a Sunday", "2026-03-29T20:00:00Z", 7, true, time.Monday, "2026-03-23T07:00:00Z"},
		{"weekly on Monday at 7, the Monday after the change", "2026-03-30T06:00:00Z", 7, true, time.Monday, "2026-03-30T06:00:00Z"},
		{"midnight", "2026-06-01T23:30:00Z", 0, false, 0, "2026-06-01T23:00:00Z"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := schedule.Slot(utc(tt.now), loc, tt.hour, tt.weekly, tt.weekday)
			if !got.Equal(utc(tt.want)) {
				t.Errorf("Slot(%s) = %s, want %s", tt.now, got.UTC().Format(time.RFC3339), tt.want)
			}
			next := schedule.Next(got, loc, tt.hour, tt.weekly, tt.weekday)
			if !next.After(utc(tt.now)) {
				t.Errorf("Next after the slot %s is %s, not after now", got, next)
			}
			if again := schedule.Slot(next.Add(-time.Nanosecond), loc, tt.hour, tt.weekly, tt.weekday); !again.Equal(got) {
				t.Errorf("slot just before the next is %s, want %s", again, got)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for failures := 1; failures <= len(schedule.Retries); failures++ {
		base := schedule.Retries[failures-1]
		for range 100 {
			d, ok := schedule.Backoff(schedule.Retries, failures)
			if !ok || d < base-base/5 || d > base+base/5 {
				t.Fatalf("after %d failures wait %s (%v), want %s ±20%%", failures, d, ok, base)
			}
		}
	}
	if _, ok := schedule.Backoff(schedule.Retries, len(schedule.Retries)+1); ok {
		t.Fatal("a try after the last failure")
	}
	if span := schedule.Span(schedule.Retries); span < 8*time.Hour || span > 11*time.Hour {
		t.Fatalf("schedule spans %s", span)
	}
}
