// Command matching runs the matching service on its own.
package main

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/serve"
	"github.com/clinjobs/clinjobs/services/matching"
)

func main() {
	serve.Main(matching.Name, func(ctx context.Context, env *config.Reader, log *slog.Logger, tracer trace.TracerProvider) (serve.Wired, error) {
		cfg, err := matching.ConfigFromEnv(env)
		if err != nil {
			return serve.Wired{}, err
		}
		if err := env.Err(); err != nil {
			return serve.Wired{}, err
		}
		nc, err := bus.Connect(ctx, cfg.NATS, log)
		if err != nil {
			return serve.Wired{}, err
		}
		svc, err := matching.New(ctx, cfg, matching.Deps{Log: log, NC: nc, Metrics: serve.NewRegistry(), Tracer: tracer})
		if err != nil {
			nc.Close()
			return serve.Wired{}, err
		}
		return serve.Wired{API: serve.API{Name: matching.Name, Addr: cfg.HTTPAddr, Handler: svc.Handler()}, Unit: svc, Conn: nc}, nil
	})
}
