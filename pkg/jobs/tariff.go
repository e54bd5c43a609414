package jobs

import (
	"strings"

	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// The UCAS tariff (the points universities and employers use to compare A
// levels with their equivalents), as UCAS publishes it for entry from 2017.
var (
	aLevelPoints         = map[string]int{"A*": 56, "A": 48, "B": 40, "C": 32, "D": 24, "E": 16}
	higherPoints         = map[string]int{"A": 33, "B": 27, "C": 21, "D": 15}
	advancedHigherPoints = map[string]int{"A": 56, "B": 48, "C": 40, "D": 32}
	btecLetterPoints     = map[string]int{"D*": 56, "D": 48, "M": 32, "P": 16}
	tLevelPoints         = map[string]int{"D*": 168, "D": 144, "M": 120, "P": 96}
	level3GradeExamples  = map[eventsv1.Level3Kind]string{
		eventsv1.Level3Kind_LEVEL3_KIND_A_LEVEL:               "A* to E",
		eventsv1.Level3Kind_LEVEL3_KIND_SCOTTISH_HIGHER:       "A to D",
		eventsv1.Level3Kind_LEVEL3_KIND_ADVANCED_HIGHER:       "A to D",
		eventsv1.Level3Kind_LEVEL3_KIND_BTEC_EXTENDED_DIPLOMA: "three of D*, D, M, P, such as D*DM",
		eventsv1.Level3Kind_LEVEL3_KIND_T_LEVEL:               "D*, D, M or P",
	}
)

// TariffPoints returns the UCAS tariff points of a level 3 qualification of
// kind with grade, and whether the grade is one that kind has.
func TariffPoints(kind eventsv1.Level3Kind, grade string) (int, bool) {
	g := strings.ToUpper(strings.TrimSpace(grade))
	var table map[string]int
	switch kind {
	case eventsv1.Level3Kind_LEVEL3_KIND_A_LEVEL:
		table = aLevelPoints
	case eventsv1.Level3Kind_LEVEL3_KIND_SCOTTISH_HIGHER:
		table = higherPoints
	case eventsv1.Level3Kind_LEVEL3_KIND_ADVANCED_HIGHER:
		table = advancedHigherPoints
	case eventsv1.Level3Kind_LEVEL3_KIND_T_LEVEL:
		table = tLevelPoints
	case eventsv1.Level3Kind_LEVEL3_KIND_BTEC_EXTENDED_DIPLOMA:
		total, letters := 0, 0
		for g != "" && letters < 4 {
			l := g[:1]
			if strings.HasPrefix(g, "D*") {
				l = "D*"
			}
			p, ok := btecLetterPoints[l]
			if !ok {
				return 0, false
			}
			total, letters, g = total+p, letters+1, g[len(l):]
		}
		return total, letters == 3 && g == ""
	default:
		return 0, false
	}
	p, ok := table[g]
	return p, ok
}
