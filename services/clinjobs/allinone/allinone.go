// Package allinone runs the whole system in one process around an embedded
// NATS server whose JetStream store lives in a data directory: the way to run
// Clinical Engineering Jobs on one machine, and the wiring that end-to-end
// tests start (on free ports, in a temporary directory) so that they test
// what runs in production.
package allinone

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/natsserver"
	"github.com/clinjobs/clinjobs/pkg/redisclient"
	"github.com/clinjobs/clinjobs/pkg/secrets"
	"github.com/clinjobs/clinjobs/pkg/serve"
	"github.com/clinjobs/clinjobs/services/dashboard"
	"github.com/clinjobs/clinjobs/services/ingest"
	"github.com/clinjobs/clinjobs/services/matching"
	"github.com/clinjobs/clinjobs/services/notification"
	"github.com/clinjobs/clinjobs/services/notification/mail"
	"github.com/clinjobs/clinjobs/services/web"
)

// Config is the all-in-one's configuration.
type Config struct {
	// DataDir holds the JetStream store and the generated operator key.
	// Default: ./data.
	DataDir string
	// NATSHost and NATSPort are where the embedded server also listens for
	// outside clients (the nats CLI); port -1 picks one, 0 means the default.
	// Default: 127.0.0.1:4222.
	NATSHost string
	NATSPort int
	// Addresses of the four APIs. Defaults: :8080, :8081, :8082, :8083.
	IngestAddr, MatchingAddr, NotificationAddr, DashboardAddr string
	// WebAddr is the one address of everything: the web pages and every
	// API, routed by path as the compose stack's proxy routes them.
	// Default: :8000.
	WebAddr string
	// OperatorKey admits operators. Default: the key in DataDir/operator.key,
	// made at first start.
	OperatorKey string
	// Redis holds the match cache when set; otherwise it is in-process.
	Redis redisclient.Config
	// AllowPrivateWebhooks lets webhooks target private addresses.
	AllowPrivateWebhooks bool
	// SMTP is where alert emails go; without an address email
	// subscriptions are refused.
	SMTP mail.Config
	// RateLimit and RateLimitAnonymous are the requests a minute ingest
	// takes per credential and per client address. Defaults: ingest's.
	RateLimit, RateLimitAnonymous int
	// DeliveryRetries is notification's retry schedule. Default: the
	// published one (tests shorten it).
	DeliveryRetries []time.Duration
	// WebPublicURL is the site's base URL in the sitemap, feeds and
	// JSON-LD. Default: the address each request names.
	WebPublicURL string
	// PublicURL is the base URL of the notification API in unsubscribe
	// links. Default: http://localhost:8082.
	PublicURL string
	// Import configures ingest's importer of NHS Jobs' feed (off unless
	// its FeedURL is set: IMPORT_FEED_URL).
	Import ingest.ImportConfig
	// CloseEvery is how often ingest closes vacancies past their date.
	// Default: 1m.
	CloseEvery time.Duration
	// Services are the services to run. Default: all of them.
	Services []string
	// Now is the clock of every service. Default: time.Now.
	Now func() time.Time
	// Tracer traces every service's requests and the work they cause.
	// Default: none.
	Tracer trace.TracerProvider
}

// AllServices are the services of the system, in the order they start.
var AllServices = []string{ingest.Name, matching.Name, notification.Name, dashboard.Name, web.Name}

