// Package logging sets up log/slog for every service: JSON or text lines at a
// chosen level, each carrying the request id and the trace id found in its
// context, so that one request can be followed through every line it caused.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/pkg/config"
)

// Config says how to log.
type Config struct {
	// Level is debug, info, warn or error. Default: info.
	Level string
	// Format is json or text. Default: json.
	Format string
}

func (c *Config) setDefaults() {
	if c.Level == "" {
		c.Level = "info"
	}
	if c.Format == "" {
		c.Format = "json"
	}
}

// New returns a logger writing to w as cfg says.
func New(w io.Writer, cfg Config) (*slog.Logger, error) {
	cfg.setDefaults()
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", cfg.Level, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(cfg.Format) {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: want json or text", cfg.Format)
	}
	return slog.New(contextHandler{h}), nil
}

// Discard returns a logger that writes nothing, for tests that do not read logs.
func Discard() *slog.Logger {
	return slog.New(slog.DiscardHandler)
}

type ctxKey int

const requestIDKey ctxKey = 0

// WithRequestID returns ctx carrying the id of the request being served.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// contextHandler adds the request and trace ids a context carries to each record.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// ConfigFromEnv reads LOG_LEVEL and LOG_FORMAT.
func ConfigFromEnv(r *config.Reader) Config {
	return Config{Level: r.String("LOG_LEVEL", "info"), Format: r.String("LOG_FORMAT", "json")}
}
