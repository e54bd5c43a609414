package match_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/match"
	"github.com/clinjobs/clinjobs/pkg/match/matchtest"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// enum picks a value of an enum with n named values (1..n), or sometimes the
// unset 0 when unset is true.
func enum[E ~int32](rng *rand.Rand, n int, unset bool) E {
	if unset && rng.IntN(8) == 0 {
		return 0
	}
	return E(1 + rng.IntN(n))
}

// subset picks each of an enum's n values with probability p, in order.
func subset[E ~int32](rng *rand.Rand, n int, p float64) []E {
	var out []E
	for i := 1; i <= n; i++ {
		if rng.Float64() < p {
			out = append(out, E(i))
		}
	}
	return out
}

func randomPoint(rng *rand.Rand) geo.Point {
	return geo.Point{
		Lat: geo.MinLat + rng.Float64()*(geo.MaxLat-geo.MinLat),
		Lon: geo.MinLon + rng.Float64()*(geo.MaxLon-geo.MinLon),
	}
}

// randomPair makes a candidate and a vacancy that are often close to matching,
// so that every rule both passes and fails often.
func randomPair(rng *rand.Rand, now time.Time) (*eventsv1.Candidate, *eventsv1.Vacancy) {
	home := randomPoint(rng)
	site := randomPoint(rng)
	if rng.IntN(2) == 0 { // near home
		site = geo.Point{Lat: home.Lat + (rng.Float64()-0.5)*0.8, Lon: home.Lon + (rng.Float64()-0.5)*1.2}
	}
	c := &eventsv1.Candidate{
		Id:                "c",
		Home:              &eventsv1.Location{Latitude: home.Lat, Longitude: home.Lon},
		TravelRadiusKm:    int32(rng.IntN(120)),
		WillingToRelocate: rng.IntN(4) == 0,
		RoleFamilies:      subset[eventsv1.RoleFamily](rng, 5, 0.6),
		Specialisms:       subset[eventsv1.Specialism](rng, 9, 0.3),
		MinBand:           enum[eventsv1.Band](rng, 11, true),
		Contracts:         subset[eventsv1.Contract](rng, 4, 0.5),
		Hours:             subset[eventsv1.Hours](rng, 2, 0.6),
	}
	if rng.IntN(10) > 0 {
		q := &eventsv1.Qualifications{
			ALevels:          subset[eventsv1.ALevelSubject](rng, 9, 0.35),
			AccreditedDegree: rng.IntN(2) == 0,
			Msc:              rng.IntN(2) == 0,
			Nvq:              rng.IntN(2) == 0,
			Registrations:    subset[eventsv1.Registration](rng, 5, 0.3),
			YearsExperience:  int32(rng.IntN(20)),
		}
		if rng.IntN(5) > 0 {
			q.Degree = &eventsv1.Degree{
				Subject: enum[eventsv1.DegreeSubject](rng, 10, true),
				Class:   enum[eventsv1.DegreeClass](rng, 4, true),
			}
		}
		c.Qualifications = q
	}
	v := &eventsv1.Vacancy{
		Id:             "v",
		RoleFamily:     enum[eventsv1.RoleFamily](rng, 5, true),
		Specialisms:    subset[eventsv1.Specialism](rng, 9, 0.2),
		Band:           enum[eventsv1.Band](rng, 11, true),
		Contract:       enum[eventsv1.Contract](rng, 4, true),
		Hours:          enum[eventsv1.Hours](rng, 2, true),
		Status:         eventsv1.VacancyStatus(max(0, rng.IntN(7)-3)),
		ClosesAtUnixMs: now.UnixMilli() + rng.Int64N(100*int64(day/time.Millisecond)) - 20*int64(day/time.Millisecond),
	}
	if rng.IntN(20) > 0 {
		v.Site = &eventsv1.Site{Location: &eventsv1.Location{Latitude: site.Lat, Longitude: site.Lon}}
	}
	if rng.IntN(10) > 0 {
		v.Requirements = &eventsv1.Requirements{
			ALevelSubjects:     subset[eventsv1.ALevelSubject](rng, 9, 0.1),
			MinALevels:         int32(rng.IntN(5)),
			DegreeSubjects:     subset[eventsv1.DegreeSubject](rng, 10, 0.3),
			MinDegreeClass:     enum[eventsv1.DegreeClass](rng, 4, true),
			AccreditedDegree:   rng.IntN(4) == 0,
			Msc:                rng.IntN(4) == 0,
			Nvq:                rng.IntN(4) == 0,
			Registrations:      subset[eventsv1.Registration](rng, 5, 0.15),
			MinYearsExperience: int32(rng.IntN(10)),
		}
	}
	if rng.IntN(2) == 0 {
		matchtest.Candidate(rng, c)
		matchtest.Vacancy(rng, v, c)
	}
	if rng.IntN(2) == 0 {
		fit(rng, c, v)
	}
	return c, v
}

