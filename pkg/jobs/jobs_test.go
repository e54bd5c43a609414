package jobs_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/problem"
	"github.com/clinjobs/clinjobs/pkg/strictjson"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// now is the clock of these tests: the example vacancy closes two months on.
var now = time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)

func gazetteer(t *testing.T) *geo.Gazetteer {
	t.Helper()
	g, err := geo.NewGazetteer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestEnumNames(t *testing.T) {
	t.Parallel()
	if got := strings.Join(jobs.Names[eventsv1.Band](), " "); got != "2 3 4 5 6 7 8a 8b 8c 8d 9" {
		t.Errorf("bands = %s", got)
	}
	if got := strings.Join(jobs.Names[eventsv1.DegreeClass](), " "); got != "third 2:2 2:1 first" {
		t.Errorf("degree classes = %s", got)
	}
	for _, name := range jobs.Names[eventsv1.RoleFamily]() {
		v, ok := jobs.Parse[eventsv1.RoleFamily](name)
		if !ok || jobs.Name(v) != name {
			t.Errorf("role family %q does not round-trip", name)
		}
	}
	if v, ok := jobs.Parse[eventsv1.DegreeClass]("upper_second"); !ok || jobs.Name(v) != "2:1" {
		t.Errorf("upper_second parses to %v %v", v, ok)
	}
	for _, bad := range []string{"", "unspecified", "band_5", "10"} {
		if _, ok := jobs.Parse[eventsv1.Band](bad); ok {
			t.Errorf("band %q parsed", bad)
		}
	}
}

func TestVacancyExample(t *testing.T) {
	t.Parallel()
	var in jobs.VacancyInput
	if err := strictjson.Decode(readExample(t, "vacancy.json"), &in); err != nil {
		t.Fatal(err)
	}
	v, err := in.Check(context.Background(), now, gazetteer(t))
	if err != nil {
		t.Fatal(err)
	}
	if v.GetBand() != eventsv1.Band_BAND_5 || v.GetRequirements().GetMinDegreeClass() != eventsv1.DegreeClass_DEGREE_CLASS_LOWER_SECOND {
		t.Errorf("vacancy %v", v)
	}
	// 31 January 2027 ends at midnight London time (GMT in winter).
	if want := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC).UnixMilli(); v.GetClosesAtUnixMs() != want {
		t.Errorf("closes at %v, want %v", time.UnixMilli(v.GetClosesAtUnixMs()).UTC(), time.UnixMilli(want).UTC())
	}
	view := jobs.ViewVacancy(v)
	if view.Band != "5" || view.Requirements.Degree.MinClass != "2:2" || view.Salary.Currency != "GBP" {
		t.Errorf("view %+v", view)
	}
}

func TestVacancyFieldErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(in *jobs.VacancyInput)
		field string
	}{
		{"unknown band", func(in *jobs.VacancyInput) { in.Band = "10" }, "/band"},
		{"salary upside down", func(in *jobs.VacancyInput) { in.Salary = &jobs.SalaryInput{Min: 40000, Max: 30000} }, "/salary"},
		{"salary missing", func(in *jobs.VacancyInput) { in.Salary = nil }, "/salary"},
		{"closing passed", func(in *jobs.VacancyInput) { in.ClosingDate = "2026-11-25" }, "/closing_date"},
		{"closing far", func(in *jobs.VacancyInput) { in.ClosingDate = "2031-01-01" }, "/closing_date"},
		{"closing not a date", func(in *jobs.VacancyInput) { in.ClosingDate = "31/01/2027" }, "/closing_date"},
		{"start before closing", func(in *jobs.VacancyInput) { in.StartDate = "2027-01-01" }, "/start_date"},
		{"title too long", func(in *jobs.VacancyInput) { in.Title = strings.Repeat("x", 201) }, "/title"},
		{"control characters", func(in *jobs.VacancyInput) { in.Title = "Band 5\x07 post" }, "/title"},
		{"bad reference", func(in *jobs.VacancyInput) { in.Reference = "has space" }, "/reference"},
		{"repeated specialism", func(in *jobs.VacancyInput) { in.Specialisms = []string{"renal", "renal"} }, "/specialisms/1"},
		{"unknown registration", func(in *jobs.VacancyInput) {
			in.Requirements.Registrations = []string{"gmc"}
		}, "/requirements/registrations/0"},
		{"site outside UK", func(in *jobs.VacancyInput) {
			lat, lon := 48.85, 2.35
			in.Site.PlaceInput = jobs.PlaceInput{Latitude: &lat, Longitude: &lon}
		}, "/site"},
		{"bad postcode", func(in *jobs.VacancyInput) { in.Site.PlaceInput = jobs.PlaceInput{Postcode: "SE1-7EH"} }, "/site/postcode"},
		{"unknown postcode area", func(in *jobs.VacancyInput) { in.Site.PlaceInput = jobs.PlaceInput{Postcode: "QQ1 1AA"} }, "/site/postcode"},
		{"no way to apply", func(in *jobs.VacancyInput) { in.Apply = &jobs.ApplyInput{} }, "/apply"},
		{"ftp apply url", func(in *jobs.VacancyInput) { in.Apply.URL = "ftp://example.org/x" }, "/apply/url"},
		{"bad apply email", func(in *jobs.VacancyInput) { in.Apply.Email = "Jo <jo@example.org>" }, "/apply/email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var in jobs.VacancyInput
			if err := strictjson.Decode(readExample(t, "vacancy.json"), &in); err != nil {
				t.Fatal(err)
			}
			tt.edit(&in)
			_, err := in.Check(context.Background(), now, gazetteer(t))
			d := problem.DetailsOf(err)
			if d.Status != 422 {
				t.Fatalf("status %d (%v), want 422", d.Status, err)
			}
			for _, f := range d.Errors {
				if f.Field == tt.field {
					return
				}
			}
			t.Errorf("errors %+v do not name %s", d.Errors, tt.field)
		})
	}
}

// TestAvailableFromWithinThreeYears: a date in the recent past says
// "available now" and stands; three years either side is the limit.
func TestAvailableFromWithinThreeYears(t *testing.T) {
	t.Parallel()
	for date, ok := range map[string]bool{
		"2026-01-05": true, "2023-12-01": true, "2029-11-01": true,
		"2023-11-01": false, "2029-12-31": false, "1066-10-14": false, "9999-12-31": false,
	} {
		var in jobs.CandidateInput
		if err := strictjson.Decode(readExample(t, "candidate.json"), &in); err != nil {
			t.Fatal(err)
		}
		in.AvailableFrom = date
		c, err := in.Check(context.Background(), now, gazetteer(t))
		if ok && (err != nil || c.GetAvailableFrom() != date) {
			t.Errorf("available from %s: %v, want accepted", date, err)
		}
		if !ok && problem.DetailsOf(err).Status != 422 {
			t.Errorf("available from %s: %v, want 422", date, err)
		}
	}
}

