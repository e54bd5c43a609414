package index_test

import (
	"math/rand/v2"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/match"
	"github.com/clinjobs/clinjobs/pkg/match/index"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// TestGeneratorCoversBoundaries guards the differential test: its random
// data must produce matches, and sites on both sides of a radius.
func TestGeneratorCoversBoundaries(t *testing.T) {
	t.Parallel()
	g := gen{rand.New(rand.NewPCG(7, 0x5eed))}
	ref := index.NewReference()
	var cands []*eventsv1.Candidate
	for i := range 500 {
		c := g.candidate(i)
		cands = append(cands, c)
		ref.PutCandidate(c)
	}
	matches, atRadius, justOutside, withGroups, withDesirables, notPublic := 0, 0, 0, 0, 0, 0
	for i := range 450 {
		near := cands[g.r.IntN(len(cands))]
		v := g.vacancy(i, near)
		hits := ref.MatchVacancy(v, now)
		matches += len(hits)
		if len(hits) > 0 && len(v.GetRequirements().GetEssential()) > 0 {
			withGroups++
		}
		if len(hits) > 0 && len(v.GetRequirements().GetDesirable()) > 0 {
			withDesirables++
		}
		if len(hits) > 0 && !match.Public(v) {
			notPublic++
		}
		found := false
		for _, h := range hits {
			if h.ID == near.GetId() {
				found = true
				if h.DistanceTenths == int64(near.GetTravelRadiusKm())*10 {
					atRadius++
				}
			}
		}
		if !found && !near.GetWillingToRelocate() {
			justOutside++
		}
	}
	t.Logf("matches %d, at the radius %d, just outside %d, essential groups matched %d, desirables %d, internal or restricted %d",
		matches, atRadius, justOutside, withGroups, withDesirables, notPublic)
	if matches < 300 || atRadius < 10 || justOutside < 10 || withGroups < 10 || withDesirables < 10 || notPublic < 1 {
		t.Fatalf("matches %d, at the radius %d, just outside %d, vacancies with essential groups matched %d, with desirables %d, internal or restricted %d: the generator misses the boundaries",
			matches, atRadius, justOutside, withGroups, withDesirables, notPublic)
	}
}
