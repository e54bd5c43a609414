package matching

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clinjobs/clinjobs/pkg/match/index"
)

type metrics struct {
	matches     prometheus.Counter
	cacheReads  *prometheus.CounterVec
	cacheWrites *prometheus.CounterVec
	rebuild     prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, ix *index.Index) *metrics {
	m := &metrics{
		matches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "matching_matches_found_total", Help: "New (candidate, vacancy) matches announced.",
		}),
		cacheReads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "matching_cache_reads_total",
			Help: "Match list reads, by outcome: hit, miss (computed from the index), error (cache unreachable; answered from the index), skipped (cache being mended).",
		}, []string{"outcome"}),
		cacheWrites: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "matching_cache_writes_total", Help: "Match cache writes, by outcome (ok, error).",
		}, []string{"outcome"}),
		rebuild: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "matching_index_rebuild_seconds", Help: "How long the last rebuild of the index from JetStream took.",
		}),
	}
	reg.MustRegister(m.matches, m.cacheReads, m.cacheWrites, m.rebuild,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "matching_index_candidates", Help: "Candidates in the index."},
			func() float64 { n, _ := ix.Sizes(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "matching_index_vacancies", Help: "Open vacancies in the index."},
			func() float64 { _, n := ix.Sizes(); return float64(n) }),
	)
	return m
}