func TestPostcodeResolved(t *testing.T) {
	t.Parallel()
	var in jobs.CandidateInput
	if err := strictjson.Decode(readExample(t, "candidate.json"), &in); err != nil {
		t.Fatal(err)
	}
	in.Home = &jobs.PlaceInput{Postcode: "m13 9wl"}
	c, err := in.Check(context.Background(), now, gazetteer(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.GetHome().GetPostcode() != "M13 9WL" || !geo.InUK(geo.Point{Lat: c.GetHome().GetLatitude(), Lon: c.GetHome().GetLongitude()}) {
		t.Errorf("home %v", c.GetHome())
	}
}

func TestCandidateFieldErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(in *jobs.CandidateInput)
		field string
	}{
		{"no email", func(in *jobs.CandidateInput) { in.Email = "" }, "/email"},
		{"no role families", func(in *jobs.CandidateInput) { in.RoleFamilies = nil }, "/role_families"},
		{"radius too large", func(in *jobs.CandidateInput) { in.TravelRadiusKm = 5000 }, "/travel_radius_km"},
		{"no radius and staying", func(in *jobs.CandidateInput) { in.TravelRadiusKm = 0 }, "/travel_radius_km"},
		{"no home", func(in *jobs.CandidateInput) { in.Home = nil }, "/home"},
		{"half a point", func(in *jobs.CandidateInput) { in.Home = &jobs.PlaceInput{Latitude: in.Home.Latitude} }, "/home"},
		{"degree class unknown", func(in *jobs.CandidateInput) { in.Qualifications.Degree.Class = "2:3" }, "/qualifications/degree/class"},
		{"negative experience", func(in *jobs.CandidateInput) { in.Qualifications.YearsExperience = -1 }, "/qualifications/years_experience"},
		{"available years ahead", func(in *jobs.CandidateInput) { in.AvailableFrom = "2030-01-01" }, "/available_from"},
		{"available since long ago", func(in *jobs.CandidateInput) { in.AvailableFrom = "2023-06-01" }, "/available_from"},
		{"available since year 1", func(in *jobs.CandidateInput) { in.AvailableFrom = "0001-01-01" }, "/available_from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var in jobs.CandidateInput
			if err := strictjson.Decode(readExample(t, "candidate.json"), &in); err != nil {
				t.Fatal(err)
			}
			tt.edit(&in)
			_, err := in.Check(context.Background(), now, gazetteer(t))
			d := problem.DetailsOf(err)
			if d.Status != 422 {
				t.Fatalf("status %d (%v), want 422", d.Status, err)
			}
			for _, f := range d.Errors {
				if f.Field == tt.field {
					return
				}
			}
			t.Errorf("errors %+v do not name %s", d.Errors, tt.field)
		})
	}
}

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantField  string
	}{
		{"unknown field", `{"email":"a@b.co","colour":"blue"}`, 422, "/colour"},
		{"wrong type", `{"email":"a@b.co","travel_radius_km":"far"}`, 422, "/travel_radius_km"},
		{"out of range", `{"travel_radius_km":99999999999}`, 422, "/travel_radius_km"},
		{"fraction", `{"travel_radius_km":1.5}`, 422, "/travel_radius_km"},
		{"nested wrong type", `{"qualifications":{"degree":{"class":2}}}`, 422, "/qualifications/degree/class"},
		{"trailing data", `{"email":"a@b.co"} {"email":"c@d.co"}`, 400, ""},
		{"trailing garbage", `{"email":"a@b.co"}x`, 400, ""},
		{"invalid UTF-8", "{\"name\":\"\xff\xfe\"}", 400, ""},
		{"deep nesting", `{"specialisms":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, 400, ""},
		{"empty", ``, 400, ""},
		{"null", ` null `, 422, ""},
		{"null twice", `null null`, 400, ""},
		{"truncated", `{"email":`, 400, ""},
		{"not JSON", `email=a@b.co`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var in jobs.CandidateInput
			d := problem.DetailsOf(strictjson.Decode([]byte(tt.body), &in))
			if d.Status != tt.wantStatus {
				t.Fatalf("status %d (%s), want %d", d.Status, d.Detail, tt.wantStatus)
			}
			if tt.wantField != "" && (len(d.Errors) == 0 || d.Errors[0].Field != tt.wantField) {
				t.Errorf("errors %+v, want field %s", d.Errors, tt.wantField)
			}
		})
	}
}

func FuzzDecodeVacancy(f *testing.F) {
	f.Add(string(mustRead(f, "vacancy.json")))
	f.Add(`{"band":"8a","salary":{"min":1,"max":2}}`)
	f.Add(`[]`)
	f.Add(`{"site":{"latitude":1e400}}`)
	g, err := geo.NewGazetteer(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in jobs.VacancyInput
		err := strictjson.Decode([]byte(body), &in)
		if err != nil {
			if k := problem.KindOf(err); k != problem.Malformed && k != problem.Invalid {
				t.Fatalf("decode error of kind %s: %v", k, err)
			}
			return
		}
		v, err := in.Check(context.Background(), now, g)
		if err != nil {
			if k := problem.KindOf(err); k != problem.Invalid {
				t.Fatalf("check error of kind %s: %v", k, err)
			}
			return
		}
		// Whatever passes is a vacancy the rest of the system can rely on.
		if v.GetBand() == 0 || v.GetRoleFamily() == 0 || v.GetSalaryMin() > v.GetSalaryMax() || v.GetClosesAtUnixMs() <= now.UnixMilli() {
			t.Fatalf("accepted an inconsistent vacancy: %v", v)
		}
		if !geo.InUK(geo.Point{Lat: v.GetSite().GetLocation().GetLatitude(), Lon: v.GetSite().GetLocation().GetLongitude()}) {
			t.Fatalf("accepted a site outside the UK: %v", v.GetSite())
		}
	})
}

func mustRead(f *testing.F, name string) []byte {
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	return data
}
