package geo

import (
	"errors"
	"strings"
)

// Postcode is a UK postcode in its normal form: upper case, one space
// between the outward code (such as SE1) and the inward code (such as 7EH).
type Postcode string

// Outward returns the outward code (the district), such as "SE1".
func (p Postcode) Outward() string {
	out, _, _ := strings.Cut(string(p), " ")
	return out
}

// Area returns the postcode area, the leading letters, such as "SE".
func (p Postcode) Area() string {
	s := string(p)
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		i++
	}
	return s[:i]
}

// ErrPostcodeFormat is returned for a string that cannot be a UK postcode.
var ErrPostcodeFormat = errors.New("not a UK postcode (such as SE1 7EH)")

// ParsePostcode checks the format of a UK postcode and returns its normal
// form. Spaces and case are forgiven; the shape is not. The accepted shapes
// are those of the Royal Mail: outward code A9, A99, AA9, AA99, A9A or AA9A,
// then an inward code 9AA, plus the special GIR 0AA.
func ParsePostcode(s string) (Postcode, error) {
	if len(s) > 16 {
		return "", ErrPostcodeFormat
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t':
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "", ErrPostcodeFormat
		}
	}
	c := b.String()
	if c == "GIR0AA" {
		return "GIR 0AA", nil
	}
	if len(c) < 5 || len(c) > 7 {
		return "", ErrPostcodeFormat
	}
	out, in := c[:len(c)-3], c[len(c)-3:]
	if !isDigit(in[0]) || !isLetter(in[1]) || !isLetter(in[2]) {
		return "", ErrPostcodeFormat
	}
	if !validOutward(out) {
		return "", ErrPostcodeFormat
	}
	return Postcode(out + " " + in), nil
}

// ParseOutward checks a bare outward code (district), such as "SE1".
func ParseOutward(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if !validOutward(s) {
		return "", ErrPostcodeFormat
	}
	return s, nil
}

func validOutward(o string) bool {
	switch len(o) {
	case 2: // A9
		return isLetter(o[0]) && isDigit(o[1])
	case 3: // A99, AA9, A9A
		return isLetter(o[0]) && (isDigit(o[1]) && (isDigit(o[2]) || isLetter(o[2])) ||
			isLetter(o[1]) && isDigit(o[2]))
	case 4: // AA99, AA9A
		return isLetter(o[0]) && isLetter(o[1]) && isDigit(o[2]) && (isDigit(o[3]) || isLetter(o[3]))
	}
	return false
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
