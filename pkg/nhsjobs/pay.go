package nhsjobs

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	pounds = regexp.MustCompile(`£\s*([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?\s*(k\b)?`)
	// perHour marks a rate by the hour (bank posts), which is no yearly salary.
	perHour  = regexp.MustCompile(`(?i)per hour|an hour|/\s*hr|/\s*hour|hourly`)
	bandWord = regexp.MustCompile(`(?i)\bband\s*(8\s*[a-d]|[2-9])\b`)
)

// Salary reads a yearly salary range from the feed's words ("£38,682 to
// £46,580 a year", "£31,049 - £37,796 per annum pro rata", "£45k"): the
// lowest and highest amounts named, 0 and 0 for none, for an hourly rate
// or for words such as "Depending on experience".
func Salary(s string) (lo, hi int32) {
	if perHour.MatchString(s) {
		return 0, 0
	}
	for _, m := range pounds.FindAllStringSubmatch(s, -1) {
		n, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
		if err != nil || n > 1_000_000 {
			continue
		}
		if m[2] != "" {
			n *= 1000
		}
		if n < 1000 {
			continue
		}
		if lo == 0 || int32(n) < lo {
			lo = int32(n)
		}
		hi = max(hi, int32(n))
	}
	return lo, hi
}

// Band reads an Agenda for Change band ("Band 6", "band 8a") from the
// texts, in order; "" when none names one.
func Band(texts ...string) string {
	for _, t := range texts {
		if m := bandWord.FindStringSubmatch(t); m != nil {
			return strings.ToLower(strings.ReplaceAll(m[1], " ", ""))
		}
	}
	return ""
}
