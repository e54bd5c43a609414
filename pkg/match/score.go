package match

import (
	"slices"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// The most each part of the score can give; they add up to 100.
const (
	maxSpecialismScore = 30
	maxDistanceScore   = 25
	maxBandScore       = 20
	maxExperienceScore = 15
	maxClosingScore    = 10

	// neutralSpecialismScore is given when either side lists no specialisms.
	neutralSpecialismScore = 15
	// relocateScore is given for a site beyond the radius of a candidate
	// willing to relocate.
	relocateScore = 10
)

// score is the sum of the five parts described in the package doc. Every part
// is integer arithmetic, so the score is the same on every platform.
func score(f *facts) int {
	return specialismScore(f) + distanceScore(f) + bandScore(f) + experienceScore(f) + closingScore(f)
}

// divRound is n/d rounded to the nearest integer, halves up, for n ≥ 0 and d > 0.
func divRound(n, d int64) int64 { return (2*n + d) / (2 * d) }

func specialismScore(f *facts) int {
	wanted := dedupe(f.v.GetSpecialisms())
	if len(wanted) == 0 || len(f.c.GetSpecialisms()) == 0 {
		return neutralSpecialismScore
	}
	covered := 0
	for _, s := range wanted {
		if slices.Contains(f.c.GetSpecialisms(), s) {
			covered++
		}
	}
	return int(divRound(maxSpecialismScore*int64(covered), int64(len(wanted))))
}

func distanceScore(f *facts) int {
	d, r := f.distTenths, int64(f.c.GetTravelRadiusKm())*10
	switch {
	case d <= r && r > 0:
		return int(divRound(maxDistanceScore*(r-d), r))
	case d <= r: // r == 0 and d == 0: at home
		return maxDistanceScore
	case f.c.GetWillingToRelocate():
		return relocateScore
	}
	return 0
}

func bandScore(f *facts) int {
	lowest := f.c.GetMinBand()
	if lowest == eventsv1.Band_BAND_UNSPECIFIED {
		lowest = eventsv1.Band_BAND_2
	}
	return stepScore(int64(f.v.GetBand())-int64(lowest), 1, maxBandScore, 5)
}

func experienceScore(f *facts) int {
	asked := max(int64(f.req.GetMinYearsExperience()), 0)
	return stepScore(int64(f.q.GetYearsExperience())-asked, 3, maxExperienceScore, 3)
}

// stepScore is top when 0 ≤ over ≤ free, then step less for each unit beyond
// free, never below 0; 0 when over < 0. Callers pass differences of int32s,
// so nothing here overflows.
func stepScore(over, free, top, step int64) int {
	switch {
	case over < 0:
		return 0
	case over <= free:
		return int(top)
	}
	return int(max(top-step*(over-free), 0))
}

func closingScore(f *facts) int {
	closes := f.v.GetClosesAtUnixMs()
	if closes <= f.nowMs {
		return 0
	}
	left := closes - f.nowMs
	switch {
	case left <= 0: // overflowed: far off
		return 0
	case left <= soonMs:
		return maxClosingScore
	case left >= notSoonMs:
		return 0
	}
	return int(divRound(maxClosingScore*(notSoonMs-left), notSoonMs-soonMs))
}
