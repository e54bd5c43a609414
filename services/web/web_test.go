package web

import (
	"io/fs"
	"regexp"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/web/internal/catalog"
)

// TestEveryKeyIsWritten holds the catalogue to the templates and the
// enums: every key a template names, and every enum value a page labels,
// has English words (a missing one would show as [key]).
func TestEveryKeyIsWritten(t *testing.T) {
	t.Parallel()
	msg, err := catalog.New("en")
	if err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile(`\{\{-? ?t "([a-z_.]+)"`)
	err = fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(templateFiles, path)
		for _, m := range keys.FindAllSubmatch(data, -1) {
			if !msg.Has(string(m[1])) {
				t.Errorf("%s: %s is not in the catalogue", path, m[1])
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	enums := map[string][]string{
		"role_family": jobs.Names[eventsv1.RoleFamily](), "specialism": jobs.Names[eventsv1.Specialism](),
		"setting": jobs.Names[eventsv1.Setting](), "contract": jobs.Names[eventsv1.Contract](),
		"working_pattern": jobs.Names[eventsv1.WorkingPattern](), "staff_group": jobs.Names[eventsv1.StaffGroup](),
		"visa_sponsorship": jobs.Names[eventsv1.VisaSponsorship](), "dbs_check": jobs.Names[eventsv1.DbsCheck](),
		"welsh_language": jobs.Names[eventsv1.WelshLanguage](), "high_cost_area": jobs.Names[eventsv1.HighCostArea](),
		"pay_scale": jobs.Names[eventsv1.PayScale](), "register": jobs.Names[eventsv1.Registration](),
	}
	for kind, names := range enums {
		for _, n := range names {
			if !msg.Has(kind + "." + n) {
				t.Errorf("%s.%s is not in the catalogue", kind, n)
			}
		}
	}
	for _, p := range careerPaths {
		for _, k := range []string{"title", "summary", "s1", "s2", "s3"} {
			if !msg.Has("careers." + p.Slug + "." + k) {
				t.Errorf("careers.%s.%s is not in the catalogue", p.Slug, k)
			}
		}
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		got, want string
	}{
		{money(31049), "£31,049"}, {money(100000), "£100,000"}, {money(999), "£999"},
		{formatDate("2026-12-07"), "7 December 2026"}, {formatDate("not a date"), "not a date"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	s := &Service{now: func() time.Time { return time.Date(2026, 12, 7, 23, 59, 0, 0, time.UTC) }}
	for date, want := range map[string]int{"2026-12-07": 0, "2026-12-08": 1, "2027-01-06": 30, "2026-12-01": -6} {
		if got := s.daysLeft(date); got != want {
			t.Errorf("daysLeft(%s) on 7 December = %d, want %d", date, got, want)
		}
	}
}

// TestMapPlacesSites checks the projection: London is east of and below
// Glasgow, and a site outside the frame is left off the map.
func TestMapPlacesSites(t *testing.T) {
	t.Parallel()
	site := func(lat, lon float64) jobs.SiteView {
		return jobs.SiteView{PlaceView: jobs.PlaceView{Latitude: lat, Longitude: lon}}
	}
	m := drawMap([]jobs.SiteView{site(51.5, -0.12), site(55.86, -4.25), site(40.4, -3.7)})
	if len(m.Pins) != 2 {
		t.Fatalf("%d pins, want 2 (Madrid is off the map)", len(m.Pins))
	}
	london, glasgow := m.Pins[0], m.Pins[1]
	if london.X <= glasgow.X || london.Y <= glasgow.Y {
		t.Errorf("London at %v, Glasgow at %v: London should be right of and below Glasgow", london, glasgow)
	}
	if london.X < 0 || london.X > m.Width || london.Y < 0 || london.Y > m.Height {
		t.Errorf("London at %v is outside the %gx%g map", london, m.Width, m.Height)
	}
}