// ConfigFromEnv reads DATA_DIR, NATS_HOST, NATS_PORT, INGEST_ADDR,
// MATCHING_ADDR, NOTIFICATION_ADDR, DASHBOARD_ADDR, WEB_ADDR, OPERATOR_KEY,
// ALLOW_PRIVATE_WEBHOOKS, RATE_LIMIT_PER_MINUTE,
// RATE_LIMIT_ANONYMOUS_PER_MINUTE, PUBLIC_URL, SMTP_ADDR, SMTP_FROM, SMTP_USERNAME,
// SMTP_PASSWORD, SMTP_TLS and the Redis settings.
func ConfigFromEnv(r *config.Reader) Config {
	return Config{
		DataDir:              r.String("DATA_DIR", "data"),
		NATSHost:             r.String("NATS_HOST", "127.0.0.1"),
		NATSPort:             r.Int("NATS_PORT", 4222),
		IngestAddr:           r.String("INGEST_ADDR", ":8080"),
		MatchingAddr:         r.String("MATCHING_ADDR", ":8081"),
		NotificationAddr:     r.String("NOTIFICATION_ADDR", ":8082"),
		DashboardAddr:        r.String("DASHBOARD_ADDR", ":8083"),
		WebAddr:              r.String("WEB_ADDR", ":8000"),
		OperatorKey:          r.String("OPERATOR_KEY", ""),
		Redis:                redisclient.ConfigFromEnv(r),
		AllowPrivateWebhooks: r.Bool("ALLOW_PRIVATE_WEBHOOKS", false),
		PublicURL:            r.String("PUBLIC_URL", ""),
		RateLimit:            r.Int("RATE_LIMIT_PER_MINUTE", 0),
		RateLimitAnonymous:   r.Int("RATE_LIMIT_ANONYMOUS_PER_MINUTE", 0),
		SMTP:                 mail.ConfigFromEnv(r),
		Services:             r.List("SERVICES", nil),
		Import:               ingest.ConfigFromEnv(r).Import,
	}
}

func (c *Config) setDefaults() {
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	for _, d := range []struct {
		addr *string
		def  string
	}{{&c.IngestAddr, ":8080"}, {&c.MatchingAddr, ":8081"}, {&c.NotificationAddr, ":8082"}, {&c.DashboardAddr, ":8083"}, {&c.WebAddr, ":8000"}} {
		if *d.addr == "" {
			*d.addr = d.def
		}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if len(c.Services) == 0 {
		c.Services = AllServices
	}
}

// Validate reports what is wrong with c.
func (c Config) Validate() error {
	for _, s := range c.Services {
		if !slices.Contains(AllServices, s) {
			return fmt.Errorf("SERVICES: unknown service %q; the services are %s", s, strings.Join(AllServices, ", "))
		}
	}
	return nil
}

// System is the running all-in-one.
type System struct {
	// OperatorKey is the key operators use.
	OperatorKey string

	log     *slog.Logger
	ns      *server.Server
	secrets string
	redis   redis.UniversalClient
	addrs   map[string]string
	stop    context.CancelFunc
	done    chan error
	once    sync.Once
	err     error
}

// Start starts the embedded NATS server and every service, and returns once
// every API serves. Stop ends it.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*System, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if cfg.OperatorKey == "" {
		key, err := operatorKey(filepath.Join(cfg.DataDir, "operator.key"))
		if err != nil {
			return nil, err
		}
		cfg.OperatorKey = key
	}
	// The server's users and certificate, made at first start beside the
	// operator key: every service connects as its own user, and a client
	// from outside needs a user's password and the CA.
	secretsDir := filepath.Join(cfg.DataDir, "secrets")
	serverConf, err := natsConfig(secretsDir)
	if err != nil {
		return nil, err
	}
	ns, err := natsserver.Start(natsserver.Config{
		StoreDir:   filepath.Join(cfg.DataDir, "jetstream"),
		Host:       cfg.NATSHost,
		Port:       cfg.NATSPort,
		ConfigFile: serverConf,
	}, log)
	if err != nil {
		return nil, err
	}
	sys := &System{OperatorKey: cfg.OperatorKey, log: log, ns: ns, secrets: secretsDir, addrs: map[string]string{}, done: make(chan error, 1)}
	if cfg.Redis.Enabled() {
		sys.redis = redisclient.New(cfg.Redis)
	}
	proc, err := sys.wire(ctx, cfg)
	if err != nil {
		sys.shutdownServer()
		return nil, err
	}
	listening := make(chan struct{})
	var mu sync.Mutex
	proc.Listening = func(name, addr string) {
		mu.Lock()
		defer mu.Unlock()
		sys.addrs[name] = addr
		if len(sys.addrs) == len(proc.APIs) {
			close(listening)
		}
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	sys.stop = stop
	go func() { sys.done <- serve.Run(runCtx, log, proc) }()
	select {
	case <-listening:
		return sys, nil
	case err := <-sys.done:
		stop()
		sys.shutdownServer()
		return nil, err
	}
}

