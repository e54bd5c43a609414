package index_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/match"
	"github.com/clinjobs/clinjobs/pkg/match/index"
	"github.com/clinjobs/clinjobs/pkg/match/matchtest"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// gen makes random profiles and vacancies, with edge cases: sites exactly
// at a candidate's radius, bands at the minimum, closing now, relocating
// candidates, empty lists and the largest numbers the write API accepts.
type gen struct{ r *rand.Rand }

// Places near which most of the random population lives, so that radius
// boundaries are crossed often.
var centres = [][2]float64{{51.50, -0.12}, {53.48, -2.24}, {52.48, -1.89}, {55.86, -4.25}, {51.45, -2.59}, {54.97, -1.61}}

func (g gen) point() (float64, float64) {
	c := centres[g.r.IntN(len(centres))]
	return c[0] + g.r.NormFloat64()*0.4, c[1] + g.r.NormFloat64()*0.6
}

func pick[E ~int32](g gen, n int, maxV int, allowEmpty bool) []E {
	k := g.r.IntN(n + 1)
	if !allowEmpty && k == 0 {
		k = 1
	}
	set := map[E]bool{}
	for range k {
		set[E(1+g.r.IntN(maxV))] = true
	}
	out := make([]E, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func (g gen) candidate(i int) *eventsv1.Candidate {
	lat, lon := g.point()
	c := &eventsv1.Candidate{
		Id:                fmt.Sprintf("c%06d", i),
		Home:              &eventsv1.Location{Latitude: lat, Longitude: lon},
		TravelRadiusKm:    int32([]int{0, 1, 5, 10, 15, 25, 30, 50, 80, 120, 300, 1000}[g.r.IntN(12)]),
		WillingToRelocate: g.r.IntN(12) == 0,
		RoleFamilies:      pick[eventsv1.RoleFamily](g, 3, 5, false),
		Specialisms:       pick[eventsv1.Specialism](g, 3, 9, true),
		MinBand:           eventsv1.Band(g.r.IntN(12)),
		Contracts:         pick[eventsv1.Contract](g, 2, 4, true),
		Hours:             pick[eventsv1.Hours](g, 1, 2, true),
		Qualifications: &eventsv1.Qualifications{
			ALevels:          pick[eventsv1.ALevelSubject](g, 4, 9, true),
			AccreditedDegree: g.r.IntN(4) == 0,
			Msc:              g.r.IntN(5) == 0,
			Nvq:              g.r.IntN(5) == 0,
			Registrations:    pick[eventsv1.Registration](g, 2, 5, true),
			YearsExperience:  int32([]int{0, 0, 1, 2, 3, 5, 8, 12, 20, 50}[g.r.IntN(10)]),
		},
	}
	if g.r.IntN(5) > 0 {
		c.Qualifications.Degree = &eventsv1.Degree{Subject: eventsv1.DegreeSubject(g.r.IntN(11)), Class: eventsv1.DegreeClass(1 + g.r.IntN(4))}
	}
	if g.r.IntN(2) == 0 {
		matchtest.Candidate(g.r, c)
	}
	return c
}

func (g gen) vacancy(i int, near *eventsv1.Candidate) *eventsv1.Vacancy {
	lat, lon := g.point()
	if near != nil {
		// A site exactly at the candidate's radius (to the nearest tenth of
		// a km, either side), due north.
		r := float64(near.GetTravelRadiusKm()) + []float64{-0.06, -0.05, -0.04, 0, 0.04, 0.05, 0.06}[g.r.IntN(7)]
		lat, lon = near.GetHome().GetLatitude()+r/111.195, near.GetHome().GetLongitude()
	}
	closes := now.Add(time.Duration(g.r.IntN(90*24)) * time.Hour)
	switch g.r.IntN(20) {
	case 0:
		closes = now
	case 1:
		closes = now.Add(time.Millisecond)
	}
	v := &eventsv1.Vacancy{
		Id:             fmt.Sprintf("v%05d", i),
		RoleFamily:     eventsv1.RoleFamily(1 + g.r.IntN(5)),
		Specialisms:    pick[eventsv1.Specialism](g, 2, 9, true),
		Band:           eventsv1.Band(1 + g.r.IntN(11)),
		Contract:       eventsv1.Contract(1 + g.r.IntN(4)),
		Hours:          eventsv1.Hours(1 + g.r.IntN(2)),
		Site:           &eventsv1.Site{Location: &eventsv1.Location{Latitude: lat, Longitude: lon}},
		Status:         eventsv1.VacancyStatus_VACANCY_STATUS_OPEN,
		ClosesAtUnixMs: closes.UnixMilli(),
		Requirements:   &eventsv1.Requirements{},
		SalaryMin:      int32(24_000 + 1_000*g.r.IntN(60)),
	}
	v.SalaryMax = v.SalaryMin + int32(1_000*g.r.IntN(10))
	if near != nil {
		// Fit the candidate on everything but the distance, sometimes.
		v.RoleFamily = near.GetRoleFamilies()[0]
		v.Band = max(near.GetMinBand(), eventsv1.Band_BAND_2)
	}
	req := v.Requirements
	if g.r.IntN(3) == 0 {
		req.ALevelSubjects = pick[eventsv1.ALevelSubject](g, 2, 9, true)
		req.MinALevels = int32(len(req.ALevelSubjects) + g.r.IntN(2))
	}
	if g.r.IntN(2) == 0 {
		req.MinDegreeClass = eventsv1.DegreeClass(1 + g.r.IntN(4))
		req.DegreeSubjects = pick[eventsv1.DegreeSubject](g, 3, 10, true)
	}
	req.AccreditedDegree = g.r.IntN(8) == 0
	req.Msc = g.r.IntN(10) == 0
	req.Nvq = g.r.IntN(10) == 0
	if g.r.IntN(3) == 0 {
		req.Registrations = pick[eventsv1.Registration](g, 1, 5, true)
	}
	req.MinYearsExperience = int32([]int{0, 0, 0, 1, 2, 3, 5, 10, 50}[g.r.IntN(9)])
	if g.r.IntN(30) == 0 {
		v.Status = eventsv1.VacancyStatus_VACANCY_STATUS_CLOSED
	}
	if g.r.IntN(2) == 0 {
		matchtest.Vacancy(g.r, v, near)
	}
	if near != nil && g.r.IntN(4) > 0 {
		// Fit the candidate's preferences too, mostly.
		v.SalaryMax = max(v.SalaryMax, near.GetMinSalary())
		if s := near.GetSettings(); len(s) > 0 {
			v.Setting = s[0]
		}
		if p := near.GetWorkingPatterns(); len(p) > 0 {
			v.WorkingPatterns = append(v.WorkingPatterns, p[0])
		}
	}
	return v
}

func same(t *testing.T, what string, got, want []index.Hit) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: index found %d, reference %d\nindex %v\nreference %v", what, len(got), len(want), got, want)
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Score != want[i].Score {
			t.Fatalf("%s: at %d index has %+v, reference %+v", what, i, got[i], want[i])
		}
	}
}