// pick returns a random element of vs, or 0 when there is none.
func pick[E any](rng *rand.Rand, vs []E) E {
	var zero E
	if len(vs) == 0 {
		return zero
	}
	return vs[rng.IntN(len(vs))]
}

// fit changes v so that c would be eligible for it, but for a few rules picked
// at random that are left as they were.
func fit(rng *rand.Rand, c *eventsv1.Candidate, v *eventsv1.Vacancy) {
	keep := func() bool { return rng.IntN(12) == 0 }
	q := c.GetQualifications()
	if !keep() {
		v.Status = eventsv1.VacancyStatus_VACANCY_STATUS_OPEN
		if v.ClosesAtUnixMs <= now.UnixMilli()+int64(2*day/time.Millisecond) {
			v.ClosesAtUnixMs = now.UnixMilli() + rng.Int64N(int64(90*day/time.Millisecond)) + int64(2*day/time.Millisecond)
		}
	}
	if !keep() && len(c.RoleFamilies) > 0 {
		v.RoleFamily = pick(rng, c.RoleFamilies)
	}
	if !keep() {
		v.Band = max(v.Band, c.MinBand)
	}
	if !keep() && len(c.Contracts) > 0 {
		v.Contract = pick(rng, c.Contracts)
	}
	if !keep() && len(c.Hours) > 0 {
		v.Hours = pick(rng, c.Hours)
	}
	if !keep() && len(c.WorkingPatterns) > 0 {
		v.WorkingPatterns = []eventsv1.WorkingPattern{pick(rng, c.WorkingPatterns)}
	}
	if !keep() && len(c.Settings) > 0 {
		v.Setting = pick(rng, c.Settings)
	}
	if !keep() {
		v.SalaryMax = max(v.SalaryMax, c.MinSalary)
	}
	if !keep() && v.StartDate != "" && c.AvailableFrom > v.StartDate {
		c.AvailableFrom = v.StartDate
	}
	if !keep() {
		c.WillingToRelocate = true
	}
	if v.Requirements == nil || q == nil {
		return
	}
	r := v.Requirements
	if !keep() {
		r.Essential = nil
	}
	if !keep() {
		r.ALevelSubjects = nil
		if s := pick(rng, q.ALevels); s != 0 {
			r.ALevelSubjects = append(r.ALevelSubjects, s)
		}
	}
	if !keep() {
		r.MinALevels = int32(rng.IntN(len(q.ALevels) + 1))
	}
	if !keep() {
		if d := q.GetDegree(); d.GetClass() != 0 {
			r.MinDegreeClass = eventsv1.DegreeClass(1 + rng.IntN(int(d.Class)))
			r.DegreeSubjects = append(r.DegreeSubjects, d.Subject)
		} else {
			r.MinDegreeClass = 0
		}
	}
	if !keep() {
		r.AccreditedDegree = r.AccreditedDegree && q.AccreditedDegree
	}
	if !keep() {
		r.Msc = r.Msc && q.Msc
	}
	if !keep() {
		r.Nvq = r.Nvq && q.Nvq
	}
	if !keep() {
		r.Registrations = nil
		if g := pick(rng, q.Registrations); g != 0 {
			r.Registrations = append(r.Registrations, g)
			if g == eventsv1.Registration_REGISTRATION_CENG && rng.IntN(2) == 0 {
				r.Registrations = append(r.Registrations, eventsv1.Registration_REGISTRATION_IENG)
			}
		}
	}
	if !keep() {
		r.MinYearsExperience = int32(rng.IntN(int(q.YearsExperience) + 1))
	}
}

