package jobs

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/clinjobs/clinjobs/pkg/problem"
)

// checker collects every bad field of a document, so that a client hears of
// all of them in one answer.
type checker struct {
	errs []problem.FieldError
}

func (c *checker) add(field, format string, args ...any) {
	c.errs = append(c.errs, problem.FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
}

func (c *checker) err() error { return problem.Fields(c.errs) }

// text checks a free-text field: trimmed, between lo and hi characters, with
// no control characters but for line breaks and tabs where multiline.
func (c *checker) text(field, s string, lo, hi int, multiline bool) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case n < lo && lo == 1:
		c.add(field, "is required")
	case n < lo:
		c.add(field, "must be at least %d characters", lo)
	case n > hi:
		c.add(field, "must be at most %d characters", hi)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			c.add(field, "must not contain control characters")
			break
		}
	}
	return s
}

// enum parses a required or optional enum field.
func enumField[E Enum](c *checker, field, s string, required bool) E {
	var zero E
	if strings.TrimSpace(s) == "" {
		if required {
			c.add(field, "is required; one of %s", strings.Join(Names[E](), ", "))
		}
		return zero
	}
	v, ok := Parse[E](s)
	if !ok {
		c.add(field, "%q is not one of %s", s, strings.Join(Names[E](), ", "))
	}
	return v
}

// ParseList parses a request's list of enum names at field (a JSON
// Pointer), as a profile's or a vacancy's lists are: unknown names, repeats
// and lists longer than there are values are refused, each named.
func ParseList[E Enum](field string, names []string) ([]E, []problem.FieldError) {
	var c checker
	out := enumList[E](&c, field, names, false)
	return out, c.errs
}

// enumList parses a list of enum values, refusing repeats and overlong lists.
func enumList[E Enum](c *checker, field string, in []string, required bool) []E {
	if len(in) == 0 {
		if required {
			c.add(field, "must name at least one of %s", strings.Join(Names[E](), ", "))
		}
		return nil
	}
	if max := len(Names[E]()); len(in) > max {
		c.add(field, "has %d entries; there are only %d values", len(in), max)
		return nil
	}
	out := make([]E, 0, len(in))
	seen := map[E]bool{}
	for i, s := range in {
		v := enumField[E](c, fmt.Sprintf("%s/%d", field, i), s, true)
		if v == 0 {
			continue
		}
		if seen[v] {
			c.add(fmt.Sprintf("%s/%d", field, i), "%q is listed twice", s)
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}

func (c *checker) email(field, s string, required bool) string {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			c.add(field, "is required")
		}
		return ""
	}
	if len(s) > 254 {
		c.add(field, "must be at most 254 characters")
		return s
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		c.add(field, "is not an email address such as name@example.nhs.uk")
	}
	return s
}

func (c *checker) url(field, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	switch {
	case len(s) > 2048:
		c.add(field, "must be at most 2048 characters")
	case err != nil || !u.IsAbs() || u.Host == "":
		c.add(field, "is not an absolute URL")
	case u.Scheme != "https" && u.Scheme != "http":
		c.add(field, "must be an http or https URL")
	case u.User != nil:
		c.add(field, "must not carry credentials")
	}
	return s
}

// DateLayout is how dates are written: YYYY-MM-DD.
const DateLayout = "2006-01-02"

func (c *checker) date(field, s string, required bool) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			c.add(field, "is required (YYYY-MM-DD)")
		}
		return time.Time{}, false
	}
	d, err := time.ParseInLocation(DateLayout, s, London)
	if err != nil {
		c.add(field, "%q is not a date (YYYY-MM-DD)", s)
		return time.Time{}, false
	}
	return d, true
}
