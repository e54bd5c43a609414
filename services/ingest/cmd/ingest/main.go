// Command ingest runs the write API as a service of its own.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/nats-io/nats.go"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/serve"
	"github.com/clinjobs/clinjobs/services/ingest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("no arguments expected; configure with the environment")
	}
	env := config.NewReader(os.LookupEnv)
	cfg := ingest.ConfigFromEnv(env)
	logCfg := logging.ConfigFromEnv(env)
	if err := env.Err(); err != nil {
		return err
	}
	log, err := logging.New(os.Stderr, logCfg)
	if err != nil {
		return err
	}
	nc, err := bus.Connect(ctx, cfg.NATS, log)
	if err != nil {
		return err
	}
	svc, err := ingest.New(ctx, cfg, ingest.Deps{Log: log, NC: nc})
	if err != nil {
		nc.Close()
		return err
	}
	return serve.Run(ctx, log, serve.Process{
		APIs:  []serve.API{{Name: ingest.Name, Addr: cfg.HTTPAddr, Handler: svc.Handler()}},
		Units: []serve.Unit{svc},
		Conns: []*nats.Conn{nc},
		Listening: func(name, addr string) {
			log.Info("listening", "api", name, "addr", addr)
		},
	})
}
