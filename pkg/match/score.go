package match

import (
	"math/bits"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// The most each part of the score can give; they add up to 100.
const (
	maxSpecialismScore = 30
	maxDistanceScore   = 25
	maxBandScore       = 20
	maxDesirableScore  = 15
	maxClosingScore    = 10

	// neutralSpecialismScore is given when either side lists no specialisms.
	neutralSpecialismScore = 15
	// relocateScore is given for a site beyond the radius of a candidate
	// willing to relocate.
	relocateScore = 10
)

// Fit is what the score is computed from, in plain numbers, so that the
// matching index, which keeps candidates in compact form, scores exactly as
// [Evaluate] does.
type Fit struct {
	// Specialisms of the vacancy and of the candidate, as bit sets (bit n
	// for the specialism numbered n).
	VacancySpecialisms, CandidateSpecialisms uint32
	// DistanceTenths is the distance in tenths of a km ([DistanceTenths]).
	DistanceTenths int64
	RadiusKm       int32
	Relocate       bool
	VacancyBand    eventsv1.Band
	// MinBand is the candidate's minimum; unset counts as band 2.
	MinBand eventsv1.Band
	// DesirablesMet of DesirablesAsked desirable groups are met.
	DesirablesMet, DesirablesAsked int
	ClosesAtUnixMs, NowMs          int64
}

// Score is the sum of the five parts described in the package doc. Every part
// is integer arithmetic, so the score is the same on every platform.
func (f Fit) Score() int {
	return f.specialismScore() + f.distanceScore() + f.bandScore() + f.desirableScore() + f.closingScore()
}

// SpecialismSet returns specialisms as a bit set for [Fit].
func SpecialismSet(ss []eventsv1.Specialism) uint32 {
	var set uint32
	for _, s := range ss {
		if s > 0 && s < 32 {
			set |= 1 << uint(s)
		}
	}
	return set
}

func (f *facts) fit() Fit {
	return Fit{
		VacancySpecialisms:   SpecialismSet(f.v.GetSpecialisms()),
		CandidateSpecialisms: SpecialismSet(f.c.GetSpecialisms()),
		DistanceTenths:       f.distTenths,
		RadiusKm:             f.c.GetTravelRadiusKm(),
		Relocate:             f.c.GetWillingToRelocate(),
		VacancyBand:          f.v.GetBand(),
		MinBand:              f.c.GetMinBand(),
		DesirablesMet:        f.desirablesMet,
		DesirablesAsked:      len(f.groups.Desirable),
		ClosesAtUnixMs:       f.v.GetClosesAtUnixMs(),
		NowMs:                f.nowMs,
	}
}

// divRound is n/d rounded to the nearest integer, halves up, for n ≥ 0 and d > 0.
func divRound(n, d int64) int64 { return (2*n + d) / (2 * d) }

func (f Fit) specialismScore() int {
	wanted := bits.OnesCount32(f.VacancySpecialisms)
	if wanted == 0 || f.CandidateSpecialisms == 0 {
		return neutralSpecialismScore
	}
	covered := bits.OnesCount32(f.VacancySpecialisms & f.CandidateSpecialisms)
	return int(divRound(maxSpecialismScore*int64(covered), int64(wanted)))
}

func (f Fit) distanceScore() int {
	d, r := f.DistanceTenths, int64(f.RadiusKm)*10
	switch {
	case d <= r && r > 0:
		return int(divRound(maxDistanceScore*(r-d), r))
	case d <= r: // r == 0 and d == 0: at home
		return maxDistanceScore
	case f.Relocate:
		return relocateScore
	}
	return 0
}

func (f Fit) bandScore() int {
	lowest := f.MinBand
	if lowest == eventsv1.Band_BAND_UNSPECIFIED {
		lowest = eventsv1.Band_BAND_2
	}
	return stepScore(int64(f.VacancyBand)-int64(lowest), 1, maxBandScore, 5)
}

// desirableScore rewards desirable groups met, and nothing else: years of
// experience beyond those asked never lower a score (they once did, which
// ranked older candidates down), and a vacancy asking nothing desirable
// gives every candidate the whole part.
func (f Fit) desirableScore() int {
	if f.DesirablesAsked <= 0 {
		return maxDesirableScore
	}
	return int(divRound(maxDesirableScore*int64(min(max(f.DesirablesMet, 0), f.DesirablesAsked)), int64(f.DesirablesAsked)))
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

func (f Fit) closingScore() int {
	if f.ClosesAtUnixMs <= f.NowMs {
		return 0
	}
	left := f.ClosesAtUnixMs - f.NowMs
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