// referenceScore is the score as the package doc words it, in floating point.
// desirablesMet is counted by the caller, group by group.
func referenceScore(c *eventsv1.Candidate, v *eventsv1.Vacancy, now time.Time, desirablesMet int) int {
	round := func(x float64) int { return int(math.Floor(x + 0.5)) }
	total := 0

	var vs []eventsv1.Specialism
	for _, s := range v.GetSpecialisms() {
		if !slices.Contains(vs, s) {
			vs = append(vs, s)
		}
	}
	if len(vs) == 0 || len(c.GetSpecialisms()) == 0 {
		total += 15
	} else {
		covered := 0
		for _, s := range vs {
			if slices.Contains(c.GetSpecialisms(), s) {
				covered++
			}
		}
		total += round(30 * float64(covered) / float64(len(vs)))
	}

	d := math.Round(10 * geo.DistanceKm(
		geo.Point{Lat: c.GetHome().GetLatitude(), Lon: c.GetHome().GetLongitude()},
		geo.Point{Lat: v.GetSite().GetLocation().GetLatitude(), Lon: v.GetSite().GetLocation().GetLongitude()},
	))
	r := 10 * float64(c.GetTravelRadiusKm())
	switch {
	case d <= r && r == 0:
		total += 25
	case d <= r:
		total += round(25 * (r - d) / r)
	case c.GetWillingToRelocate():
		total += 10
	}

	step := func(over, free, top, step int) int {
		switch {
		case over < 0:
			return 0
		case over <= free:
			return top
		}
		return max(0, top-step*(over-free))
	}
	lowest := max(c.GetMinBand(), eventsv1.Band_BAND_2)
	total += step(int(v.GetBand())-int(lowest), 1, 20, 5)
	// Inferred essentials count as desirables: they rank, never exclude.
	asked := len(v.GetRequirements().GetDesirable())
	for _, g := range v.GetRequirements().GetEssential() {
		if g.GetInferred() {
			asked++
		}
	}
	if asked == 0 {
		total += 15
	} else {
		total += round(15 * float64(desirablesMet) / float64(asked))
	}

	left := time.Duration(v.GetClosesAtUnixMs()-now.UnixMilli()) * time.Millisecond
	switch {
	case left <= 0, left >= 60*day:
	case left <= 7*day:
		total += 10
	default:
		total += round(10 * float64(60*day-left) / float64(53*day))
	}
	return total
}

func TestEvaluateProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(20260302, 0xC11A))
	order := map[match.Rule]int{}
	for i, r := range match.Rules() {
		order[r] = i
	}
	const n = 20_000
	eligible, nearMisses := 0, 0
	for i := range n {
		at := now.Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))
		c, v := randomPair(rng, at)
		r := match.Evaluate(c, v, at)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("case %d: "+format+"\ncandidate %v\nvacancy %v\nresult %+v", append(append([]any{i}, args...), c, v, r)...)
		}
		if r.Score < 0 || r.Score > 100 {
			fail("score %d out of 0..100", r.Score)
		}
		if again := match.Evaluate(c, v, at); !reflect.DeepEqual(again, r) {
			fail("not deterministic: then %+v", again)
		}
		if r.Eligible != (len(r.Misses) == 0) {
			fail("eligible %v with %d misses", r.Eligible, len(r.Misses))
		}
		if r.Eligible && len(r.Reasons) == 0 || !r.Eligible && r.Reasons != nil {
			fail("eligible %v with reasons %q", r.Eligible, r.Reasons)
		}
		for j, m := range r.Misses {
			o, ok := order[m.Rule]
			repeat := m.Rule == match.RuleEssential && j > 0 && r.Misses[j-1].Rule == match.RuleEssential
			if !ok || m.Reason == "" || j > 0 && o <= order[r.Misses[j-1].Rule] && !repeat {
				fail("miss %d %+v out of order, unknown or unexplained", j, m)
			}
		}
		if tenths := r.DistanceKm * 10; tenths != math.Round(tenths) || r.DistanceKm < 0 {
			fail("distance %v not rounded to 0.1 km", r.DistanceKm)
		}
		if want := referenceScore(c, v, at, r.DesirablesMet); r.Score != want {
			fail("score %d, reference %d", r.Score, want)
		}
		m, ok := match.NearMiss(r)
		if ok != (len(r.Misses) == 1 && r.Misses[0].Rule.Requirement()) || ok && m != r.Misses[0] {
			fail("NearMiss = %+v, %v", m, ok)
		}
		if r.Eligible {
			eligible++
		}
		if ok {
			nearMisses++
		}
	}
	// The generator must reach both sides of the rules, or the test tests little.
	if eligible < n/50 || nearMisses < n/50 {
		t.Errorf("only %d eligible and %d near misses in %d cases", eligible, nearMisses, n)
	}
	t.Logf("%d eligible, %d near misses in %d cases", eligible, nearMisses, n)
}

