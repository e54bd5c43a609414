package jobs

import (
	"fmt"
	"time"
	// Images have no zoneinfo; the binaries carry their own.
	_ "time/tzdata"
)

// London is the time zone of every date of the domain (closing dates, digest
// hours): Europe/London, summer time included.
var London = mustLoad("Europe/London")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// time/tzdata is linked in, so this cannot happen short of a broken build.
		panic(fmt.Sprintf("load time zone %s: %v", name, err))
	}
	return loc
}

// Today returns the date of now in London, at midnight London time.
func Today(now time.Time) time.Time {
	y, m, d := now.In(London).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, London)
}

// EndOfDay returns the instant a date ends in London: midnight at the start of
// the next day, whatever the clocks did that day.
func EndOfDay(date time.Time) time.Time {
	y, m, d := date.In(London).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, London)
}

// FormatDate writes a date as YYYY-MM-DD.
func FormatDate(t time.Time) string { return t.In(London).Format(DateLayout) }
