package allinone_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/services/clinjobs/allinone"
	"github.com/clinjobs/clinjobs/services/clinjobs/e2etest"
)

// TestOneTraceFromPostToAlert follows one trace id: the trust's POST
// carries a traceparent, and the same trace id reaches the webhook receiver
// in the alert's traceparent, with spans from ingest, matching and
// notification along the way. Then every service's /metrics is scraped and
// read with Prometheus's own parser.
func TestOneTraceFromPostToAlert(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	sys, api := startWith(t, allinone.Config{Tracer: provider})

	var mu sync.Mutex
	var parents []string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		parents = append(parents, r.Header.Get("traceparent"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)
	key := api.CreateTrust(t, "RTH", "Oxford University Hospitals")
	id, token := api.SignUp(t, e2etest.Candidate("t@example.org", e2etest.ManchesterRI, 40))
	api.SubscribeWebhook(t, id, token, rcv.URL)

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	resp, err := api.Try(http.MethodPost, api.Ingest+"/v1/vacancies", key,
		e2etest.Vacancy("TR-1", e2etest.ManchesterRI, time.Now(), 14*24*time.Hour),
		http.Header{"Traceparent": {"00-" + traceID + "-00f067aa0ba902b7-01"}})
	if err != nil || resp.Status != http.StatusCreated {
		t.Fatalf("post: %v %d %s", err, resp.Status, resp.Body)
	}
	e2etest.Eventually(t, 20*time.Second, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(parents) == 1, "the alert"
	})
	e2etest.Settled(t, sys.NATSURL(), 20*time.Second, e2etest.NATSAs(t, sys.SecretsDir(), "dashboard")...)
	mu.Lock()
	got := parents[0]
	mu.Unlock()
	if parts := strings.Split(got, "-"); len(parts) != 4 || parts[1] != traceID {
		t.Fatalf("the alert's traceparent %q is not of trace %s", got, traceID)
	}
	scopes := map[string]int{}
	var names []string
	for _, s := range spans.Ended() {
		if s.SpanContext().TraceID().String() != traceID {
			continue
		}
		scope := s.InstrumentationScope().Name
		scopes[scope[strings.LastIndexByte(scope, '/')+1:]]++
		names = append(names, s.Name())
		if s.SpanKind() == trace.SpanKindConsumer && !s.Parent().IsValid() {
			t.Errorf("span %s has no parent: the trace broke there", s.Name())
		}
	}
	for _, svc := range []string{"ingest", "matching", "notification"} {
		if scopes[svc] == 0 {
			t.Errorf("no span of %s in the trace; spans: %v", svc, names)
		}
	}
	if scopes["notification"] < 2 {
		t.Errorf("notification should show the fan-out and the delivery; spans: %v", names)
	}

	for _, m := range []struct {
		service, family string
		labels          map[string]string
		atLeast         float64
	}{
		{"ingest", "http_requests_total", map[string]string{"route": "/v1/vacancies", "method": "POST", "status": "201"}, 1},
		{"ingest", "http_request_duration_seconds", map[string]string{"route": "/v1/vacancies"}, 1},
		{"matching", "matching_matches_found_total", nil, 1},
		{"matching", "jetstream_consume_duration_seconds", nil, 1},
		{"notification", "notification_deliveries_total", map[string]string{"channel": "webhook", "kind": "alert", "outcome": "sent"}, 1},
		{"notification", "notification_send_seconds", map[string]string{"channel": "webhook", "outcome": "ok"}, 1},
		{"notification", "jetstream_consume_total", nil, 2},
	} {
		if v := scrape(t, sys.URL(m.service)+"/metrics", m.family, m.labels); v < m.atLeast {
			t.Errorf("%s %s%v = %v, want at least %v", m.service, m.family, m.labels, v, m.atLeast)
		}
	}
}

// scrape reads a family from a /metrics page and sums the samples whose
// labels include labels: counter values, or histogram sample counts.
func scrape(t *testing.T, url, family string, labels map[string]string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	f, ok := families[family]
	if !ok {
		return 0
	}
	sum := 0.0
	for _, m := range f.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			sum += m.GetCounter().GetValue()
		case m.GetHistogram() != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.GetGauge() != nil:
			sum += m.GetGauge().GetValue()
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}
