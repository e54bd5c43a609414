package pgmatch_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/bench/pgmatch"
	"github.com/clinjobs/clinjobs/pkg/match/index"
	"github.com/clinjobs/clinjobs/pkg/match/matchtest"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func candidate(r *rand.Rand, i int) *eventsv1.Candidate {
	c := &eventsv1.Candidate{
		Id:                fmt.Sprintf("c%04d", i),
		Home:              &eventsv1.Location{Latitude: 53.4 + r.Float64()*0.3, Longitude: -1.6 + r.Float64()*0.4},
		TravelRadiusKm:    int32(5 + r.IntN(40)),
		WillingToRelocate: r.IntN(15) == 0,
		RoleFamilies:      []eventsv1.RoleFamily{eventsv1.RoleFamily(1 + r.IntN(5))},
		MinBand:           eventsv1.Band(r.IntN(6)),
		Qualifications: &eventsv1.Qualifications{
			YearsExperience: int32(r.IntN(12)),
			Registrations:   []eventsv1.Registration{eventsv1.Registration(1 + r.IntN(5))},
		},
	}
	if r.IntN(2) == 0 {
		c.Qualifications.Degree = &eventsv1.Degree{Subject: eventsv1.DegreeSubject(1 + r.IntN(10)), Class: eventsv1.DegreeClass(1 + r.IntN(4))}
	}
	return matchtest.Candidate(r, c)
}

func vacancy(r *rand.Rand, i int, near *eventsv1.Candidate) *eventsv1.Vacancy {
	v := &eventsv1.Vacancy{
		Id:             fmt.Sprintf("v%04d", i),
		RoleFamily:     near.GetRoleFamilies()[0],
		Band:           eventsv1.Band(5 + r.IntN(6)),
		Contract:       eventsv1.Contract(1 + r.IntN(4)),
		Hours:          eventsv1.Hours(1 + r.IntN(2)),
		Site:           &eventsv1.Site{Location: &eventsv1.Location{Latitude: 53.4 + r.Float64()*0.3, Longitude: -1.6 + r.Float64()*0.4}},
		Status:         eventsv1.VacancyStatus_VACANCY_STATUS_OPEN,
		ClosesAtUnixMs: now.Add(time.Duration(1+r.IntN(40)) * 24 * time.Hour).UnixMilli(),
		Requirements:   &eventsv1.Requirements{MinYearsExperience: int32(r.IntN(3))},
	}
	if r.IntN(3) == 0 {
		v.Requirements.Registrations = []eventsv1.Registration{eventsv1.Registration(1 + r.IntN(5))}
	}
	return matchtest.Vacancy(r, v, near)
}

func ids(hits []index.Hit) []string {
	out := make([]string, 0, len(hits))
	for _, h := range hits {
		out = append(out, h.ID)
	}
	slices.Sort(out)
	return out
}

// TestAgreesWithReference: PostgreSQL, given generated candidates and
// vacancies in the current shape (essential groups of alternatives, every
// registration state, predicted grades, IPEM records of before, working
// patterns, settings, salaries, start dates), finds the same sets as the
// reference matcher, both ways.
func TestAgreesWithReference(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := pgmatch.Start(ctx)
	if err != nil {
		t.Fatalf("start PostgreSQL (make deps installs it): %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	r := rand.New(rand.NewPCG(13, 0xAD))
	ref := index.NewReference()
	var cands []*eventsv1.Candidate
	for i := range 600 {
		c := candidate(r, i)
		cands = append(cands, c)
		ref.PutCandidate(c)
	}
	var vacs []*eventsv1.Vacancy
	for i := range 200 {
		v := vacancy(r, i, cands[r.IntN(len(cands))])
		vacs = append(vacs, v)
		ref.PutVacancy(v)
	}
	if err := srv.Load(ctx, cands, vacs); err != nil {
		t.Fatal(err)
	}
	matched, grouped := 0, 0
	for _, v := range vacs {
		got, err := srv.MatchVacancy(ctx, v, now)
		if err != nil {
			t.Fatalf("vacancy %s: %v", v.GetId(), err)
		}
		slices.Sort(got)
		want := ids(ref.MatchVacancy(v, now))
		if !slices.Equal(got, want) {
			t.Fatalf("vacancy %s: PostgreSQL %v, reference %v\n%v", v.GetId(), got, want, v)
		}
		matched += len(want)
		if len(want) > 0 && len(v.GetRequirements().GetEssential()) > 0 {
			grouped++
		}
	}
	for _, c := range cands {
		got, err := srv.MatchCandidate(ctx, c, now)
		if err != nil {
			t.Fatalf("candidate %s: %v", c.GetId(), err)
		}
		slices.Sort(got)
		if want := ids(ref.MatchCandidate(c, now)); !slices.Equal(got, want) {
			t.Fatalf("candidate %s: PostgreSQL %v, reference %v\n%v", c.GetId(), got, want, c)
		}
	}
	if matched < 100 || grouped < 10 {
		t.Fatalf("%d matches, %d vacancies with essential groups matched: the data tests too little", matched, grouped)
	}
	t.Logf("%d matches, %d vacancies with essential groups matched", matched, grouped)
}
