package index_test

import (
	"math/rand/v2"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/match/index"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

// BenchmarkMatchVacancy is for profiling the index (go test -bench
// MatchVacancy -cpuprofile); the figures that matter come from make
// bench-match on a national population.
func BenchmarkMatchVacancy(b *testing.B) {
	g := gen{rand.New(rand.NewPCG(3, 4))}
	ix := index.New()
	for i := range 200_000 {
		ix.PutCandidate(g.candidate(i), 1)
	}
	vacs := make([]*eventsv1.Vacancy, 256)
	for i := range vacs {
		vacs[i] = g.vacancy(i, nil)
		vacs[i].Status = eventsv1.VacancyStatus_VACANCY_STATUS_OPEN
		vacs[i].ClosesAtUnixMs = now.Add(1e12).UnixMilli()
	}
	b.ResetTimer()
	hits := 0
	for i := range b.N {
		hits += len(ix.MatchVacancy(vacs[i%len(vacs)], now))
	}
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
}
