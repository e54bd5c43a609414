//go:build faults

package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/testwait"
	"github.com/clinjobs/clinjobs/services/clinjobs/e2etest"
)

// Rate and Vacancies shape each scenario's stream: Vacancies posted at
// Rate a second, each matching every one of Candidates.
const (
	Rate       = 10
	Vacancies  = 150
	Candidates = 5
)

// result is one scenario's line of bench/results/faults.json.
type result struct {
	Scenario   string  `json:"scenario"`
	Accepted   int     `json:"accepted"`
	Expected   int     `json:"expected"`
	Delivered  int     `json:"delivered"`
	Duplicates int     `json:"duplicates"`
	Lost       int     `json:"lost"`
	Settle     float64 `json:"seconds_to_settle"`
}

// fault breaks something and returns how to mend it.
type fault func(ctx context.Context, t *testing.T, st *stack) (mend func())

func stopFor(name string) fault {
	return func(ctx context.Context, t *testing.T, st *stack) func() {
		c := st.containers[name]
		timeout := 10 * time.Second
		if err := c.Stop(ctx, &timeout); err != nil {
			t.Fatalf("stop %s: %v", name, err)
		}
		// Mended from another goroutine: Errorf, not Fatalf.
		return func() {
			if err := c.Start(ctx); err != nil {
				t.Errorf("start %s: %v\n%s", name, err, logsOf(ctx, c))
			}
		}
	}
}

func killed(name string) fault {
	return func(ctx context.Context, t *testing.T, st *stack) func() {
		c := st.containers[name]
		// SIGKILL: no draining, no goodbye.
		timeout := time.Duration(0)
		if err := c.Stop(ctx, &timeout); err != nil {
			t.Fatalf("kill %s: %v", name, err)
		}
		return func() {
			if err := c.Start(ctx); err != nil {
				t.Errorf("start %s: %v\n%s", name, err, logsOf(ctx, c))
			}
		}
	}
}

