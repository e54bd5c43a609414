package match_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/match"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

var printAdverts = flag.Bool("print-adverts", false, "print what TestAdverts finds instead of checking it")

// applicant is a profile as a candidate writes it, close to the advert's
// site and wanting its role family: only what the case turns on differs.
type applicant struct {
	name string
	// json is merged over the base profile.
	json string
	// want: eligible, with exactly these reasons; or not, with exactly
	// these misses, and nearMiss the one essential missing when there is one.
	eligible bool
	reasons  []string
	misses   []string
	nearMiss string
}

// TestAdverts matches candidates against six adverts worded as NHS trusts
// word them (testdata/adverts), each posted and profiled through the JSON
// the API takes, and checks who matches and exactly what they are told.
func TestAdverts(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 1, 4, 9, 0, 0, 0, jobs.London)
	for _, tt := range []struct {
		advert     string
		family     string
		applicants []applicant
	}{
		{"ebme-band5", "clinical_technologist", []applicant{
			{name: "working towards RCT, with an HND",
				reasons: []string{
					"band 5 is at or above your minimum band 2",
					"10 km from home, within your 25 km",
					"Essential met: Registered with the RCT, or working towards registration",
					"Essential met: HNC/HND in electronic or electrical engineering, or equivalent experience of 2 years",
					"Desirable not met: Engineering Council registration (EngTech)",
				},
				json: `{"qualifications": {"registrations": [{"register": "rct", "state": "working_towards", "expected_date": "2027-06-30"}],
					"awards": [{"award": "hnd", "subject": "electronic_engineering"}]}}`,
				eligible: true},
			{name: "eligible for RCT, HNC",
				reasons: []string{
					"band 5 is at or above your minimum band 2",
					"10 km from home, within your 25 km",
					"Essential met: Registered with the RCT, or working towards registration",
					"Essential met: HNC/HND in electronic or electrical engineering, or equivalent experience of 2 years",
					"Desirable not met: Engineering Council registration (EngTech)",
				},
				json:     `{"qualifications": {"registrations": [{"register": "rct", "state": "eligible"}], "awards": [{"award": "hnc"}]}}`,
				eligible: true},
			{name: "registered, three years of EBME instead of an HNC, EngTech",
				reasons: []string{
					"band 5 is at or above your minimum band 2",
					"10 km from home, within your 25 km",
					"Essential met: Registered with the RCT, or working towards registration",
					"Essential met: HNC/HND in electronic or electrical engineering, or equivalent experience of 2 years",
					"Desirable met: Engineering Council registration (EngTech)",
				},
				json: `{"qualifications": {"registrations": ["rct", "engtech"],
					"specialism_experience": [{"specialism": "equipment_management", "years": 3}]}}`,
				eligible: true},
			{name: "an HND but no RCT: the one essential missing",
				misses: []string{
					"essential: Essential not met: Registered with the RCT, or working towards registration",
				},
				json:     `{"qualifications": {"awards": [{"award": "hnd"}]}}`,
				nearMiss: "Essential not met: Registered with the RCT, or working towards registration"},
			{name: "wants part-time only",
				misses: []string{
					"hours: the working pattern is full-time or on call; you want part-time",
				},
				json: `{"working_patterns": ["part_time"], "qualifications": {"registrations": ["rct"], "awards": [{"award": "hnc"}]}}`},
		}},
		{"scientist-band6", "clinical_scientist", []applicant{
			{name: "HCPC, STP certificate, IPEM member",
				reasons: []string{
					"band 6 is at or above your minimum band 2",
					"10 km from home, within your 25 km",
					"HCPC registration held",
					"Essential met: STP certificate of attainment, or an MSc in clinical or biomedical engineering",
					"Desirable met: Membership of IPEM",
				},
				json:     `{"qualifications": {"registrations": ["hcpc"], "awards": [{"award": "stp_certificate", "subject": "medical_engineering"}], "ipem_membership": "member"}}`,
				eligible: true},
			{name: "HCPC, an MSc in biomedical engineering, not in IPEM",
				reasons: []string{
					"band 6 is at or above your minimum band 2",
					"10 km from home, within your 25 km",
					"HCPC registration held",
					"Essential met: STP certificate of attainment, or an MSc in clinical or biomedical engineering",
					"Desirable not met: Membership of IPEM",
				},
				json:     `{"qualifications": {"registrations": ["hcpc"], "awards": [{"award": "msc", "subject": "biomedical_engineering"}]}}`,
				eligible: true},
			{name: "final STP year: registration and certificate still to come",
				misses: []string{
					"registration: needs HCPC registration",
					"essential: Essential not met: STP certificate of attainment, or an MSc in clinical or biomedical engineering",
				},
				json: `{"qualifications": {"registrations": [{"register": "hcpc", "state": "working_towards", "expected_date": "2027-10-01"}],
					"awards": [{"award": "stp_certificate", "predicted": true}]}}`},
			{name: "HCPC, an MSc in physics: the one essential missing",
				misses: []string{
					"essential: Essential not met: STP certificate of attainment, or an MSc in clinical or biomedical engineering",
				},
				json:     `{"qualifications": {"registrations": ["hcpc"], "awards": [{"award": "msc", "subject": "physics"}]}}`,
				nearMiss: "Essential not met: STP certificate of attainment, or an MSc in clinical or biomedical engineering"},
		}},
		{"stp-direct-entry", "stp_trainee", []applicant{
			{name: "final year, predicted 2:1 in electronic engineering",
				reasons: []string{
					"band 6 is at or above your minimum band 2",
					"available by the start date, 2027-09-01",
					"10 km from home, within your 25 km",
					"Essential met: A 1st or 2:1 honours degree in a relevant subject, or a 2:2 plus a relevant higher degree",
				},
				json:     `{"available_from": "2027-07-01", "qualifications": {"degree": {"subject": "electronic_engineering", "class": "2:1", "predicted": true}}}`,
				eligible: true},
			{name: "2:2 in physics plus an MSc in biomedical engineering",
				reasons: []string{
					"band 6 is at or above your minimum band 2",
					"10 km from home, within your 25 km",
					"Essential met: A 1st or 2:1 honours degree in a relevant subject, or a 2:2 plus a relevant higher degree",
				},
				json:     `{"qualifications": {"degree": {"subject": "physics", "class": "2:2"}, "awards": [{"award": "msc", "subject": "biomedical_engineering"}]}}`,
				eligible: true},
			{name: "2:2 in mechanical engineering alone: the one essential missing",
				misses: []string{
					"essential: Essential not met: A 1st or 2:1 honours degree in a relevant subject, or a 2:2 plus a relevant higher degree",
				},
				json:     `{"qualifications": {"degree": {"subject": "mechanical_engineering", "class": "2:2"}}}`,
				nearMiss: "Essential not met: A 1st or 2:1 honours degree in a relevant subject, or a 2:2 plus a relevant higher degree"},
			{name: "a first, but available only after the September start",
				misses: []string{
					"start_date: starts 2027-09-01; you are available from 2027-10-01",
				},
				json: `{"available_from": "2027-10-01", "qualifications": {"degree": {"subject": "biomedical_engineering", "class": "first"}}}`},
		}},
		{"apprentice-band3", "apprentice", []applicant{
			{name: "GCSEs 5 and 4, A level physics predicted B",
				reasons: []string{
					"band 3 is at or above your minimum band 2",
					"10 km from home, within your 25 km",
					"Essential met: GCSE grade 4 (C) or above in mathematics and English",
					"Desirable met: A level physics (or predicted) at grade C or above",
				},
				json:     `{"qualifications": {"gcse_maths": 5, "gcse_english": 4, "level3": [{"qualification": "a_level", "a_level_subject": "physics", "grade": "B", "predicted": true}]}}`,
				eligible: true},
			{name: "GCSEs 4 and 4, a BTEC in engineering",
				reasons: []string{
					"band 3 is at or above your minimum band 2",
					"10 km from home, within your 25 km",
					"Essential met: GCSE grade 4 (C) or above in mathematics and English",
					"Desirable not met: A level physics (or predicted) at grade C or above",
				},
				json:     `{"qualifications": {"gcse_maths": 4, "gcse_english": 4, "level3": [{"qualification": "btec_extended_diploma", "a_level_subject": "other", "grade": "DMM"}]}}`,
				eligible: true},
			{name: "GCSE maths at 3: the one essential missing",
				misses: []string{
					"essential: Essential not met: GCSE grade 4 (C) or above in mathematics and English",
				},
				json:     `{"qualifications": {"gcse_maths": 3, "gcse_english": 6}}`,
				nearMiss: "Essential not met: GCSE grade 4 (C) or above in mathematics and English"},
		}},
		{"rehab-band7", "clinical_scientist", []applicant{
			{name: "HCPC, wheelchair service experience",
				reasons: []string{
					"band 7 is at or above your minimum band 2",
					"10 km from home, within your 25 km",
					"5 years' experience meets the 3-year requirement",
					"Essential met: HCPC registered Clinical Scientist, or a Chartered Engineer",
					"Desirable met: Experience of working in a wheelchair service",
				},
				json: `{"qualifications": {"registrations": ["hcpc"], "years_experience": 5,
					"specialism_experience": [{"specialism": "rehabilitation_engineering", "years": 2}]}}`,
				eligible: true},
			{name: "a Chartered Engineer without wheelchair experience",
				reasons: []string{
					"band 7 is at or above your minimum band 2",
					"10 km from home, within your 25 km",
					"4 years' experience meets the 3-year requirement",
					"Essential met: HCPC registered Clinical Scientist, or a Chartered Engineer",
					"Desirable not met: Experience of working in a wheelchair service",
				},
				json:     `{"qualifications": {"registrations": ["ceng"], "years_experience": 4}}`,
				eligible: true},
			{name: "wants more than the band pays",
				misses: []string{
					"salary: pays up to £54,710; your minimum is £60,000",
				},
				json: `{"min_salary": 60000, "qualifications": {"registrations": ["hcpc"], "years_experience": 5}}`},
			{name: "IEng only: the one essential missing",
				misses: []string{
					"essential: Essential not met: HCPC registered Clinical Scientist, or a Chartered Engineer",
				},
				json:     `{"qualifications": {"registrations": ["ieng"], "years_experience": 6}}`,
				nearMiss: "Essential not met: HCPC registered Clinical Scientist, or a Chartered Engineer"},
		}},
		{"head-ebme-band8a", "engineer", []applicant{
			{name: "CEng, a BEng 2:1, fifteen years",
				reasons: []string{
					"band 8a is at or above your minimum band 2",
					"10 km from home, within your 25 km",
					"CEng held, which meets the IEng requirement",
					"15 years' experience meets the 8-year requirement",
					"Essential met: A degree in engineering, or a qualification at degree level",
					"Desirable met: Chartered Engineer (CEng)",
				},
				json:     `{"qualifications": {"registrations": ["ceng"], "degree": {"subject": "electrical_engineering", "class": "2:1"}, "years_experience": 15}}`,
				eligible: true},
			{name: "IEng, a level 6 degree apprenticeship, ten years",
				reasons: []string{
					"band 8a is at or above your minimum band 2",
					"10 km from home, within your 25 km",
					"IEng registration held",
					"10 years' experience meets the 8-year requirement",
					"Essential met: A degree in engineering, or a qualification at degree level",
					"Desirable not met: Chartered Engineer (CEng)",
				},
				json: `{"qualifications": {"registrations": ["ieng", {"register": "ceng", "state": "working_towards"}], "years_experience": 10,
					"apprenticeships": [{"level": 6, "standard": "Embedded electronic systems design and development engineer"}]}}`,
				eligible: true},
			{name: "EngTech with a degree: the one essential missing",
				misses: []string{
					"registration: needs IEng registration",
				},
				json:     `{"qualifications": {"registrations": ["engtech"], "degree": {"subject": "mechanical_engineering", "class": "2:2"}, "years_experience": 12}}`,
				nearMiss: "needs IEng registration"},
		}},
	} {
		t.Run(tt.advert, func(t *testing.T) {
			t.Parallel()
			v := postAdvert(t, now, tt.advert)
			for _, a := range tt.applicants {
				c := profile(t, now, v, tt.family, a.json)
				r := match.Evaluate(c, v, now)
				var misses []string
				for _, m := range r.Misses {
					misses = append(misses, string(m.Rule)+": "+m.Reason)
				}
				near := ""
				if m, ok := match.NearMiss(r); ok {
					near = m.Reason
				}
				if *printAdverts {
					out, _ := json.Marshal(map[string]any{"advert": tt.advert, "name": a.name, "reasons": r.Reasons, "misses": misses, "score": r.Score})
					fmt.Println("ADVERT " + string(out))
					continue
				}
				if r.Eligible != a.eligible || near != a.nearMiss {
					t.Errorf("%s: eligible %v, near miss %q; want %v, %q (misses %q)", a.name, r.Eligible, near, a.eligible, a.nearMiss, misses)
				}
				if !reflect.DeepEqual(r.Reasons, a.reasons) || !reflect.DeepEqual(misses, a.misses) {
					t.Errorf("%s:\nreasons %q\nwant    %q\nmisses %q\nwant   %q", a.name, r.Reasons, a.reasons, misses, a.misses)
				}
			}
		})
	}
}

