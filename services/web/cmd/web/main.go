// Command web serves the pages candidates and recruiters use, reading the
// system's public APIs at API_URL.
package main

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/serve"
	"github.com/clinjobs/clinjobs/services/web"
)

func main() {
	serve.Main(web.Name, func(ctx context.Context, env *config.Reader, log *slog.Logger, tracer trace.TracerProvider) (serve.Wired, error) {
		cfg := web.ConfigFromEnv(env)
		if err := env.Err(); err != nil {
			return serve.Wired{}, err
		}
		svc, err := web.New(ctx, cfg, web.Deps{Log: log, Metrics: serve.NewRegistry(), Tracer: tracer})
		if err != nil {
			return serve.Wired{}, err
		}
		return serve.Wired{API: serve.API{Name: web.Name, Addr: cfg.HTTPAddr, Handler: svc.Handler()}, Unit: svc}, nil
	})
}