func logsOf(ctx context.Context, c interface {
	Logs(context.Context) (io.ReadCloser, error)
}) string {
	r, err := c.Logs(ctx)
	if err != nil {
		return err.Error()
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func TestFaults(t *testing.T) {
	st := startStack(t)
	rcv := e2etest.NewReceiver(t, "0.0.0.0:0")
	var results []result
	for _, sc := range []struct {
		name  string
		fault fault
		hold  time.Duration
	}{
		{"one NATS node stopped, then started", stopFor("nats-2"), 5 * time.Second},
		{"matching killed and restarted", killed("matching-1"), 3 * time.Second},
		{"notification killed and restarted", killed("notification-1"), 3 * time.Second},
		{"ingest killed and restarted", killed("ingest"), 3 * time.Second},
		{"Redis stopped, then started empty", stopFor("redis"), 20 * time.Second},
	} {
		r := runScenario(t, st, rcv, len(results), sc.name, sc.fault, sc.hold)
		results = append(results, r)
		t.Logf("%-40s accepted %4d, expected %5d, delivered %5d, duplicates %d, lost %d, settled in %.1fs",
			r.Scenario, r.Accepted, r.Expected, r.Delivered, r.Duplicates, r.Lost, r.Settle)
		fmt.Printf("%-40s accepted %4d, expected %5d, delivered %5d, duplicates %d, lost %d, settled in %.1fs\n",
			r.Scenario, r.Accepted, r.Expected, r.Delivered, r.Duplicates, r.Lost, r.Settle)
		if r.Lost != 0 || r.Duplicates != 0 {
			t.Errorf("%s: %d lost, %d duplicates", r.Scenario, r.Lost, r.Duplicates)
		}
	}
	out := filepath.Join("..", "..", "..", "bench", "results", "faults.json")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	data, _ := json.MarshalIndent(results, "", "  ")
	if err := os.WriteFile(out, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runScenario signs up fresh candidates at a place of their own, posts a
// steady stream of vacancies there, breaks something midway, mends it after
// hold, and checks what arrived.
func runScenario(t *testing.T, st *stack, rcv *e2etest.Receiver, n int, name string, f fault, hold time.Duration) result {
	t.Helper()
	ctx := context.Background()
	api := e2etest.API{Ingest: st.currentIngest(), OperatorKey: operatorKey}
	notify := endpoint(t, st.containers["notification-2"], "8082/tcp", "http")
	api.Notification = notify
	tag := fmt.Sprintf("s%d", n)
	key := api.CreateTrust(t, fmt.Sprintf("FLT%d", n), "Fault Suite Trust "+tag)
	// Each scenario at a place of its own, 50 km from the next: its
	// vacancies match only its candidates.
	place := e2etest.Place{Lat: 50.5 + float64(n)*0.5, Lon: -3.0}
	before := len(rcv.Alerts())
	for i := range Candidates {
		hook := fmt.Sprintf("%s-%d", tag, i)
		id, token := api.SignUp(t, e2etest.Candidate(hook+"@faults.example", place, 5))
		_, secret := api.SubscribeWebhook(t, id, token, rcv.URL(st.gateway, hook))
		rcv.SetSecret(t, hook, secret)
	}
	var mu sync.Mutex
	var accepted []string
	var wg sync.WaitGroup
	mended := make(chan struct{})
	start := time.Now()
	for i := range Vacancies {
		// Posts go out on the clock's schedule, not after each answer.
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / Rate)))
		if i == Vacancies/3 {
			mend := f(ctx, t, st)
			go func() {
				defer close(mended)
				time.Sleep(hold) // how long the fault lasts
				mend()
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref := fmt.Sprintf("%s-%d", tag, i)
			if id, ok := post(st, key, ref, place); ok {
				mu.Lock()
				accepted = append(accepted, id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	<-mended
	r := result{Scenario: name, Accepted: len(accepted), Expected: len(accepted) * Candidates}
	settleStart := time.Now()
	// What has not come in four minutes is counted lost, not failed here.
	testwait.For(4*time.Minute, func() bool { return len(rcv.Alerts())-before >= r.Expected })
	e2etest.Settled(t, st.anyNATS(ctx), 3*time.Minute)
	r.Settle = time.Since(settleStart).Seconds()
	want := map[string]bool{}
	for _, id := range accepted {
		want[id] = true
		// Every vacancy that got a 2xx is stored.
		resp, err := api.Try(http.MethodGet, st.currentIngest()+"/v1/vacancies/"+id, "", nil, nil)
		if err != nil || resp.Status != http.StatusOK {
			t.Errorf("%s: accepted vacancy %s not readable: %v %d", name, id, err, resp.Status)
		}
	}
	seen := map[[2]string]int{}
	for _, a := range rcv.Alerts()[before:] {
		if want[a.VacancyID] {
			seen[[2]string{a.CandidateID, a.VacancyID}]++
		}
	}
	for _, n := range seen {
		r.Delivered++
		r.Duplicates += n - 1
	}
	r.Lost = r.Expected - r.Delivered
	return r
}

// post posts one vacancy, retrying with the same Idempotency-Key while the
// system is unreachable or answers 5xx, for up to a minute; it reports the
// id once a 2xx came back.
func post(st *stack, key, ref string, p e2etest.Place) (string, bool) {
	body := e2etest.Vacancy(ref, p, time.Now(), 20*24*time.Hour)
	api := e2etest.API{}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		resp, err := api.Try(http.MethodPost, st.currentIngest()+"/v1/vacancies", key, body, http.Header{"Idempotency-Key": {ref}})
		if err == nil && resp.Status/100 == 2 {
			var out struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(resp.Body, &out) == nil && out.ID != "" {
				return out.ID, true
			}
		}
		if err == nil && resp.Status/100 == 4 && resp.Status != http.StatusTooManyRequests && resp.Status != http.StatusConflict {
			return "", false
		}
		time.Sleep(250 * time.Millisecond)
	}
	return "", false
}
