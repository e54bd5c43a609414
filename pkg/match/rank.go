package match

import "strings"

// Ranked is one vacancy in a candidate's list of matches (or one candidate in
// a vacancy's): what the list is ordered by.
type Ranked struct {
	// ID is the vacancy's id (or the candidate's).
	ID string
	// Score is the match's [Result.Score].
	Score int
	// ClosesAtUnixMs is when the vacancy closes.
	ClosesAtUnixMs int64
}

// Less orders ranked matches: higher score first, then sooner closing, then
// ID ascending, so that ties are broken the same way every time. It is a
// strict weak order (indeed total on distinct (Score, ClosesAtUnixMs, ID)),
// fit for sort.Slice.
func Less(a, b Ranked) bool { return Compare(a, b) < 0 }

// Compare is [Less] as a three-way comparison for slices.SortFunc: negative
// when a comes first, positive when b does, 0 when they are the same.
func Compare(a, b Ranked) int {
	switch {
	case a.Score != b.Score:
		if a.Score > b.Score {
			return -1
		}
		return 1
	case a.ClosesAtUnixMs != b.ClosesAtUnixMs:
		if a.ClosesAtUnixMs < b.ClosesAtUnixMs {
			return -1
		}
		return 1
	}
	return strings.Compare(a.ID, b.ID)
}
