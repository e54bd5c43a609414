// Package nhsjobs reads NHS Jobs' public XML search feed
// (https://www.jobs.nhs.uk/api/v1/search_xml) and judges its adverts: a
// decoder of the feed's pages, a classifier that picks the clinical
// engineering adverts out of all the NHS's, and the reading of
// requirements from an advert's words. It does no I/O of its own and
// depends on nothing outside the standard library, so that its fuzz
// target builds quickly.
//
// # The feed
//
// A page is an nhsJobs element holding totalPages, totalResults and one
// vacancyDetails element an advert: id (the advert's own, such as
// C9236-26-1457), reference (the employer's), title, description,
// employer, locations (location elements; some pages nest locations in
// locations), salary (words: "£38,682 to £46,580 a year"), type (the
// contract: Permanent, Fixed term...), workingPattern when given,
// postDate, closeDate and url (the advert, where candidates apply). The
// query takes keyword, location, distance, staffGroup, contractType,
// sort, limit and page (from 1). Every element may be missing; a page may
// declare another encoding than UTF-8 (ISO-8859-1 and Windows-1252 are
// read).
package nhsjobs

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Page is one page of the feed.
type Page struct {
	// TotalPages is how many pages the query has; 0 when the feed did not say.
	TotalPages int
	// TotalResults is how many adverts the query found in all.
	TotalResults int
	Adverts      []Advert
}

// Advert is one vacancy as the feed gives it. Text fields are trimmed;
// missing ones are empty.
type Advert struct {
	ID             string
	Reference      string
	Title          string
	Description    string
	Employer       string
	Locations      []string
	Salary         string
	ContractType   string
	WorkingPattern string
	// Posted and Closing are the dates given, as days (midnight UTC); zero
	// when missing or unreadable.
	Posted, Closing time.Time
	URL             string
}

type xmlPage struct {
	TotalPages   string      `xml:"totalPages"`
	TotalResults string      `xml:"totalResults"`
	Vacancies    []xmlAdvert `xml:"vacancyDetails"`
}

type xmlAdvert struct {
	ID             string   `xml:"id"`
	Reference      string   `xml:"reference"`
	Title          string   `xml:"title"`
	Description    string   `xml:"description"`
	Employer       string   `xml:"employer"`
	Locations      []string `xml:"locations>location"`
	NestedLocs     []string `xml:"locations>locations"`
	Location       string   `xml:"location"`
	Salary         string   `xml:"salary"`
	Type           string   `xml:"type"`
	WorkingPattern string   `xml:"workingPattern"`
	PostDate       string   `xml:"postDate"`
	CloseDate      string   `xml:"closeDate"`
	URL            string   `xml:"url"`
}

// MaxPageBytes bounds a page read: a page of 100 adverts with their
// descriptions is well under it.
const MaxPageBytes = 16 << 20

// ErrNotFeed is returned for a document that is not a page of the feed.
var ErrNotFeed = errors.New("not an NHS Jobs search feed page")

// Decode reads one page of the feed. An advert without an id is left out
// (nothing could name it again); a page with neither totals nor adverts is
// ErrNotFeed.
func Decode(r io.Reader) (*Page, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read feed page: %w", err)
	}
	if len(data) > MaxPageBytes {
		return nil, fmt.Errorf("feed page larger than %d bytes", MaxPageBytes)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charsetReader
	var raw xmlPage
	if err := d.Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode feed page: %w", err)
	}
	p := &Page{TotalPages: count(raw.TotalPages), TotalResults: count(raw.TotalResults)}
	if strings.TrimSpace(raw.TotalPages) == "" && strings.TrimSpace(raw.TotalResults) == "" && len(raw.Vacancies) == 0 {
		return nil, ErrNotFeed
	}
	for _, x := range raw.Vacancies {
		a := Advert{
			ID:             clean(x.ID),
			Reference:      clean(x.Reference),
			Title:          clean(x.Title),
			Description:    strings.TrimSpace(validUTF8(x.Description)),
			Employer:       clean(x.Employer),
			Salary:         clean(x.Salary),
			ContractType:   clean(x.Type),
			WorkingPattern: clean(x.WorkingPattern),
			Posted:         ParseDate(x.PostDate),
			Closing:        ParseDate(x.CloseDate),
			URL:            clean(x.URL),
		}
		if a.ID == "" {
			continue
		}
		for _, l := range append(append(x.Locations, x.NestedLocs...), x.Location) {
			if l = clean(l); l != "" {
				a.Locations = append(a.Locations, l)
			}
		}
		p.Adverts = append(p.Adverts, a)
	}
	return p, nil
}

// count reads a non-negative count; anything else is 0.
func count(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// clean trims a one-line field and folds its runs of white space.
func clean(s string) string { return strings.Join(strings.Fields(validUTF8(s)), " ") }

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// dateLayouts are the ways the feed has been seen and documented to write
// a date.
var dateLayouts = []string{
	"2006-01-02", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04:05.000", "2006-01-02 15:04:05",
	"02/01/2006", "2 January 2006", "2 Jan 2006", "Mon, 02 Jan 2006 15:04:05 MST",
}

// ParseDate reads a date of the feed as a day (midnight UTC); zero when it
// reads as none.
func ParseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			y, m, d := t.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
	}
	return time.Time{}
}

// charsetReader reads the encodings other than UTF-8 the feed may
// declare: ISO-8859-1 (Latin-1) and Windows-1252, its superset in practice
// (a page declaring Latin-1 often holds Windows-1252's curly quotes and
// pound signs), both read as Windows-1252.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "windows-1252", "cp1252", "iso-8859-15", "latin9":
		data, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		return strings.NewReader(decode1252(data)), nil
	}
	return nil, fmt.Errorf("feed encoding %q is not read", label)
}

// cp1252 maps the bytes 0x80 to 0x9F of Windows-1252 to their runes (the
// rest of the range is Latin-1's own); 0 marks a byte with none.
var cp1252 = [32]rune{
	'€', 0, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0, 'Ž', 0,
	0, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0, 'ž', 'Ÿ',
}

func decode1252(data []byte) string {
	var b strings.Builder
	b.Grow(len(data) + len(data)/8)
	for _, c := range data {
		switch {
		case c < 0x80:
			b.WriteByte(c)
		case c < 0xA0:
			if r := cp1252[c-0x80]; r != 0 {
				b.WriteRune(r)
			} else {
				b.WriteRune(utf8.RuneError)
			}
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}
