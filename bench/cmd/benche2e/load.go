package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/clinjobs/clinjobs/bench/progress"
)

// Latencies summarises a histogram, in ms.
type Latencies struct {
	P50, P90, P99, Max float64
	Count              int64
}

func summarise(h *hdrhistogram.Histogram) Latencies {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Latencies{P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)), P99: ms(h.ValueAtQuantile(99)),
		Max: ms(h.Max()), Count: h.TotalCount()}
}

func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(5*time.Minute/time.Microsecond), 3)
}

// targets hands out the bodies in order, then stops the attack.
func targets(method, url, bearer, contentType string, bodies [][]byte) vegeta.Targeter {
	var next atomic.Int64
	header := http.Header{"Content-Type": {contentType}}
	if bearer != "" {
		header.Set("Authorization", "Bearer "+bearer)
	}
	return func(t *vegeta.Target) error {
		i := int(next.Add(1) - 1)
		if bodies != nil && i >= len(bodies) {
			return vegeta.ErrNoTargets
		}
		t.Method, t.URL, t.Header = method, url, header
		if bodies != nil {
			t.Body = bodies[i]
		}
		return nil
	}
}

// closedLoop runs the bodies through workers clients as fast as they are
// answered and returns the answers a second, and the failures.
func closedLoop(name string, tr vegeta.Targeter, workers int, n int, meter *progress.Meter, ok func(*vegeta.Result) int) (float64, int) {
	atk := vegeta.NewAttacker(vegeta.Workers(uint64(workers)), vegeta.MaxWorkers(uint64(workers)), vegeta.KeepAlive(true),
		vegeta.Connections(workers), vegeta.Timeout(60*time.Second))
	start := time.Now()
	good, bad, done := 0, 0, 0
	for res := range atk.Attack(tr, vegeta.Rate{Freq: 0}, 0, name) {
		if k := ok(res); k > 0 {
			good += k
		} else {
			bad++
		}
		done++
		meter.Tick(name, done, n)
	}
	return float64(good) / time.Since(start).Seconds(), bad
}

// vacancyBodies returns n vacancies, the i'th sited at(i).
func vacancyBodies(prefix string, n int, at func(i int) (float64, float64), now time.Time) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		lat, lon := at(i)
		out[i], _ = json.Marshal(vacancyInput(prefix+strconv.Itoa(i), lat, lon, now))
	}
	return out
}

func nowhere(int) (float64, float64) { return nowhereLat, nowhereLon }