// postAdvert reads an advert from testdata and checks it as the API does.
func postAdvert(t *testing.T, now time.Time, name string) *eventsv1.Vacancy {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "adverts", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var in jobs.VacancyInput
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	v, err := in.Check(context.Background(), now, nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	v.Id, v.Status = name, eventsv1.VacancyStatus_VACANCY_STATUS_OPEN
	return v
}

// profile checks a candidate's profile as the API does: 10 km north of
// the advert's site, within 25 km, wanting its role family, with the
// fields of overlay over those.
func profile(t *testing.T, now time.Time, v *eventsv1.Vacancy, family, overlay string) *eventsv1.Candidate {
	t.Helper()
	loc := v.GetSite().GetLocation()
	base := map[string]any{
		"email":            "applicant@example.org",
		"home":             map[string]any{"latitude": loc.GetLatitude() + 10/111.195, "longitude": loc.GetLongitude()},
		"travel_radius_km": 25,
		"role_families":    []string{family},
	}
	var over map[string]any
	if err := json.Unmarshal([]byte(overlay), &over); err != nil {
		t.Fatalf("overlay %s: %v", overlay, err)
	}
	for k, val := range over {
		base[k] = val
	}
	b, _ := json.Marshal(base)
	var in jobs.CandidateInput
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	c, err := in.Check(context.Background(), now, nil)
	if err != nil {
		t.Fatalf("profile %s: %v", overlay, err)
	}
	c.Id = "applicant"
	return c
}
