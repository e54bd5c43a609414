// Command dashboard runs the operators' API on its own.
package main

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/serve"
	"github.com/clinjobs/clinjobs/services/dashboard"
)

func main() {
	serve.Main(dashboard.Name, func(ctx context.Context, env *config.Reader, log *slog.Logger, tracer trace.TracerProvider) (serve.Wired, error) {
		cfg := dashboard.ConfigFromEnv(env)
		if err := env.Err(); err != nil {
			return serve.Wired{}, err
		}
		nc, err := bus.Connect(ctx, cfg.NATS, log)
		if err != nil {
			return serve.Wired{}, err
		}
		svc, err := dashboard.New(ctx, cfg, dashboard.Deps{Log: log, NC: nc, Metrics: serve.NewRegistry(), Tracer: tracer})
		if err != nil {
			nc.Close()
			return serve.Wired{}, err
		}
		return serve.Wired{API: serve.API{Name: dashboard.Name, Addr: cfg.HTTPAddr, Handler: svc.Handler()}, Unit: svc, Conn: nc}, nil
	})
}
