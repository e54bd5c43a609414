package telemetry_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/telemetry"
)

// receiver is an OTLP/HTTP trace receiver: it decodes each protobuf
// ExportTraceServiceRequest POSTed to it, as a collector does, and keeps
// the path it came to and the spans.
type receiver struct {
	*httptest.Server
	got chan export
}

type export struct {
	path    string
	service string
	spans   []*tracepb.Span
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{got: make(chan export, 16)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		data, err := io.ReadAll(body)
		var msg coltracepb.ExportTraceServiceRequest
		if err != nil || req.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(data, &msg) != nil {
			http.Error(w, "not an OTLP protobuf export", http.StatusBadRequest)
			return
		}
		for _, rs := range msg.GetResourceSpans() {
			e := export{path: req.URL.Path}
			for _, a := range rs.GetResource().GetAttributes() {
				if a.GetKey() == "service.name" {
					e.service = a.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				e.spans = append(e.spans, ss.GetSpans()...)
			}
			r.got <- e
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

// TestSpansReachACollector: with OTEL_EXPORTER_OTLP_ENDPOINT set to a
// collector's base URL, as the specification has it, spans are POSTed to
// its /v1/traces and arrive whole, under the service's name.
func TestSpansReachACollector(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	for _, c := range []struct {
		name string
		env  map[string]string
	}{
		{"base URL", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL}},
		{"base URL with a slash", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL + "/"}},
		{"traces URL", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rcv.URL + "/v1/traces", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://unused.invalid"}},
	} {
		cfg := telemetry.ConfigFromEnv(config.NewReader(config.Map(c.env)))
		tr, err := telemetry.NewTracing(context.Background(), cfg, "ingest", "0.1.0")
		if err != nil {
			t.Fatal(err)
		}
		_, span := telemetry.Tracer(tr.Provider, "ingest").Start(context.Background(), "POST /v1/vacancies")
		span.End()
		if err := tr.Shutdown(context.Background()); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		e := <-rcv.got
		if e.path != "/v1/traces" || e.service != "ingest" || len(e.spans) != 1 || e.spans[0].GetName() != "POST /v1/vacancies" {
			t.Errorf("%s: the collector got %d spans at %s from %q", c.name, len(e.spans), e.path, e.service)
		}
	}
}

func TestOffWithoutAnEndpoint(t *testing.T) {
	t.Parallel()
	cfg := telemetry.ConfigFromEnv(config.NewReader(config.Map(nil)))
	if cfg.OTLPEndpoint != "" {
		t.Fatalf("endpoint %q with nothing set", cfg.OTLPEndpoint)
	}
	tr, err := telemetry.NewTracing(context.Background(), cfg, "ingest", "0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, span := telemetry.Tracer(tr.Provider, "x").Start(context.Background(), "x"); span.SpanContext().IsValid() {
		t.Error("a span recorded with tracing off")
	}
}
