// Package redisclient connects to Redis from configuration through go-redis'
// universal client: one address for a single server, several for a cluster,
// or a master name for Sentinel.
package redisclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/health"
)

// Config says how to reach Redis.
type Config struct {
	// Addrs of the server, the cluster's nodes or the sentinels. Empty: no
	// Redis; the services use in-process stores instead.
	Addrs []string
	// MasterName selects Sentinel mode.
	MasterName string
	Username   string
	Password   string
	DB         int
	// TLS connects over TLS with the system's CA bundle.
	TLS bool
	// CAFile is the certificate of the CA that signed the server's: set,
	// the connection is TLS and verifies the server with it alone.
	CAFile string
	// Timeout bounds each command. Default: 500ms: the cache is an
	// accelerator, and a slow Redis must not slow the services down.
	Timeout time.Duration
}

// Enabled reports whether Redis is configured.
func (c Config) Enabled() bool { return len(c.Addrs) > 0 }

// New returns a client; it connects lazily. A CA file that cannot be read
// leaves TLS to verify against nothing, so every connection fails and says
// why; Validate reports it first.
func New(cfg Config) redis.UniversalClient {
	if cfg.Timeout == 0 {
		cfg.Timeout = 500 * time.Millisecond
	}
	opts := &redis.UniversalOptions{
		Addrs:        cfg.Addrs,
		MasterName:   cfg.MasterName,
		Username:     cfg.Username,
		Password:     cfg.Password,
		DB:           cfg.DB,
		DialTimeout:  2 * time.Second,
		ReadTimeout:  cfg.Timeout,
		WriteTimeout: cfg.Timeout,
		MaxRetries:   1,
		// Fail fast while Redis is away instead of queueing behind a dead pool.
		PoolTimeout: cfg.Timeout,
	}
	if cfg.TLS || cfg.CAFile != "" {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.CAFile != "" {
		opts.TLSConfig.RootCAs, _ = certPool(cfg.CAFile)
	}
	return redis.NewUniversalClient(opts)
}

// Validate reports what is wrong with c.
func (c Config) Validate() error {
	if c.CAFile != "" {
		if _, err := certPool(c.CAFile); err != nil {
			return err
		}
	}
	return nil
}

func certPool(path string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	data, err := os.ReadFile(path)
	if err != nil {
		return pool, fmt.Errorf("redis CA: %w", err)
	}
	if !pool.AppendCertsFromPEM(data) {
		return pool, fmt.Errorf("redis CA %s: no certificate in it", path)
	}
	return pool, nil
}

// Check is a readiness check that pings Redis.
func Check(client redis.UniversalClient) health.Check {
	return health.Check{Name: "redis", Check: func(ctx context.Context) error {
		if err := client.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("ping redis: %w", err)
		}
		return nil
	}}
}

// ConfigFromEnv reads REDIS_ADDR (comma-separated), REDIS_MASTER_NAME,
// REDIS_USERNAME, REDIS_PASSWORD (or REDIS_PASSWORD_FILE), REDIS_DB,
// REDIS_TLS and REDIS_CA_FILE.
func ConfigFromEnv(r *config.Reader) Config {
	return Config{
		Addrs:      r.List("REDIS_ADDR", nil),
		MasterName: r.String("REDIS_MASTER_NAME", ""),
		Username:   r.String("REDIS_USERNAME", ""),
		Password:   r.String("REDIS_PASSWORD", ""),
		DB:         r.Int("REDIS_DB", 0),
		TLS:        r.Bool("REDIS_TLS", false),
		CAFile:     r.String("REDIS_CA_FILE", ""),
	}
}
