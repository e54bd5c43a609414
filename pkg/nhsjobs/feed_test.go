package nhsjobs_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clinjobs/clinjobs/pkg/nhsjobs"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	page := `<?xml version="1.0" encoding="UTF-8"?>
<nhsJobs>
  <totalPages>3</totalPages>
  <totalResults>21</totalResults>
  <vacancyDetails>
    <id>C9236-26-1457</id>
    <reference>245-CE-1457</reference>
    <title>  Clinical   Technologist </title>
    <description>Essential: RCT registration.</description>
    <employer>Example NHS Foundation Trust</employer>
    <type>Permanent</type>
    <salary>£38,682 to £46,580 a year</salary>
    <closeDate>2026-12-31</closeDate>
    <postDate>2026-12-01T09:30:00</postDate>
    <url>https://www.jobs.nhs.uk/candidate/jobadvert/C9236-26-1457</url>
    <locations><location>St Thomas' Hospital, SE1 7EH</location><location>Guy's Hospital</location></locations>
  </vacancyDetails>
  <vacancyDetails><title>no id: left out</title></vacancyDetails>
  <vacancyDetails><id>C1-2</id><locations><locations>Leeds</locations></locations></vacancyDetails>
</nhsJobs>`
	p, err := nhsjobs.Decode(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if p.TotalPages != 3 || p.TotalResults != 21 || len(p.Adverts) != 2 {
		t.Fatalf("page %+v", p)
	}
	a := p.Adverts[0]
	if a.ID != "C9236-26-1457" || a.Reference != "245-CE-1457" || a.Title != "Clinical Technologist" ||
		a.Employer != "Example NHS Foundation Trust" || a.ContractType != "Permanent" ||
		len(a.Locations) != 2 || a.Locations[0] != "St Thomas' Hospital, SE1 7EH" ||
		!a.Closing.Equal(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)) ||
		!a.Posted.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || a.URL == "" {
		t.Errorf("advert %+v", a)
	}
	if b := p.Adverts[1]; len(b.Locations) != 1 || b.Locations[0] != "Leeds" || !b.Closing.IsZero() {
		t.Errorf("nested locations, missing fields: %+v", b)
	}
}

func TestDecodeLatin1(t *testing.T) {
	t.Parallel()
	page := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><nhsJobs><totalPages>1</totalPages><vacancyDetails><id>A1</id>" +
		"<title>Renal Technologist \x96 Caf\xe9</title><salary>\xa331,049 a year</salary></vacancyDetails></nhsJobs>"
	p, err := nhsjobs.Decode(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if a := p.Adverts[0]; a.Title != "Renal Technologist – Café" || a.Salary != "£31,049 a year" {
		t.Errorf("advert %+v", a)
	}
}

func TestDecodeRefuses(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"not xml":      "<html><body>Service unavailable",
		"another feed": "<rss><channel></channel></rss>",
		"encoding":     `<?xml version="1.0" encoding="EBCDIC"?><nhsJobs/>`,
	} {
		if _, err := nhsjobs.Decode(strings.NewReader(doc)); err == nil {
			t.Errorf("%s: decoded", name)
		} else if name == "another feed" && !errors.Is(err, nhsjobs.ErrNotFeed) {
			t.Errorf("%s: %v, want ErrNotFeed", name, err)
		}
	}
}

func TestSalaryAndBand(t *testing.T) {
	t.Parallel()
	for s, want := range map[string][2]int32{
		"£38,682 to £46,580 a year":            {38682, 46580},
		"£31,049 - £37,796 per annum pro rata": {31049, 37796},
		"£45k":                                 {45000, 45000},
		"Depending on experience":              {0, 0},
		"£14.50 per hour":                      {0, 0},
	} {
		if lo, hi := nhsjobs.Salary(s); lo != want[0] || hi != want[1] {
			t.Errorf("Salary(%q) = %d, %d; want %v", s, lo, hi, want)
		}
	}
	if b := nhsjobs.Band("Clinical Technologist", "Band 8a, Agenda for Change"); b != "8a" {
		t.Errorf("band %q", b)
	}
}

// FuzzDecode: any bytes decode to a page or an error, never a panic, and
// every advert decoded has an id and text that is valid UTF-8.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`<nhsJobs><totalPages>1</totalPages><vacancyDetails><id>A</id><title>EBME</title><closeDate>2026-01-02</closeDate></vacancyDetails></nhsJobs>`))
	f.Add([]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><nhsJobs><vacancyDetails><id>\xe9</id></vacancyDetails></nhsJobs>"))
	f.Add([]byte(`<nhsJobs><vacancyDetails><id>B</id><locations><locations>x</locations></locations></vacancyDetails></nhsJobs>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := nhsjobs.Decode(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for _, a := range p.Adverts {
			if a.ID == "" {
				t.Fatalf("advert without an id: %+v", a)
			}
			for _, s := range append([]string{a.ID, a.Title, a.Description, a.Employer, a.Salary}, a.Locations...) {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 in %q", s)
				}
			}
			nhsjobs.Classify(a.Title, a.Description)
			nhsjobs.Infer(a.Description)
			nhsjobs.Salary(a.Salary)
		}
	})
}
