package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/services/ingest"
)

// loadGazetteer loads a full postcode file into the running system's
// gazetteer, through NATS at NATS_URL as NATS_USER (default: the
// all-in-one's, as ingest, with the secrets in DATA_DIR/secrets).
func loadGazetteer(ctx context.Context, path string, stdout, stderr io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("postcode file: %w", err)
	}
	defer f.Close()
	env := config.NewReader(os.LookupEnv)
	cfg := bus.ConfigFromEnv(env, "clinjobs-gazetteer")
	dataDir := env.String("DATA_DIR", "data")
	if err := env.Err(); err != nil {
		return err
	}
	if cfg.User == "" {
		// The all-in-one's: the gazetteer is ingest's bucket.
		secrets := filepath.Join(dataDir, "secrets")
		pw, err := os.ReadFile(filepath.Join(secrets, "ingest", "nats.password"))
		if err != nil {
			return fmt.Errorf("no NATS_USER, and not the all-in-one's credentials either: %w", err)
		}
		cfg.User, cfg.Password = "ingest", strings.TrimSpace(string(pw))
		if cfg.CAFile == "" {
			cfg.CAFile = filepath.Join(secrets, "ca", "ca.pem")
		}
		if len(cfg.URLs) == 0 {
			cfg.URLs = []string{"tls://127.0.0.1:4222"}
		}
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