// publishFloor publishes the bodies straight to a stream configured as the
// vacancies bucket's, with workers publishers, synchronously or
// asynchronously, and returns the messages a second.
func publishFloor(ctx context.Context, js jetstream.JetStream, name string, bodies [][]byte, workers int, async bool) (float64, error) {
	kv, err := js.Stream(ctx, "KV_vacancies")
	if err != nil {
		return 0, err
	}
	info, err := kv.Info(ctx)
	if err != nil {
		return 0, err
	}
	cfg := info.Config
	cfg.Name, cfg.Subjects = name, []string{name + ".>"}
	cfg.MaxMsgsPerSubject = -1 // each message its own subject below, as each vacancy is its own key
	if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return 0, err
	}
	defer func() { _ = js.DeleteStream(context.WithoutCancel(ctx), name) }()
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var futures []jetstream.PubAckFuture
			for {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					break
				}
				subject := name + "." + strconv.Itoa(i)
				msgID := jetstream.WithMsgID(name + strconv.Itoa(i))
				if async {
					f, err := js.PublishAsync(subject, bodies[i], msgID)
					if err != nil {
						once.Do(func() { firstErr = err })
						return
					}
					futures = append(futures, f)
					continue
				}
				if _, err := js.Publish(ctx, subject, bodies[i], msgID); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
			for _, f := range futures {
				select {
				case <-f.Ok():
				case err := <-f.Err():
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	return float64(len(bodies)) / time.Since(start).Seconds(), firstErr
}

// alertRun is what one alert-latency phase measured.
type alertRun struct {
	Rate                           int
	Posted, Expected, Delivered    int
	Lost, Duplicates, PostFailures int
	Latency                        Latencies
	CPU                            time.Duration
}

// alertPhase posts vacancies at a fixed rate, scheduled by the clock
// (vegeta's constant pacer: a slow answer does not delay the next post),
// each sited at one group's place, and measures from the moment each POST
// returned to each alert's arrival.
func alertPhase(ctx context.Context, s *system, rcv *receiver, key string, rate int, dur time.Duration, groups, first int, meter *progress.Meter) (alertRun, error) {
	n := int(dur.Seconds()) * rate
	now := time.Now()
	bodies := make([][]byte, n)
	for i := range bodies {
		lat, lon := place((first + i) % groups)
		bodies[i], _ = json.Marshal(vacancyInput(fmt.Sprintf("A%d-%d", rate, i), lat, lon, now))
	}
	before, err := s.usage()
	if err != nil {
		return alertRun{}, err
	}
	atk := vegeta.NewAttacker(vegeta.Workers(64), vegeta.MaxWorkers(4096), vegeta.KeepAlive(true), vegeta.Timeout(60*time.Second))
	returned := map[string]time.Time{}
	run := alertRun{Rate: rate}
	done := 0
	name := fmt.Sprintf("posting at %d a second", rate)
	for res := range atk.Attack(targets(http.MethodPost, s.Ingest+"/v1/vacancies", key, "application/json", bodies),
		vegeta.Rate{Freq: rate, Per: time.Second}, dur+5*time.Second, name) {
		done++
		meter.Tick(name, done, n)
		var out struct {
			ID string `json:"id"`
		}
		if res.Code != http.StatusCreated || json.Unmarshal(res.Body, &out) != nil {
			run.PostFailures++
			continue
		}
		returned[out.ID] = res.End()
		run.Posted++
	}
	run.Expected = run.Posted * GroupSize
	// Let the last alerts in: until all have come, or none for 20 s.
	last, lastChange := -1, time.Now()
	for got := rcv.count(); got < run.Expected && time.Since(lastChange) < 20*time.Second; got = rcv.count() {
		if got != last {
			last, lastChange = got, time.Now()
		}
		meter.Tick("alerts arriving", got, run.Expected)
		select {
		case <-ctx.Done():
			return run, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	after, err := s.usage()
	if err != nil {
		return run, err
	}
	run.CPU = after.CPU - before.CPU
	arrived, dups := rcv.take()
	h := newHistogram()
	perVacancy := map[string]int{}
	for _, a := range arrived {
		at, ok := returned[a.Vacancy]
		if !ok {
			continue // not one of this phase's
		}
		perVacancy[a.Vacancy]++
		h.RecordValue(max(a.At.Sub(at).Microseconds(), 1))
	}
	for _, n := range perVacancy {
		run.Delivered += n
	}
	run.Lost, run.Duplicates, run.Latency = run.Expected-run.Delivered, dups, summarise(h)
	return run, nil
}

// barePhase is the floor of alertPhase: publish → durable consumer → HTTP
// POST, with no logic, at the same rate, measured from the publish (the
// consumer often has the message before the publisher has its
// acknowledgement) to the POST's arrival.
func barePhase(ctx context.Context, nc *nats.Conn, rcv *receiver, rate int, dur time.Duration) (Latencies, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return Latencies{}, err
	}
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "BENCH_BARE", Subjects: []string{"benchbare.>"}, Storage: jetstream.FileStorage})
	if err != nil {
		return Latencies{}, err
	}
	defer func() { _ = js.DeleteStream(context.WithoutCancel(ctx), "BENCH_BARE") }()
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "bare", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 1024})
	if err != nil {
		return Latencies{}, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		go func() {
			resp, err := client.Post(rcv.URL+"/bare/"+string(m.Data()), "application/json", bytes.NewReader(m.Data()))
			if err == nil {
				resp.Body.Close()
				_ = m.Ack()
				return
			}
			_ = m.Nak()
		}()
	})
	if err != nil {
		return Latencies{}, err
	}
	defer cc.Stop()
	n := int(dur.Seconds()) * rate
	sent := make([]time.Time, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		// Scheduled by the clock: each publish at its time, whatever the
		// previous one is doing.
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := strconv.Itoa(i)
			at := time.Now()
			if _, err := js.Publish(ctx, "benchbare."+id, []byte(id)); err == nil {
				sent[i] = at
			}
		}()
	}
	wg.Wait()
	h := newHistogram()
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < n && time.Now().Before(deadline); {
		at, ok := rcv.bareArrival(strconv.Itoa(i))
		if !ok {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if !sent[i].IsZero() {
			h.RecordValue(max(at.Sub(sent[i]).Microseconds(), 1))
		}
		i++
	}
	return summarise(h), nil
}