// TestIndexAgreesWithReference is the differential property test: on
// random populations, including every boundary the rules have, the index
// and the plain reference matcher find the same candidates and vacancies
// with the same scores, every time, and keep agreeing as profiles change
// and vacancies close.
func TestIndexAgreesWithReference(t *testing.T) {
	t.Parallel()
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			g := gen{rand.New(rand.NewPCG(seed, 0x5eed))}
			ix, ref := index.New(), index.NewReference()
			cands := make([]*eventsv1.Candidate, 1200)
			for i := range cands {
				cands[i] = g.candidate(i)
				ix.PutCandidate(cands[i], 1)
				ref.PutCandidate(cands[i])
			}
			var vacs []*eventsv1.Vacancy
			for i := range 200 {
				var near *eventsv1.Candidate
				if i%3 == 0 {
					near = cands[g.r.IntN(len(cands))]
				}
				v := g.vacancy(i, near)
				vacs = append(vacs, v)
				ix.PutVacancy(v, 1)
				ref.PutVacancy(v)
			}
			check := func(round string) {
				for _, v := range vacs {
					got, want := ix.MatchVacancy(v, now), ref.MatchVacancy(v, now)
					index.SortByID(got)
					index.SortByID(want)
					same(t, round+" vacancy "+v.GetId(), got, want)
				}
				for _, c := range cands[:150] {
					same(t, round+" candidate "+c.GetId(), ix.MatchCandidate(c, now), ref.MatchCandidate(c, now))
				}
			}
			check("first")
			// Change a third of the profiles, close some vacancies, drop some
			// candidates, and check again.
			for i := range cands {
				switch g.r.IntN(6) {
				case 0, 1:
					c := g.candidate(i)
					cands[i] = c
					ix.PutCandidate(c, 2)
					ref.PutCandidate(c)
				case 2:
					ix.RemoveCandidate(cands[i].GetId())
					ref.RemoveCandidate(cands[i].GetId())
				}
			}
			for i, v := range vacs {
				if i%7 == 0 {
					closed := proto.Clone(v).(*eventsv1.Vacancy)
					closed.Status = eventsv1.VacancyStatus_VACANCY_STATUS_CLOSED
					vacs[i] = closed
					ix.PutVacancy(closed, 2)
					ref.PutVacancy(closed)
				}
			}
			check("after changes")
		})
	}
}