// TestMoreExperienceNeverLowersScore: no rule discriminates by age; years
// of experience beyond those asked, in all or in a specialism, never lower
// a score or turn a match away.
func TestMoreExperienceNeverLowersScore(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(4, 0xA9E))
	for i := range 5_000 {
		c, v := randomPair(rng, now)
		before := match.Evaluate(c, v, now)
		more := proto.Clone(c).(*eventsv1.Candidate)
		q := more.GetQualifications()
		if q == nil {
			q = &eventsv1.Qualifications{}
			more.Qualifications = q
		}
		q.YearsExperience += int32(1 + rng.IntN(30))
		for _, e := range q.SpecialismExperience {
			e.Years += int32(rng.IntN(20))
		}
		after := match.Evaluate(more, v, now)
		if after.Score < before.Score || before.Eligible && !after.Eligible {
			t.Fatalf("case %d: more experience: score %d → %d, eligible %v → %v", i, before.Score, after.Score, before.Eligible, after.Eligible)
		}
	}
}

// TestDistanceAbout: a place known only to its postcode area is "about" so far.
func TestDistanceAbout(t *testing.T) {
	t.Parallel()
	c, v := candidate(), vacancy()
	c.Home.Postcode, c.Home.Precision = "LS", "area"
	r := match.Evaluate(c, v, now)
	if !slices.ContainsFunc(r.Reasons, func(s string) bool { return strings.HasPrefix(s, "about ") && strings.Contains(s, " km from home") }) {
		t.Fatalf("reasons %q: want the distance said as about so many km", r.Reasons)
	}
}

// TestInferredNeverExcludes: a requirement group inferred from an imported
// advert never turns a candidate away, essential or not. Taking every
// inferred group out of a vacancy leaves its misses as they were; making
// every essential group inferred leaves the misses of a vacancy without
// them, and names each in the reasons.
func TestInferredNeverExcludes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(17, 0x1F3))
	seen := 0
	for i := range 10_000 {
		c, v := randomPair(rng, now)
		r := match.Evaluate(c, v, now)
		stripped := proto.Clone(v).(*eventsv1.Vacancy)
		req := stripped.GetRequirements()
		var kept []*eventsv1.RequirementGroup
		for _, g := range req.GetEssential() {
			if g.GetInferred() {
				seen++
			} else {
				kept = append(kept, g)
			}
		}
		if req != nil {
			req.Essential = kept
		}
		if s := match.Evaluate(c, stripped, now); !reflect.DeepEqual(s.Misses, r.Misses) {
			t.Fatalf("case %d: inferred groups changed the misses: with them %+v, without %+v", i, r.Misses, s.Misses)
		}
		all := proto.Clone(v).(*eventsv1.Vacancy)
		for _, g := range all.GetRequirements().GetEssential() {
			g.Inferred = true
		}
		a := match.Evaluate(c, all, now)
		none := proto.Clone(v).(*eventsv1.Vacancy)
		if none.GetRequirements() != nil {
			none.Requirements.Essential = nil
		}
		// (Misses of essential groups may remain: records of before have
		// their plain fields read as stated groups.)
		if n := match.Evaluate(c, none, now); !reflect.DeepEqual(n.Misses, a.Misses) {
			t.Fatalf("case %d: essentials all inferred changed the misses: %+v, without them %+v", i, a.Misses, n.Misses)
		}
		if a.Eligible {
			for _, g := range all.GetRequirements().GetEssential() {
				if !slices.ContainsFunc(a.Reasons, func(s string) bool {
					return strings.HasPrefix(s, "Essential in the advert (inferred, not required here)") && strings.HasSuffix(s, match.Describe(g))
				}) {
					t.Fatalf("case %d: inferred essential %v not named in the reasons %q", i, g, a.Reasons)
				}
			}
		}
	}
	if seen < 100 {
		t.Errorf("only %d inferred groups generated", seen)
	}
}