// wire connects each service to the embedded server (in-process, no TCP)
// and builds it as its own binary would.
func (sys *System) wire(ctx context.Context, cfg Config) (serve.Process, error) {
	var proc serve.Process
	connect := func(name string) (*nats.Conn, error) {
		pw, err := os.ReadFile(filepath.Join(sys.secrets, name, "nats.password"))
		if err != nil {
			return nil, fmt.Errorf("nats password of %s: %w", name, err)
		}
		nc, err := bus.Connect(ctx, bus.Config{Name: name, User: name, Password: strings.TrimSpace(string(pw))},
			sys.log.With("service", name), nats.InProcessServer(sys.ns))
		if err == nil {
			proc.Conns = append(proc.Conns, nc)
		}
		return nc, err
	}
	fail := func(err error) (serve.Process, error) {
		for _, nc := range proc.Conns {
			nc.Close()
		}
		return serve.Process{}, err
	}
	add := func(name, addr string, u interface {
		serve.Unit
		Handler() http.Handler
	}) {
		proc.APIs = append(proc.APIs, serve.API{Name: name, Addr: addr, Handler: u.Handler()})
		proc.Units = append(proc.Units, u)
	}

	builders := map[string]func(nc *nats.Conn) error{
		ingest.Name: func(nc *nats.Conn) error {
			svc, err := ingest.New(ctx, ingest.Config{HTTPAddr: cfg.IngestAddr, OperatorKey: cfg.OperatorKey, CloseEvery: cfg.CloseEvery,
				RateLimit: cfg.RateLimit, RateLimitAnonymous: cfg.RateLimitAnonymous, Import: cfg.Import,
				PublicURL: "http://localhost" + cfg.IngestAddr},
				ingest.Deps{Log: sys.log, NC: nc, Redis: sys.redis, Now: cfg.Now, Metrics: serve.NewRegistry(), Tracer: cfg.Tracer})
			if err == nil {
				add(ingest.Name, cfg.IngestAddr, svc)
			}
			return err
		},
		matching.Name: func(nc *nats.Conn) error {
			svc, err := matching.New(ctx, matching.Config{HTTPAddr: cfg.MatchingAddr},
				matching.Deps{Log: sys.log, NC: nc, Redis: sys.redis, Now: cfg.Now, Metrics: serve.NewRegistry(), Tracer: cfg.Tracer})
			if err == nil {
				add(matching.Name, cfg.MatchingAddr, svc)
			}
			return err
		},
		notification.Name: func(nc *nats.Conn) error {
			svc, err := notification.New(ctx, notification.Config{HTTPAddr: cfg.NotificationAddr, AllowPrivateWebhooks: cfg.AllowPrivateWebhooks,
				SMTP: cfg.SMTP, Retries: cfg.DeliveryRetries, PublicURL: cmp.Or(cfg.PublicURL, "http://localhost"+cfg.NotificationAddr)},
				notification.Deps{Log: sys.log, NC: nc, Now: cfg.Now, Metrics: serve.NewRegistry(), Tracer: cfg.Tracer})
			if err == nil {
				add(notification.Name, cfg.NotificationAddr, svc)
			}
			return err
		},
		dashboard.Name: func(nc *nats.Conn) error {
			svc, err := dashboard.New(ctx, dashboard.Config{HTTPAddr: cfg.DashboardAddr, OperatorKey: cfg.OperatorKey},
				dashboard.Deps{Log: sys.log, NC: nc, Redis: sys.redis, Now: cfg.Now, Metrics: serve.NewRegistry(), Tracer: cfg.Tracer})
			if err == nil {
				add(dashboard.Name, cfg.DashboardAddr, svc)
			}
			return err
		},
	}
	// The one address: the pages and every API, routed by path. The web
	// service reads the APIs through it in-process, as it reads them
	// through the proxy in the compose stack.
	fr := &front{handlers: map[string]http.Handler{}}
	builders[web.Name] = func(*nats.Conn) error {
		svc, err := web.New(ctx, web.Config{HTTPAddr: cfg.WebAddr, PublicURL: cfg.WebPublicURL},
			web.Deps{Log: sys.log, API: fr, Now: cfg.Now, Metrics: serve.NewRegistry(), Tracer: cfg.Tracer})
		if err == nil {
			fr.handlers[web.Name] = svc.Handler()
			proc.APIs = append(proc.APIs, serve.API{Name: web.Name, Addr: cfg.WebAddr, Handler: fr})
			proc.Units = append(proc.Units, svc)
		}
		return err
	}
	for _, name := range AllServices {
		if !slices.Contains(cfg.Services, name) {
			continue
		}
		if name == web.Name {
			// Needs no NATS.
			if err := builders[name](nil); err != nil {
				return fail(err)
			}
			continue
		}
		nc, err := connect(name)
		if err != nil {
			return fail(err)
		}
		if err := builders[name](nc); err != nil {
			return fail(err)
		}
	}
	for _, api := range proc.APIs {
		if api.Name != web.Name {
			fr.handlers[api.Name] = api.Handler
		}
	}
	return proc, nil
}