func TestRevisions(t *testing.T) {
	t.Parallel()
	g := gen{rand.New(rand.NewPCG(1, 2))}
	ix := index.New()
	c := g.candidate(1)
	if !ix.PutCandidate(c, 5) || ix.PutCandidate(c, 4) {
		t.Fatal("an older revision replaced a newer one")
	}
	got, rev, ok := ix.Candidate(c.GetId())
	if !ok || rev != 5 || got.GetTravelRadiusKm() != c.GetTravelRadiusKm() || len(got.GetRoleFamilies()) != len(c.GetRoleFamilies()) {
		t.Fatalf("candidate %v rev %d", got, rev)
	}
	if !ix.RemoveCandidate(c.GetId()) || ix.RemoveCandidate(c.GetId()) {
		t.Fatal("remove")
	}
	if n, _ := ix.Sizes(); n != 0 {
		t.Fatalf("%d candidates left", n)
	}
}

// TestBulkLoadAgrees: the bulk load (in geographic order, each grid cell a
// run of slots) gives the same answers as the reference, and goes on
// giving them as candidates then move, leave and join one by one, which
// breaks the runs up.
func TestBulkLoadAgrees(t *testing.T) {
	t.Parallel()
	g := gen{rand.New(rand.NewPCG(9, 9))}
	bulk, ref := index.New(), index.NewReference()
	var b index.Builder
	var cands []*eventsv1.Candidate
	for i := range 2000 {
		c := g.candidate(i)
		cands = append(cands, c)
		b.Add(c, 1)
	}
	// A later revision of a candidate in the same load wins.
	cands[5] = g.candidate(5)
	b.Add(cands[5], 2)
	for _, c := range cands {
		ref.PutCandidate(c)
	}
	bulk.Load(&b)
	check := func(round string) {
		for i := range 100 {
			v := g.vacancy(i, cands[g.r.IntN(len(cands))])
			v.Status = eventsv1.VacancyStatus_VACANCY_STATUS_OPEN
			got, want := bulk.MatchVacancy(v, now), ref.MatchVacancy(v, now)
			index.SortByID(got)
			index.SortByID(want)
			same(t, round+" vacancy "+v.GetId(), got, want)
		}
	}
	check("loaded")
	for i := range cands {
		switch g.r.IntN(6) {
		case 0, 1:
			cands[i] = g.candidate(i)
			bulk.PutCandidate(cands[i], 3)
			ref.PutCandidate(cands[i])
		case 2:
			bulk.RemoveCandidate(cands[i].GetId())
			ref.RemoveCandidate(cands[i].GetId())
		}
	}
	for i := range 500 {
		c := g.candidate(len(cands) + i)
		cands = append(cands, c)
		bulk.PutCandidate(c, 1)
		ref.PutCandidate(c)
	}
	check("changed")
}

// TestCandidateRebuilt: the candidate the index gives back (from its
// records and blob, for the matching service to explain matches with)
// evaluates exactly as the candidate put in, reasons and all.
func TestCandidateRebuilt(t *testing.T) {
	t.Parallel()
	g := gen{rand.New(rand.NewPCG(11, 0xB10B))}
	ix := index.New()
	for i := range 300 {
		c := g.candidate(i)
		ix.PutCandidate(c, 1)
		got, _, ok := ix.Candidate(c.GetId())
		if !ok {
			t.Fatalf("%s not held", c.GetId())
		}
		for j := range 5 {
			v := g.vacancy(j, c)
			if want, have := match.Evaluate(c, v, now), match.Evaluate(got, v, now); !reflect.DeepEqual(want, have) {
				t.Fatalf("candidate %d, vacancy %d: put in %+v\ngiven back %+v\ncandidate %v\nrebuilt %v", i, j, want, have, c, got)
			}
		}
	}
}
