package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/pkg/logging"
)

func TestRequestIDOnEveryLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, err := logging.New(&buf, logging.Config{Level: "debug"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := logging.WithRequestID(context.Background(), "req-1")
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}))
	log.With("service", "ingest").InfoContext(ctx, "posted", "vacancy", "v1")

	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %q", buf.String())
	}
	for k, want := range map[string]string{"request_id": "req-1", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "service": "ingest", "vacancy": "v1"} {
		if line[k] != want {
			t.Errorf("%s = %v, want %s", k, line[k], want)
		}
	}
}

func TestBadConfig(t *testing.T) {
	t.Parallel()
	if _, err := logging.New(&bytes.Buffer{}, logging.Config{Level: "loud"}); err == nil {
		t.Error("level loud accepted")
	}
	if _, err := logging.New(&bytes.Buffer{}, logging.Config{Format: "xml"}); err == nil {
		t.Error("format xml accepted")
	}
}
