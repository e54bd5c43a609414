package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/services/ingest"
)

// loadGazetteer loads a full postcode file into the running system's
// gazetteer, through NATS at NATS_URL (default: the all-in-one's).
func loadGazetteer(ctx context.Context, path string, stdout, stderr io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("postcode file: %w", err)
	}
	defer f.Close()
	env := config.NewReader(os.LookupEnv)
	cfg := bus.ConfigFromEnv(env, "clinjobs-gazetteer")
	if err := env.Err(); err != nil {
		return err
	}
	log, err := logging.New(stderr, logging.Config{Level: "warn", Format: "text"})
	if err != nil {
		return err
	}
	nc, err := bus.Connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	rep, err := ingest.LoadPostcodes(ctx, js, cfg.Replicas, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Loaded %d postcodes and %d districts; %d rows rejected.\n", rep.Postcodes, rep.Districts, rep.Rejected)
	for _, r := range rep.RejectedRows {
		fmt.Fprintln(stdout, "  rejected", r)
	}
	return nil
}