// readMatches reads candidates' first page of matches with workers
// clients for dur; it returns the reads a second, the p99 and how many
// were answered from the cache.
func readMatches(s *system, cands []candidate, workers int, dur time.Duration) (float64, Latencies, float64) {
	var next atomic.Int64
	tr := func(t *vegeta.Target) error {
		c := cands[int(next.Add(1)-1)%len(cands)]
		t.Method, t.URL = http.MethodGet, s.Matching+"/v1/candidates/"+c.ID+"/matches?limit=20"
		t.Header = http.Header{"Authorization": {"Bearer " + c.Token}}
		return nil
	}
	atk := vegeta.NewAttacker(vegeta.Workers(uint64(workers)), vegeta.MaxWorkers(uint64(workers)), vegeta.KeepAlive(true),
		vegeta.Connections(workers), vegeta.MaxBody(0))
	h := newHistogram()
	ok, cached := 0, 0
	start := time.Now()
	for res := range atk.Attack(tr, vegeta.Rate{Freq: 0}, dur, "match reads") {
		if res.Code != http.StatusOK {
			continue
		}
		ok++
		if res.Headers.Get("X-Match-Source") == "cache" {
			cached++
		}
		h.RecordValue(max(res.Latency.Microseconds(), 1))
	}
	return float64(ok) / time.Since(start).Seconds(), summarise(h), float64(cached) / float64(max(ok, 1))
}

// redisFloor runs the commands a match read sends (ZCARD and ZRANGE WITH
// SCORES of a candidate's key, pipelined) on the same server, with the
// same number of clients, for dur.
func redisFloor(ctx context.Context, addr string, workers int, dur time.Duration) (float64, Latencies, error) {
	client := redis.NewClient(&redis.Options{Addr: addr, PoolSize: workers})
	defer client.Close()
	keys, _, err := client.Scan(ctx, 0, "cj:m:c*", 1000).Result()
	if err != nil {
		return 0, Latencies{}, err
	}
	if len(keys) == 0 {
		return 0, Latencies{}, fmt.Errorf("no candidate match lists in Redis")
	}
	var total atomic.Int64
	var mu sync.Mutex
	h := newHistogram()
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := newHistogram()
			for i := w; time.Since(start) < dur; i += workers {
				key := keys[i%len(keys)]
				t0 := time.Now()
				pipe := client.Pipeline()
				pipe.ZCard(ctx, key)
				pipe.ZRangeWithScores(ctx, key, 0, 20)
				if _, err := pipe.Exec(ctx); err != nil {
					continue
				}
				local.RecordValue(max(time.Since(t0).Microseconds(), 1))
				total.Add(1)
			}
			mu.Lock()
			h.Merge(local)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return float64(total.Load()) / time.Since(start).Seconds(), summarise(h), nil
}
