// Command benchmatch measures matching at national scale, on one goroutine:
// the index (pkg/match/index), the plain reference matcher and PostgreSQL,
// side by side on the same seeded population and the same queries; the
// index's memory per candidate and build time; and the matching service's
// rebuild of its index from JetStream. It prints a table and writes
// bench/results/match.json.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/clinjobs/clinjobs/bench/pgmatch"
	"github.com/clinjobs/clinjobs/bench/population"
	"github.com/clinjobs/clinjobs/bench/progress"
	"github.com/clinjobs/clinjobs/pkg/match/index"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
)

type options struct {
	candidates, vacancies                 int
	queries, refVacancyQueries, refCandQs int
	pgQueries                             int
	seed                                  uint64
	out                                   string
	skipPostgres, skipRebuild             bool
	cpuProfile                            string
}

func main() {
	var o options
	flag.IntVar(&o.candidates, "candidates", 1_000_000, "candidates in the population")
	flag.IntVar(&o.vacancies, "vacancies", 20_000, "open vacancies")
	flag.IntVar(&o.queries, "queries", 5000, "queries of each kind timed on the index")
	flag.IntVar(&o.refVacancyQueries, "reference-vacancy-queries", 12, "vacancy queries timed on the reference (each scans every candidate)")
	flag.IntVar(&o.refCandQs, "reference-candidate-queries", 200, "candidate queries timed on the reference")
	flag.IntVar(&o.pgQueries, "postgres-queries", 200, "queries of each kind timed on PostgreSQL")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the population")
	flag.StringVar(&o.out, "out", "bench/results/match.json", "where to write the results")
	flag.BoolVar(&o.skipPostgres, "skip-postgres", false, "do not compare with PostgreSQL")
	flag.BoolVar(&o.skipRebuild, "skip-rebuild", false, "do not time the rebuild from JetStream")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the index's vacancy queries here")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchmatch:", err)
		os.Exit(1)
	}
}

// Results is what bench/results/match.json holds.
type Results struct {
	Machine              string  `json:"machine"`
	Candidates           int     `json:"candidates"`
	Vacancies            int     `json:"vacancies"`
	BytesPerCandidate    float64 `json:"bytes_per_candidate"`
	BuildSeconds         float64 `json:"index_build_seconds"`
	RebuildSeconds       float64 `json:"rebuild_seconds"`
	ResultsAgree         bool    `json:"results_agree"`
	Disagreements        int     `json:"disagreements"`
	MatchesPerVacancyP50 int     `json:"matches_per_vacancy_p50"`
	VacancyToCandidates  Latency `json:"vacancy_to_candidates"`
	CandidateToVacancies Latency `json:"candidate_to_vacancies"`
}

// Latency compares the three matchers on one kind of query, in µs.
type Latency struct {
	IndexP50    float64 `json:"index_p50_us"`
	IndexP99    float64 `json:"index_p99_us"`
	RefP50      float64 `json:"reference_p50_us"`
	RefP99      float64 `json:"reference_p99_us"`
	PostgresP50 float64 `json:"postgres_p50_us"`
	PostgresP99 float64 `json:"postgres_p99_us"`
	Queries     [3]int  `json:"queries"`
}

