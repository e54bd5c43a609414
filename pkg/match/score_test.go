package match_test

import (
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/match"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// TestScore changes one part of the fixture's score at a time. The fixture
// scores 30 (specialisms) + 13 (distance) + 20 (band) + 15 (desirables: none asked) + 10
// (closing) = 88.
func TestScore(t *testing.T) {
	t.Parallel()
	type (
		C = eventsv1.Candidate
		V = eventsv1.Vacancy
	)
	specs := func(ss ...eventsv1.Specialism) []eventsv1.Specialism { return ss }
	const (
		renal   = eventsv1.Specialism_SPECIALISM_RENAL
		radio   = eventsv1.Specialism_SPECIALISM_RADIOTHERAPY
		implant = eventsv1.Specialism_SPECIALISM_IMPLANTS
		robot   = eventsv1.Specialism_SPECIALISM_SURGICAL_ROBOTICS
	)
	closesIn := func(d time.Duration) func(*C, *V) {
		return func(_ *C, v *V) { v.ClosesAtUnixMs = msAfter(d) }
	}
	band := func(b eventsv1.Band) func(*C, *V) { return func(_ *C, v *V) { v.Band = b } }
	years := func(n int32) func(*C, *V) { return func(c *C, _ *V) { c.Qualifications.YearsExperience = n } }
	km := func(d float64) func(*C, *V) { return func(_ *C, v *V) { v.Site.Location = northOf(leeds, d) } }
	tests := []struct {
		name   string
		change func(c *C, v *V)
		want   int
	}{
		{"fixture", func(*C, *V) {}, 88},

		{"specialisms none on the vacancy: neutral 15", func(_ *C, v *V) { v.Specialisms = nil }, 73},
		{"specialisms none on the candidate: neutral 15", func(c *C, _ *V) { c.Specialisms = nil }, 73},
		{"specialisms none covered: 0", func(_ *C, v *V) { v.Specialisms = specs(implant) }, 58},
		{"specialisms 2 of 3 covered: 20", func(_ *C, v *V) { v.Specialisms = specs(renal, radio, implant) }, 78},
		{"specialisms 3 of 4 covered: 22.5 rounds up to 23", func(c *C, v *V) {
			c.Specialisms = specs(renal, radio, implant)
			v.Specialisms = specs(renal, radio, implant, robot)
		}, 81},
		{"specialisms repeated count once", func(_ *C, v *V) { v.Specialisms = specs(renal, renal, implant) }, 73},

		{"distance at home: 25", km(0), 100},
		{"distance 15 of 30 km: 12.5 rounds up to 13", km(15), 88},
		{"distance 27 of 30 km: 2.5 rounds up to 3", km(27), 78},
		{"distance exactly the radius: 0", km(30), 75},
		{"distance beyond the radius: 0", km(31), 75},
		{"distance beyond the radius, relocating: 10", func(c *C, v *V) {
			c.WillingToRelocate = true
			v.Site.Location = northOf(leeds, 300)
		}, 85},
		{"distance inside the radius, relocating: linear", func(c *C, _ *V) { c.WillingToRelocate = true }, 88},
		{"distance radius 0 at home: 25", func(c *C, v *V) {
			c.TravelRadiusKm = 0
			v.Site.Location = northOf(leeds, 0)
		}, 100},

		{"band the minimum: 20", band(eventsv1.Band_BAND_6), 88},
		{"band one above: 20", band(eventsv1.Band_BAND_7), 88},
		{"band two above: 15", band(eventsv1.Band_BAND_8A), 83},
		{"band three above: 10", band(eventsv1.Band_BAND_8B), 78},
		{"band four above: 5", band(eventsv1.Band_BAND_8C), 73},
		{"band five above: 0", band(eventsv1.Band_BAND_8D), 68},
		{"band six above: 0", band(eventsv1.Band_BAND_9), 68},
		{"band below the minimum: 0", band(eventsv1.Band_BAND_5), 68},
		{"band no minimum counts as band 2", func(c *C, v *V) {
			c.MinBand = eventsv1.Band_BAND_UNSPECIFIED
			v.Band = eventsv1.Band_BAND_4 // two above band 2
		}, 83},

		{"experience exactly the minimum: 15", years(3), 88},
		{"experience 3 above: 15", years(6), 88},
		// More experience never lowers a score (it once did: an age bias).
		{"experience 4 above: still 15", years(7), 88},
		{"experience 7 above: still 15", years(10), 88},
		{"experience 40 above: still 15", years(43), 88},
		{"experience below: ineligible, not scored lower", years(2), 88},

		{"closing in exactly 7 days: 10", closesIn(7 * day), 88},
		{"closing in 7 days and 1 ms: 10", closesIn(7*day + time.Millisecond), 88},
		{"closing in 30 days: 5.66 rounds to 6", closesIn(30 * day), 84},
		{"closing in 33.5 days: exactly 5", closesIn(33*day + 12*time.Hour), 83},
		{"closing in 50 days: 1.89 rounds to 2", closesIn(50 * day), 80},
		{"closing in 59 days: 0.19 rounds to 0", closesIn(59 * day), 78},
		{"closing in exactly 60 days: 0", closesIn(60 * day), 78},
		{"closing in a year: 0", closesIn(365 * day), 78},
		{"closing exactly now: 0", closesIn(0), 78},
		{"closed a day ago: 0", closesIn(-day), 78},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, v := candidate(), vacancy()
			tt.change(c, v)
			if got := match.Evaluate(c, v, now).Score; got != tt.want {
				t.Errorf("score %d, want %d", got, tt.want)
			}
		})
	}
}

func TestScoreBounds(t *testing.T) {
	t.Parallel()
	worst := func(c *eventsv1.Candidate, v *eventsv1.Vacancy) {
		v.Specialisms = []eventsv1.Specialism{eventsv1.Specialism_SPECIALISM_IMPLANTS}
		v.Site.Location = northOf(leeds, 500)
		v.Band = eventsv1.Band_BAND_2
		v.ClosesAtUnixMs = msAfter(-day)
		c.Qualifications.YearsExperience = 0
	}
	best := func(_ *eventsv1.Candidate, v *eventsv1.Vacancy) {
		v.Site.Location = northOf(leeds, 0)
	}
	for name, tt := range map[string]struct {
		change func(*eventsv1.Candidate, *eventsv1.Vacancy)
		want   int
	}{"worst": {worst, 15}, "best": {best, 100}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, v := candidate(), vacancy()
			tt.change(c, v)
			if got := match.Evaluate(c, v, now).Score; got != tt.want {
				t.Errorf("score %d, want %d", got, tt.want)
			}
		})
	}
}