// Addr returns where the API of a service listens, such as "127.0.0.1:8080".
func (sys *System) Addr(service string) string { return sys.addrs[service] }

// URL returns the base URL of a service's API.
func (sys *System) URL(service string) string {
	addr := sys.addrs[service]
	if strings.HasPrefix(addr, "[::]:") || strings.HasPrefix(addr, "0.0.0.0:") {
		addr = "localhost:" + addr[strings.LastIndexByte(addr, ':')+1:]
	}
	return "http://" + addr
}

// NATSURL returns where outside NATS clients connect: TLS, on loopback
// unless NATS_HOST says otherwise.
func (sys *System) NATSURL() string {
	return strings.Replace(sys.ns.ClientURL(), "nats://", "tls://", 1)
}

// SecretsDir is where the embedded server's secrets are: a client from
// outside connects as a service's user with <dir>/<user>/nats.password,
// verifying the server with <dir>/ca/ca.pem.
func (sys *System) SecretsDir() string { return sys.secrets }

// natsConfig makes what is missing of the embedded server's secrets in dir
// and returns the path of its configuration: TLS with the certificate made
// there, and the services' users.
func natsConfig(dir string) (string, error) {
	if _, err := secrets.InitNATS(dir); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("nats configuration: %w", err)
	}
	conf := fmt.Sprintf("# Made at every start of the all-in-one.\ntls {\n  cert_file: %q\n  key_file: %q\n  timeout: 5\n}\ninclude \"accounts.conf\"\n",
		filepath.Join(abs, "nats", "server.pem"), filepath.Join(abs, "nats", "server-key.pem"))
	path := filepath.Join(abs, "nats", "embedded.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return "", fmt.Errorf("nats configuration: %w", err)
	}
	return path, nil
}

// Stop shuts everything down in order (APIs, consumers, NATS connections,
// the server), finishing what is in flight, and returns what went wrong.
func (sys *System) Stop() error {
	sys.once.Do(func() {
		sys.stop()
		sys.err = <-sys.done
		if sys.redis != nil {
			sys.err = errors.Join(sys.err, sys.redis.Close())
		}
		sys.shutdownServer()
	})
	return sys.err
}

func (sys *System) shutdownServer() {
	sys.ns.Shutdown()
	sys.ns.WaitForShutdown()
}

// operatorKey reads the operator key kept at path, or makes one there.
func operatorKey(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(data)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("operator key: %w", err)
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	key := "cjo.local." + base64.RawURLEncoding.EncodeToString(b[:])
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("operator key: %w", err)
	}
	return key, nil
}