func run(ctx context.Context, o options, out io.Writer) error {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	res := Results{Candidates: o.candidates, Vacancies: o.vacancies,
		Machine: fmt.Sprintf("%s/%s, %d cores, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())}
	meter := progress.New(out)

	// The index is built straight from the generator and timed with only
	// itself and the queries in memory, as in the matching service; the
	// population is made again, the same from the same seed, for the
	// reference and PostgreSQL.
	gen := population.New(o.seed, now)
	var b index.Builder
	queries := map[int]bool{}
	for _, i := range sample(seq(o.candidates), o.queries) {
		queries[i] = true
	}
	var cq []*eventsv1.Candidate
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := range o.candidates {
		c := gen.Candidate(i)
		b.Add(c, 1)
		if queries[i] {
			cq = append(cq, c)
		}
		meter.Tick("building the index", i+1, o.candidates)
	}
	ix := index.New()
	ix.Load(&b)
	res.BuildSeconds = time.Since(start).Seconds()
	runtime.GC()
	runtime.ReadMemStats(&after)
	// The query samples are a few thousand records: not the index's.
	res.BytesPerCandidate = float64(after.HeapAlloc-before.HeapAlloc) / float64(o.candidates)
	vacs := make([]*eventsv1.Vacancy, o.vacancies)
	for i := range vacs {
		vacs[i] = gen.Vacancy(i)
		ix.PutVacancy(vacs[i], 1)
	}
	vq := sample(vacs, o.queries)
	var matched []int
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	res.VacancyToCandidates.IndexP50, res.VacancyToCandidates.IndexP99 = timeQueries(len(vq), func(i int) {
		matched = append(matched, len(ix.MatchVacancy(vq[i], now)))
	}, meter, "index: vacancy to candidates")
	if o.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	slices.Sort(matched)
	res.MatchesPerVacancyP50 = matched[len(matched)/2]
	res.CandidateToVacancies.IndexP50, res.CandidateToVacancies.IndexP99 = timeQueries(len(cq), func(i int) {
		ix.MatchCandidate(cq[i], now)
	}, meter, "index: candidate to vacancies")

	gen = population.New(o.seed, now)
	cands := make([]*eventsv1.Candidate, o.candidates)
	for i := range cands {
		cands[i] = gen.Candidate(i)
		meter.Tick("generating the population again", i+1, o.candidates)
	}
	ref := index.NewReference()
	for _, c := range cands {
		ref.PutCandidate(c)
	}
	for _, v := range vacs {
		ref.PutVacancy(v)
	}
	var pg *pgmatch.Server
	if !o.skipPostgres {
		fmt.Fprintln(out, "starting PostgreSQL and loading the population...")
		var err error
		if pg, err = pgmatch.Start(ctx); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		defer pg.Stop()
		t0 := time.Now()
		if err := pg.Load(ctx, cands, vacs); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		fmt.Fprintf(out, "PostgreSQL loaded in %.1fs\n", time.Since(t0).Seconds())
	}

	// The reference is slow by design: fewer queries, and its answers are
	// the yardstick for the others'.
	disagree := 0
	rvq := sample(vq, o.refVacancyQueries)
	refV := make([][]index.Hit, len(rvq))
	res.VacancyToCandidates.RefP50, res.VacancyToCandidates.RefP99 = timeQueries(len(rvq), func(i int) {
		refV[i] = ref.MatchVacancy(rvq[i], now)
	}, meter, "reference: vacancy to candidates")
	for i, v := range rvq {
		disagree += compare(out, "index", "vacancy "+v.GetId(), ix.MatchVacancy(v, now), refV[i], true)
	}
	rcq := sample(cq, o.refCandQs)
	refC := make([][]index.Hit, len(rcq))
	res.CandidateToVacancies.RefP50, res.CandidateToVacancies.RefP99 = timeQueries(len(rcq), func(i int) {
		refC[i] = ref.MatchCandidate(rcq[i], now)
	}, meter, "reference: candidate to vacancies")
	for i, c := range rcq {
		disagree += compare(out, "index", "candidate "+c.GetId(), ix.MatchCandidate(c, now), refC[i], true)
	}
	res.VacancyToCandidates.Queries = [3]int{len(vq), len(rvq), 0}
	res.CandidateToVacancies.Queries = [3]int{len(cq), len(rcq), 0}

	if pg != nil {
		pvq := sample(vq, o.pgQueries)
		var qerr error
		got := make([][]string, len(pvq))
		res.VacancyToCandidates.PostgresP50, res.VacancyToCandidates.PostgresP99 = timeQueries(len(pvq), func(i int) {
			ids, err := pg.MatchVacancy(ctx, pvq[i], now)
			got[i], qerr = ids, errors.Join(qerr, err)
		}, meter, "postgres: vacancy to candidates")
		for i, v := range pvq {
			disagree += compareIDs(out, "postgres", "vacancy "+v.GetId(), got[i], ids(ix.MatchVacancy(v, now)))
		}
		pcq := sample(cq, o.pgQueries)
		got = make([][]string, len(pcq))
		res.CandidateToVacancies.PostgresP50, res.CandidateToVacancies.PostgresP99 = timeQueries(len(pcq), func(i int) {
			ids, err := pg.MatchCandidate(ctx, pcq[i], now)
			got[i], qerr = ids, errors.Join(qerr, err)
		}, meter, "postgres: candidate to vacancies")
		for i, c := range pcq {
			disagree += compareIDs(out, "postgres", "candidate "+c.GetId(), got[i], ids(ix.MatchCandidate(c, now)))
		}
		if qerr != nil {
			return fmt.Errorf("postgres query: %w", qerr)
		}
		res.VacancyToCandidates.Queries[2] = len(pvq)
		res.CandidateToVacancies.Queries[2] = len(pcq)
	}
	res.Disagreements, res.ResultsAgree = disagree, disagree == 0

	if !o.skipRebuild {
		secs, err := rebuild(ctx, cands, vacs, now, out)
		if err != nil {
			return fmt.Errorf("rebuild: %w", err)
		}
		res.RebuildSeconds = secs
	}
	report(out, res)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	data, _ := json.MarshalIndent(res, "", "  ")
	return os.WriteFile(o.out, append(data, '\n'), 0o644)
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// sample picks n items spread evenly through xs.
func sample[T any](xs []T, n int) []T {
	if n >= len(xs) {
		return xs
	}
	out := make([]T, n)
	for i := range out {
		out[i] = xs[i*len(xs)/n]
	}
	return out
}

// timeQueries runs n queries one after another and returns p50 and p99 in µs.
func timeQueries(n int, q func(int), p *progress.Meter, what string) (float64, float64) {
	ds := make([]time.Duration, n)
	for i := range n {
		t0 := time.Now()
		q(i)
		ds[i] = time.Since(t0)
		p.Tick(what, i+1, n)
	}
	slices.Sort(ds)
	at := func(f float64) float64 { return float64(ds[min(n-1, int(f*float64(n)))].Nanoseconds()) / 1000 }
	return at(0.50), at(0.99)
}

func ids(hits []index.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

// compare counts a disagreement of two matchers' hits (sets, and scores).
func compare(out io.Writer, who, what string, got, want []index.Hit, scores bool) int {
	index.SortByID(got)
	index.SortByID(want)
	if len(got) != len(want) {
		fmt.Fprintf(out, "DISAGREE %s on %s: %d found, reference %d\n", who, what, len(got), len(want))
		return 1
	}
	for i := range got {
		if got[i].ID != want[i].ID || scores && got[i].Score != want[i].Score {
			fmt.Fprintf(out, "DISAGREE %s on %s: %+v against %+v\n", who, what, got[i], want[i])
			return 1
		}
	}
	return 0
}

func compareIDs(out io.Writer, who, what string, got, want []string) int {
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		fmt.Fprintf(out, "DISAGREE %s on %s: %d found, index %d\n", who, what, len(got), len(want))
		return 1
	}
	return 0
}

func report(out io.Writer, r Results) {
	fmt.Fprintf(out, "\nMatching at national scale: %d candidates, %d open vacancies (%s)\n", r.Candidates, r.Vacancies, r.Machine)
	fmt.Fprintf(out, "index: %.0f bytes a candidate (target ≤ 300), built in %.1fs; rebuild from JetStream %.1fs (target ≤ 30s)\n",
		r.BytesPerCandidate, r.BuildSeconds, r.RebuildSeconds)
	fmt.Fprintf(out, "a vacancy matches %d candidates at the median; results agree: %v (%d disagreements)\n\n", r.MatchesPerVacancyP50, r.ResultsAgree, r.Disagreements)
	fmt.Fprintf(out, "%-26s %12s %12s %14s %14s %13s %13s %10s %10s\n", "query (µs)", "index p50", "index p99", "reference p50", "reference p99", "postgres p50", "postgres p99", "× ref p50", "× pg p50")
	for _, l := range []struct {
		name string
		l    Latency
	}{{"vacancy → candidates", r.VacancyToCandidates}, {"candidate → vacancies", r.CandidateToVacancies}} {
		fmt.Fprintf(out, "%-26s %12.1f %12.1f %14.1f %14.1f %13.1f %13.1f %10.0f %10.0f\n", l.name, l.l.IndexP50, l.l.IndexP99,
			l.l.RefP50, l.l.RefP99, l.l.PostgresP50, l.l.PostgresP99, l.l.RefP50/l.l.IndexP50, l.l.PostgresP50/l.l.IndexP50)
	}
	fmt.Fprintln(out, "\ntargets: vacancy → candidates p50 ≤ 1000 µs, p99 ≤ 10000 µs, ≥ 20× the reference and ≥ 50× PostgreSQL at p50")
}
