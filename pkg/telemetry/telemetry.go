// Package telemetry traces work across the services with OpenTelemetry: a
// trace starts at the HTTP request that posted a vacancy, travels in the
// headers of every NATS message the work causes (W3C trace context), and
// ends at the alert's delivery, so that one trace shows the whole path.
// Spans are exported over OTLP when an endpoint is configured; otherwise
// tracing costs next to nothing. No global provider is set: each service
// gets its provider as a dependency.
package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/clinjobs/clinjobs/pkg/config"
)

// Config says where spans go.
type Config struct {
	// OTLPEndpoint is the OTLP/HTTP collector's URL for traces, such as
	// http://collector:4318/v1/traces. Empty: tracing is off. Default: empty.
	OTLPEndpoint string
	// SampleRatio is the share of new traces kept, 0 to 1. Default: 1.
	SampleRatio float64
	// SamplerFromEnv leaves the sampler to OTEL_TRACES_SAMPLER and
	// OTEL_TRACES_SAMPLER_ARG, as the OpenTelemetry SDK reads them, instead
	// of SampleRatio. Default: false.
	SamplerFromEnv bool
}

// ConfigFromEnv reads the standard OpenTelemetry variables:
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the traces URL as it is), else
// OTEL_EXPORTER_OTLP_ENDPOINT (the collector's base URL, to which
// /v1/traces is added, as the specification says); OTEL_TRACES_SAMPLER
// (with OTEL_TRACES_SAMPLER_ARG), else OTEL_TRACES_SAMPLE_PERCENT (0 to
// 100, ours). The exporter itself reads OTEL_EXPORTER_OTLP_HEADERS,
// OTEL_EXPORTER_OTLP_TIMEOUT and the like, and the resource
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
func ConfigFromEnv(r *config.Reader) Config {
	ratio := 1.0
	if n := r.Int("OTEL_TRACES_SAMPLE_PERCENT", 100); n >= 0 && n <= 100 {
		ratio = float64(n) / 100
	}
	endpoint := r.String("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	if base := r.String("OTEL_EXPORTER_OTLP_ENDPOINT", ""); endpoint == "" && base != "" {
		endpoint = strings.TrimSuffix(base, "/") + "/v1/traces"
	}
	return Config{OTLPEndpoint: endpoint, SampleRatio: ratio, SamplerFromEnv: r.String("OTEL_TRACES_SAMPLER", "") != ""}
}

// Tracing is the tracer provider of one process.
type Tracing struct {
	Provider trace.TracerProvider
	shutdown func(context.Context) error
}

// NewTracing returns the provider cfg asks for: exporting over OTLP, or a
// no-op one when no endpoint is set.
func NewTracing(ctx context.Context, cfg Config, service, version string) (*Tracing, error) {
	if cfg.OTLPEndpoint == "" {
		return &Tracing{Provider: noop.NewTracerProvider(), shutdown: func(context.Context) error { return nil }}, nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(cfg.OTLPEndpoint))
	if err != nil {
		return nil, fmt.Errorf("otlp exporter %s: %w", cfg.OTLPEndpoint, err)
	}
	// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, where set, win.
	res, err := sdkresource.Merge(sdkresource.NewSchemaless(
		attribute.String("service.name", service),
		attribute.String("service.version", version),
	), sdkresource.Environment())
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp), sdktrace.WithResource(res)}
	if !cfg.SamplerFromEnv {
		opts = append(opts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return &Tracing{Provider: tp, shutdown: tp.Shutdown}, nil
}

// Shutdown flushes the spans not yet exported.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if err := t.shutdown(ctx); err != nil {
		return fmt.Errorf("flush traces: %w", err)
	}
	return nil
}

// Flush sends the spans not yet exported before a process ends, giving
// the collector a few seconds, and logs what it could not send. For a
// deferred call at the end of main.
func (t *Tracing) Flush(ctx context.Context, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil {
		log.Warn("flush traces", "err", err)
	}
}

// Tracer returns the tracer of a component from provider, or a no-op one
// when provider is nil.
func Tracer(provider trace.TracerProvider, component string) trace.Tracer {
	if provider == nil {
		provider = noop.NewTracerProvider()
	}
	return provider.Tracer("github.com/clinjobs/clinjobs/" + component)
}

// propagator carries W3C trace context (traceparent, tracestate).
var propagator = propagation.TraceContext{}

// headerCarrier lets the propagator read and write NATS headers.
type headerCarrier nats.Header

func (c headerCarrier) Get(key string) string { return nats.Header(c).Get(key) }
func (c headerCarrier) Set(key, value string) { nats.Header(c).Set(key, value) }
func (c headerCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// Inject writes the trace context of ctx into a message's headers.
func Inject(ctx context.Context, h nats.Header) { propagator.Inject(ctx, headerCarrier(h)) }

// Extract returns ctx carrying the trace context of a message's headers.
func Extract(ctx context.Context, h nats.Header) context.Context {
	if h == nil {
		return ctx
	}
	return propagator.Extract(ctx, headerCarrier(h))
}

// InjectHTTP writes the trace context of ctx into an outgoing request's headers.
func InjectHTTP(ctx context.Context, h http.Header) {
	propagator.Inject(ctx, propagation.HeaderCarrier(h))
}

// ExtractHTTP returns ctx carrying the trace context of an incoming request.
func ExtractHTTP(ctx context.Context, h http.Header) context.Context {
	return propagator.Extract(ctx, propagation.HeaderCarrier(h))
}

// TraceID returns the id of the trace ctx is in, or "".
func TraceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.HasTraceID() {
		return ""
	}
	return sc.TraceID().String()
}
