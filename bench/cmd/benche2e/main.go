// Command benche2e measures the whole system end to end, against the bare
// cost of the parts it is built on, in one run: the all-in-one as its own
// process (embedded NATS on disk, Redis from the locally built image), a
// population of candidates whose webhooks are this program's receiver, and
// side by side: ingest throughput against plain JetStream publishes, alert
// latency at fixed arrival rates against a bare publish → consumer → POST
// pipeline, match reads against plain Redis commands, and the all-in-one's
// memory and CPU. It prints a table and writes bench/results/e2e.json.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/clinjobs/clinjobs/bench/progress"
	"github.com/clinjobs/clinjobs/pkg/natsserver"
)

type options struct {
	candidates, ingest, workers int
	dur100, dur1000, readFor    time.Duration
	out, root, redisImage       string
}

func main() {
	var o options
	quick := flag.Bool("quick", false, "a run of under a minute, for development: 5,000 candidates, short phases")
	flag.IntVar(&o.candidates, "candidates", 100_000, "candidates in the population")
	flag.IntVar(&o.ingest, "ingest", 5000, "vacancies posted in each ingest phase")
	flag.IntVar(&o.workers, "workers", 64, "concurrent clients of the closed-loop phases")
	flag.DurationVar(&o.dur100, "at-100", 20*time.Second, "how long to post at 100 vacancies a second")
	flag.DurationVar(&o.dur1000, "at-1000", 10*time.Second, "how long to post at 1,000 vacancies a second")
	flag.DurationVar(&o.readFor, "reads", 10*time.Second, "how long to read matches, and to run the Redis floor")
	flag.StringVar(&o.out, "out", "bench/results/e2e.json", "where to write the results")
	flag.StringVar(&o.root, "root", ".", "the repository's root")
	flag.StringVar(&o.redisImage, "redis-image", "clinjobs/redis:"+envOr("CLINJOBS_IMAGE_TAG", "local"), "the Redis image")
	flag.Parse()
	if *quick {
		o.candidates, o.ingest, o.dur100, o.dur1000, o.readFor = 5000, 1000, 5*time.Second, 3*time.Second, 3*time.Second
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benche2e:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Results is what bench/results/e2e.json holds.
type Results struct {
	Machine              string     `json:"machine"`
	Candidates           int        `json:"candidates"`
	IngestPerS           float64    `json:"ingest_per_s"`
	IngestBulkPerS       float64    `json:"ingest_bulk_per_s"`
	JetStreamSyncPerS    float64    `json:"jetstream_sync_publish_per_s"`
	JetStreamAsyncPerS   float64    `json:"jetstream_async_publish_per_s"`
	AlertP50Ms100        float64    `json:"alert_p50_ms_100"`
	AlertP90Ms100        float64    `json:"alert_p90_ms_100"`
	AlertP99Ms100        float64    `json:"alert_p99_ms_100"`
	AlertMaxMs100        float64    `json:"alert_max_ms_100"`
	AlertP50Ms1000       float64    `json:"alert_p50_ms_1000"`
	AlertP90Ms1000       float64    `json:"alert_p90_ms_1000"`
	AlertP99Ms1000       float64    `json:"alert_p99_ms_1000"`
	AlertMaxMs1000       float64    `json:"alert_max_ms_1000"`
	BarePipelineP50Ms100 float64    `json:"bare_pipeline_p50_ms_100"`
	BarePipelineP99Ms100 float64    `json:"bare_pipeline_p99_ms_100"`
	MatchReadsPerS       float64    `json:"match_reads_per_s"`
	MatchReadP99Ms       float64    `json:"match_read_p99_ms"`
	MatchReadsFromCache  float64    `json:"match_reads_from_cache"`
	RedisPlainPerS       float64    `json:"redis_plain_per_s"`
	RedisPlainP99Ms      float64    `json:"redis_plain_p99_ms"`
	Lost                 int        `json:"lost"`
	Duplicates           int        `json:"duplicates"`
	RSSMB                float64    `json:"rss_mb"`
	CPUSecondsPer1000    float64    `json:"cpu_seconds_per_1000_vacancies"`
	Alerts               []alertRun `json:"alert_runs"`
}

func run(ctx context.Context, o options, out io.Writer) error {
	meter := progress.New(out)
	res := Results{Candidates: o.candidates,
		Machine: fmt.Sprintf("%s/%s, %d cores, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())}
	rcv, err := newReceiver()
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "starting Redis and the all-in-one...")
	s, err := startSystem(ctx, o.root, o.redisImage)
	defer s.stop()
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.workers}, Timeout: time.Minute}
	var trust struct {
		APIKey struct {
			Key string `json:"key"`
		} `json:"api_key"`
	}
	if err := call(ctx, client, http.MethodPost, s.Ingest+"/v1/trusts", s.Operator,
		map[string]string{"code": "RBENCH", "name": "Benchmark Hospitals NHS Trust"}, &trust); err != nil {
		return err
	}
	key := trust.APIKey.Key
	cands, err := signUp(ctx, s, client, rcv.URL, o.candidates, o.workers, meter)
	if err != nil {
		return fmt.Errorf("population: %w", err)
	}
	rcv.setCandidates(cands)
	groups := o.candidates / GroupSize
	if err := settle(ctx, s, 2*time.Minute); err != nil {
		return err
	}
	u, err := s.usage()
	if err != nil {
		return err
	}
	res.RSSMB = float64(u.RSSBytes) / (1 << 20)
	fmt.Fprintf(out, "population loaded: %d candidates; all-in-one resident memory %.0f MiB\n", o.candidates, res.RSSMB)

	// 1. Ingest, and its floor on the same server.
	now := time.Now()
	single := vacancyBodies("S", o.ingest, nowhere, now)
	res.IngestPerS, _ = closedLoop("posting one at a time", targets(http.MethodPost, s.Ingest+"/v1/vacancies", key, "application/json", single),
		o.workers, o.ingest, meter, func(r *vegeta.Result) int { return boolInt(r.Code == http.StatusCreated) })
	const batch = 500
	var bulks [][]byte
	lines := vacancyBodies("B", o.ingest, nowhere, now)
	for i := 0; i < len(lines); i += batch {
		var b []byte
		for _, l := range lines[i:min(i+batch, len(lines))] {
			b = append(append(b, l...), '\n')
		}
		bulks = append(bulks, b)
	}
	res.IngestBulkPerS, _ = closedLoop("posting in bulk", targets(http.MethodPost, s.Ingest+"/v1/vacancies/bulk", key, "application/x-ndjson", bulks),
		4, len(bulks), meter, func(r *vegeta.Result) int {
			var a struct {
				Accepted int `json:"accepted"`
			}
			if r.Code/100 != 2 || json.Unmarshal(r.Body, &a) != nil {
				return 0
			}
			return a.Accepted
		})
	// The floor runs on a server of its own, as the all-in-one's runs
	// (file store, this machine): no user of the all-in-one's server may
	// make streams of its own.
	floor, err := natsserver.Start(natsserver.Config{StoreDir: filepath.Join(s.dir, "floor"), Port: -1}, nil)
	if err != nil {
		return err
	}
	defer func() {
		floor.Shutdown()
		floor.WaitForShutdown()
	}()
	nc, err := nats.Connect(floor.ClientURL())
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "publishing the same payloads straight to JetStream (a server of its own)...")
	if res.JetStreamSyncPerS, err = publishFloor(ctx, js, "BENCH_SYNC", single, o.workers, false); err != nil {
		return err
	}
	if res.JetStreamAsyncPerS, err = publishFloor(ctx, js, "BENCH_ASYNC", single, o.workers, true); err != nil {
		return err
	}
	if err := settle(ctx, s, 2*time.Minute); err != nil {
		return err
	}

	// 2. Alert latency at fixed rates, and the bare pipeline's.
	first := 0
	var cpu time.Duration
	var posted int
	profilePath := filepath.Join(filepath.Dir(o.out), "e2e-cpu.pprof")
	var top string
	for _, p := range []struct {
		rate int
		dur  time.Duration
	}{{100, o.dur100}, {1000, o.dur1000}} {
		// The all-in-one's CPU profile while it takes the heaviest load,
		// to show where the time goes.
		profiled := make(chan string, 1)
		if p.rate == 1000 {
			go func() {
				t, err := s.profile(ctx, p.dur, profilePath)
				if err != nil {
					t = "no profile: " + err.Error()
				}
				profiled <- t
			}()
		} else {
			profiled <- ""
		}
		r, err := alertPhase(ctx, s, rcv, key, p.rate, p.dur, groups, first, meter)
		if err != nil {
			return err
		}
		if t := <-profiled; t != "" {
			top = t
		}
		first += r.Posted
		res.Alerts = append(res.Alerts, r)
		res.Lost += r.Lost
		res.Duplicates = r.Duplicates
		cpu += r.CPU
		posted += r.Posted
		fmt.Fprintf(out, "at %d/s: %d posted, %d alerts expected, %d delivered, %d lost, %d duplicates, p50 %.1f ms, p99 %.1f ms\n",
			p.rate, r.Posted, r.Expected, r.Delivered, r.Lost, r.Duplicates, r.Latency.P50, r.Latency.P99)
		if err := settle(ctx, s, 2*time.Minute); err != nil {
			return err
		}
	}
	a100, a1000 := res.Alerts[0].Latency, res.Alerts[1].Latency
	res.AlertP50Ms100, res.AlertP90Ms100, res.AlertP99Ms100, res.AlertMaxMs100 = a100.P50, a100.P90, a100.P99, a100.Max
	res.AlertP50Ms1000, res.AlertP90Ms1000, res.AlertP99Ms1000, res.AlertMaxMs1000 = a1000.P50, a1000.P90, a1000.P99, a1000.Max
	res.CPUSecondsPer1000 = cpu.Seconds() / float64(max(posted, 1)) * 1000
	fmt.Fprintln(out, "the bare pipeline at 100 a second...")
	bare, err := barePhase(ctx, nc, rcv, 100, o.dur100)
	if err != nil {
		return err
	}
	res.BarePipelineP50Ms100, res.BarePipelineP99Ms100 = bare.P50, bare.P99

	// 3. Match reads, and plain Redis.
	matched := cands[:min(len(cands), first*GroupSize)]
	fmt.Fprintln(out, "reading matches, then the same Redis commands plainly...")
	reads, readLat, fromCache := readMatches(s, matched, o.workers, o.readFor)
	res.MatchReadsPerS, res.MatchReadP99Ms, res.MatchReadsFromCache = reads, readLat.P99, fromCache
	plain, plainLat, err := redisFloor(ctx, s.RedisAddr, o.workers, o.readFor)
	if err != nil {
		return err
	}
	res.RedisPlainPerS, res.RedisPlainP99Ms = plain, plainLat.P99

	report(out, res)
	fmt.Fprintf(out, "\nThe all-in-one's CPU profile at 1,000 vacancies a second (%s):\n%s", profilePath, top)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	data, _ := json.MarshalIndent(res, "", "  ")
	return os.WriteFile(o.out, append(data, '\n'), 0o644)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// settle waits until no durable consumer has work left, bar reminders that
// wait on purpose.
func settle(ctx context.Context, s *system, within time.Duration) error {
	opts, err := s.natsAs("dashboard")
	if err != nil {
		return err
	}
	nc, err := nats.Connect(s.NATSURL, opts...)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(within)
	for {
		busy := false
		streams := js.ListStreams(ctx)
		for st := range streams.Info() {
			stream, err := js.Stream(ctx, st.Config.Name)
			if err != nil {
				return err
			}
			for c := range stream.ListConsumers(ctx).Info() {
				busy = busy || c.NumPending > 0 || c.NumAckPending > 0
			}
		}
		if !busy {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the system did not settle in %s", within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func report(out io.Writer, r Results) {
	pct := func(a, b float64) string { return fmt.Sprintf("%.0f %%", 100*a/max(b, 1e-9)) }
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Fprintf(out, "\nEnd to end on %s, %d candidates\n", r.Machine, r.Candidates)
	fmt.Fprintf(out, "%-44s %12s %12s %10s %s\n", "", "system", "floor", "ratio", "target")
	fmt.Fprintf(out, "%-44s %12.0f %12.0f %10s %s (≥ 50 %% of sync publish)\n", "ingest, single posts /s (vs sync publish)", r.IngestPerS, r.JetStreamSyncPerS, pct(r.IngestPerS, r.JetStreamSyncPerS), mark(r.IngestPerS >= 0.5*r.JetStreamSyncPerS))
	fmt.Fprintf(out, "%-44s %12.0f %12.0f %10s %s (≥ 100 %% of sync publish)\n", "ingest, bulk /s (vs sync publish)", r.IngestBulkPerS, r.JetStreamSyncPerS, pct(r.IngestBulkPerS, r.JetStreamSyncPerS), mark(r.IngestBulkPerS >= r.JetStreamSyncPerS))
	fmt.Fprintf(out, "%-44s %12s %12.0f\n", "  async publish /s", "", r.JetStreamAsyncPerS)
	fmt.Fprintf(out, "%-44s %12.1f %12.1f %10s %s (≤ 3× the bare pipeline)\n", "alert p50 ms at 100/s (vs bare pipeline)", r.AlertP50Ms100, r.BarePipelineP50Ms100, fmt.Sprintf("%.1f×", r.AlertP50Ms100/max(r.BarePipelineP50Ms100, 1e-9)), mark(r.AlertP50Ms100 <= 3*r.BarePipelineP50Ms100))
	fmt.Fprintf(out, "%-44s %12.1f %12.1f %10s %s (≤ 50 ms)\n", "alert p99 ms at 100/s", r.AlertP99Ms100, r.BarePipelineP99Ms100, "", mark(r.AlertP99Ms100 <= 50))
	fmt.Fprintf(out, "%-44s %12s p90 %.1f, max %.1f\n", "", "", r.AlertP90Ms100, r.AlertMaxMs100)
	fmt.Fprintf(out, "%-44s %12.1f %12s %10s\n", "alert p50 ms at 1,000/s", r.AlertP50Ms1000, "", "")
	fmt.Fprintf(out, "%-44s %12.1f %12s %10s %s (≤ 250 ms)\n", "alert p99 ms at 1,000/s", r.AlertP99Ms1000, "", "", mark(r.AlertP99Ms1000 <= 250))
	fmt.Fprintf(out, "%-44s %12s p90 %.1f, max %.1f\n", "", "", r.AlertP90Ms1000, r.AlertMaxMs1000)
	fmt.Fprintf(out, "%-44s %12.0f %12.0f %10s %s (≥ 25 %% of plain Redis)\n", "match reads /s (vs the same Redis commands)", r.MatchReadsPerS, r.RedisPlainPerS, pct(r.MatchReadsPerS, r.RedisPlainPerS), mark(r.MatchReadsPerS >= 0.25*r.RedisPlainPerS))
	fmt.Fprintf(out, "%-44s %12.1f %12.1f   (%.0f %% from the cache)\n", "match read p99 ms", r.MatchReadP99Ms, r.RedisPlainP99Ms, 100*r.MatchReadsFromCache)
	fmt.Fprintf(out, "%-44s %12d %12s %10s %s (0)\n", "alerts lost", r.Lost, "", "", mark(r.Lost == 0))
	fmt.Fprintf(out, "%-44s %12d %12s %10s %s (0)\n", "alerts doubled", r.Duplicates, "", "", mark(r.Duplicates == 0))
	fmt.Fprintf(out, "%-44s %12.0f\n", "all-in-one resident memory, MiB", r.RSSMB)
	fmt.Fprintf(out, "%-44s %12.2f\n", "CPU seconds per 1,000 vacancies end to end", r.CPUSecondsPer1000)
}
