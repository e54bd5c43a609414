package serve

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/pkg/buildinfo"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/telemetry"
)

// Wired is one service ready to run: its API, its lifecycle and its
// connection to NATS, drained last.
type Wired struct {
	API  API
	Unit Unit
	// Conn is the service's NATS connection; nil for one that needs none.
	Conn *nats.Conn
}

// WireFunc builds a service from the environment, with the process's
// tracer provider. It calls env.Err after reading its configuration.
type WireFunc func(ctx context.Context, env *config.Reader, log *slog.Logger, tracer trace.TracerProvider) (Wired, error)

// Main runs one service as a process until SIGINT or SIGTERM, and exits
// once: 0 after a clean shut-down, 1 if anything failed. It reads LOG_LEVEL
// and LOG_FORMAT; wire reads the rest.
func Main(name string, wire WireFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := runMain(ctx, name, wire)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func runMain(ctx context.Context, name string, wire WireFunc) error {
	if len(os.Args) > 1 {
		return fmt.Errorf("no arguments expected; configure with the environment")
	}
	env := config.NewReader(os.LookupEnv)
	log, err := logging.New(os.Stderr, logging.ConfigFromEnv(env))
	if err != nil {
		return err
	}
	log = log.With("service", name)
	tracing, err := telemetry.NewTracing(ctx, telemetry.ConfigFromEnv(env), name, buildinfo.String())
	if err != nil {
		return err
	}
	defer tracing.Flush(ctx, log)
	w, err := wire(ctx, env, log, tracing.Provider)
	if err != nil {
		return err
	}
	var conns []*nats.Conn
	// A service that needs no NATS (web) wires none.
	if w.Conn != nil {
		conns = append(conns, w.Conn)
	}
	return Run(ctx, log, Process{
		APIs:      []API{w.API},
		Units:     []Unit{w.Unit},
		Conns:     conns,
		Listening: func(name, addr string) { log.Info("listening", "api", name, "addr", addr) },
	})
}
