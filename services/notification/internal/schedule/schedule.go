// Package schedule holds the clock rules of alerting: when a daily or
// weekly digest is due, in Europe/London wall time so that "9 o'clock"
// stays 9 o'clock across the changes to and from summer time, and the
// published retry schedule of failed deliveries.
package schedule

import (
	"math/rand/v2"
	"time"
)

// Slot returns the latest digest slot at or before now: the hour on every
// day (weekly false) or on weekday (weekly true), in loc. An hour that does
// not exist on the day the clocks go forward (01:00 in London) is taken as
// the first instant after the gap; an hour that happens twice when they go
// back is taken the first time.
func Slot(now time.Time, loc *time.Location, hour int, weekly bool, weekday time.Weekday) time.Time {
	local := now.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < 8; i++ {
		d := day.AddDate(0, 0, -i)
		if weekly && d.Weekday() != weekday {
			continue
		}
		slot := at(d, hour, loc)
		if !slot.After(now) {
			return slot
		}
	}
	// Unreachable for hours 0-23: within 8 days there is always a slot.
	return at(day.AddDate(0, 0, -7), hour, loc)
}

// at is hour o'clock on day d in loc. time.Date does not promise which
// side of a clock change it picks, so both cases are settled here.
func at(d time.Time, hour int, loc *time.Location) time.Time {
	t := time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, loc)
	if t.Hour() != hour {
		// In the gap: move to the first instant after it.
		if t.Hour() == (hour+23)%24 {
			t = t.Add(time.Hour)
		}
		return t
	}
	if earlier := t.Add(-time.Hour); earlier.Hour() == hour {
		// The hour happens twice: the first time.
		t = earlier
	}
	return t
}

// Next returns the first slot after now.
func Next(now time.Time, loc *time.Location, hour int, weekly bool, weekday time.Weekday) time.Time {
	local := now.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < 9; i++ {
		d := day.AddDate(0, 0, i)
		if weekly && d.Weekday() != weekday {
			continue
		}
		if slot := at(d, hour, loc); slot.After(now) {
			return slot
		}
	}
	return at(day.AddDate(0, 0, 7), hour, loc)
}

// Period names the slot: its local date.
func Period(slot time.Time, loc *time.Location) string {
	return slot.In(loc).Format(time.DateOnly)
}

// Retries is the published retry schedule of a failed delivery: the wait
// after the first failure, the second and so on; after the last failure
// the delivery becomes a dead letter. Seven tries over about eight hours.
var Retries = []time.Duration{
	10 * time.Second,
	time.Minute,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
}

// Backoff returns the wait after the failures'th failure under the
// schedule, with up to ±20 % jitter so that deliveries that failed together
// do not come back together, and false when no try is left.
func Backoff(schedule []time.Duration, failures int) (time.Duration, bool) {
	if failures < 1 || failures > len(schedule) {
		return 0, false
	}
	d := schedule[failures-1]
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter, true
}

// Span is the schedule's whole length: a delivery still untried (held by
// an open circuit) when this has passed since it was made is dead too.
func Span(schedule []time.Duration) time.Duration {
	var total time.Duration
	for _, d := range schedule {
		total += d
	}
	return total + total/5
}
