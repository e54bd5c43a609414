package jobs_test

import (
	"encoding/hex"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/jobs"
	"github.com/clinjobs/clinjobs/pkg/match"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// Records as the code before requirement groups and registration states
// wrote them to the candidates and vacancies buckets: a clinical scientist
// "registered" with HCPC and IPEM, holding an MSc, wanting full-time work;
// a part-time post asking HCPC and IPEM "registration" and an MSc.
const (
	oldCandidateChanged = "080112460a05632d6f6c64120f6f6c64406578616d706c652e6f726722120985eb51b81ee54a40119a999999999905c0281e3a010248055a0101620e1204080710032001320201033804"
	oldVacancyChanged   = "080112700a05762d6f6c642212436c696e6963616c20536369656e746973743002480650c4e80258c99c036001680272230a0d526f79616c2050726573746f6e12120985eb51b81ee54a40119a999999999905c07a063001420201038a010a323032362d31322d3331a00101a801ffa7aff4ac34"
)

func decodeOld[M proto.Message](t *testing.T, hexed string, m M) M {
	t.Helper()
	b, err := hex.DecodeString(hexed)
	if err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatalf("an old record no longer decodes: %v", err)
	}
	return m
}

// TestOldRecordsRead: stored records from before still decode, read in the
// current shape (IPEM as membership, not a register; the MSc as an award;
// hours as a working pattern), and match as they should.
func TestOldRecordsRead(t *testing.T) {
	t.Parallel()
	c := decodeOld(t, oldCandidateChanged, &eventsv1.CandidateChanged{}).GetCandidate()
	v := decodeOld(t, oldVacancyChanged, &eventsv1.VacancyChanged{}).GetVacancy()

	cv := jobs.ViewCandidate(c)
	if want := []jobs.RegistrationInput{{Register: "hcpc", State: "registered"}}; !reflect.DeepEqual(cv.Qualifications.Registrations, want) {
		t.Errorf("registrations %+v, want %+v", cv.Qualifications.Registrations, want)
	}
	if cv.Qualifications.IPEMMembership != "member" {
		t.Errorf("ipem_membership %q, want member", cv.Qualifications.IPEMMembership)
	}
	if want := []jobs.AwardInput{{Award: "msc"}}; !reflect.DeepEqual(cv.Qualifications.Awards, want) {
		t.Errorf("awards %+v, want %+v", cv.Qualifications.Awards, want)
	}
	if !reflect.DeepEqual(cv.WorkingPatterns, []string{"full_time"}) || !reflect.DeepEqual(cv.Hours, []string{"full_time"}) {
		t.Errorf("working patterns %q, hours %q; want full_time", cv.WorkingPatterns, cv.Hours)
	}

	vv := jobs.ViewVacancy(v)
	if !reflect.DeepEqual(vv.Requirements.Registrations, []string{"hcpc"}) {
		t.Errorf("vacancy registrations %q, want hcpc alone", vv.Requirements.Registrations)
	}
	wantGroup := []jobs.GroupInput{{AnyOf: [][]jobs.ConditionInput{{{Kind: "membership", Membership: "member", Subjects: []string{}, ALevelSubjects: []string{}}}}}}
	if !reflect.DeepEqual(vv.Requirements.Essential, wantGroup) {
		t.Errorf("vacancy essential %+v, want IPEM membership", vv.Requirements.Essential)
	}
	if !reflect.DeepEqual(vv.WorkingPatterns, []string{"part_time"}) {
		t.Errorf("vacancy working patterns %q, want part_time", vv.WorkingPatterns)
	}

	// The upgrade copies: the records read stay as stored.
	if len(c.GetQualifications().GetRegistrations()) != 2 || len(v.GetRequirements().GetRegistrations()) != 2 {
		t.Error("reading a record changed it")
	}

	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	r := match.Evaluate(c, v, now)
	if r.Eligible || len(r.Misses) != 1 || r.Misses[0].Rule != match.RuleHours {
		t.Fatalf("old full-time candidate and part-time vacancy: %+v; want only the working pattern missed", r)
	}
	c.Hours = nil
	r = match.Evaluate(c, v, now)
	want := []string{"band 7 is at or above your minimum band 6", "0 km from home, within your 30 km", "MSc held", "HCPC registration held",
		"Essential met: IPEM membership (member or above)"}
	if !r.Eligible || !reflect.DeepEqual(r.Reasons, want) {
		t.Fatalf("old records: eligible %v, reasons %q, misses %+v; want reasons %q", r.Eligible, r.Reasons, r.Misses, want)
	}
}
