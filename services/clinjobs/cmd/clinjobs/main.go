// Command clinjobs runs the whole of Clinical Engineering Jobs in one
// process, around an embedded NATS server that keeps its store in DATA_DIR.
//
//	clinjobs                  run the system (configured by the environment)
//	clinjobs receive ADDR     print the webhook alerts POSTed to ADDR, such as 127.0.0.1:9000
//	clinjobs gazetteer load FILE
//	                          load a full postcode file (postcode, latitude, longitude CSV)
//	clinjobs secrets init DIR make the compose stack's secrets missing from DIR
//	                          (operator key, NATS passwords, a local CA, certificates)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/clinjobs/clinjobs/pkg/buildinfo"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/telemetry"
	"github.com/clinjobs/clinjobs/services/clinjobs/allinone"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "clinjobs:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 2 && args[0] == "receive":
		return receive(ctx, args[1], stdout)
	case len(args) == 3 && args[0] == "gazetteer" && args[1] == "load":
		return loadGazetteer(ctx, args[2], stdout, stderr)
	case len(args) == 3 && args[0] == "secrets" && args[1] == "init":
		return initSecrets(args[2], stdout)
	case len(args) > 0:
		return fmt.Errorf("unknown arguments %q: run with none (configure with the environment), receive ADDR, gazetteer load FILE, or secrets init DIR", args)
	}
	env := config.NewReader(os.LookupEnv)
	cfg := allinone.ConfigFromEnv(env)
	logCfg := logging.ConfigFromEnv(env)
	traceCfg := telemetry.ConfigFromEnv(env)
	pprofAddr := env.String("PPROF_ADDR", "")
	if err := env.Err(); err != nil {
		return err
	}
	log, err := logging.New(stderr, logCfg)
	if err != nil {
		return err
	}
	if pprofAddr != "" {
		stopProfiling, err := serveProfiles(pprofAddr, log)
		if err != nil {
			return err
		}
		defer stopProfiling()
	}
	tracing, err := telemetry.NewTracing(ctx, traceCfg, "clinjobs", buildinfo.String())
	if err != nil {
		return err
	}
	defer tracing.Flush(ctx, log)
	cfg.Tracer = tracing.Provider
	sys, err := allinone.Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	cache := "in-process"
	if cfg.Redis.Enabled() {
		cache = "Redis at " + cfg.Redis.Addrs[0]
	}
	fmt.Fprintf(stdout, "Clinical Engineering Jobs is running (data in %s, match cache %s).\n", cfg.DataDir, cache)
	if sys.Addr("web") != "" {
		fmt.Fprintf(stdout, "Open %s in a browser: the job search, and every API below under the same address.\n", sys.URL("web"))
	}
	for _, api := range []struct{ name, what string }{
		{"ingest", "trusts post vacancies, candidates sign up"},
		{"matching", "candidates read their matches"},
		{"notification", "candidates subscribe to alerts"},
		{"dashboard", "operators"},
	} {
		if sys.Addr(api.name) != "" {
			fmt.Fprintf(stdout, "  %-13s %-24s %s\n", api.name, sys.URL(api.name), api.what)
		}
	}
	fmt.Fprintf(stdout, "  %-13s %-24s TLS; a user a service, passwords and CA in %s\nOperator key: %s\nPress Ctrl-C to stop.\n",
		"nats", sys.NATSURL(), sys.SecretsDir(), sys.OperatorKey)
	<-ctx.Done()
	fmt.Fprintln(stdout, "Stopping: finishing requests in flight, draining NATS...")
	if err := sys.Stop(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Stopped cleanly.")
	return nil
}
