// Package ingest is the write API of the system: trusts post and manage their
// vacancies, candidates keep their profiles, operators onboard trusts. Every
// change it accepts is stored and announced by one JetStream write, a put to
// a KV bucket whose stream the other services consume: a record that is
// stored is always announced, and nothing is announced that was not stored.
// Reads of lists come from an in-memory projection of the vacancies bucket.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/control"
	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/ratelimit"
	"github.com/clinjobs/clinjobs/pkg/redisclient"
	"github.com/clinjobs/clinjobs/pkg/telemetry"
	"github.com/clinjobs/clinjobs/services/ingest/internal/idempotency"
	"github.com/clinjobs/clinjobs/services/ingest/internal/projection"
)

// Name is the service's name in the NATS services framework and in logs.
const Name = "ingest"

// Config is the service's configuration.
type Config struct {
	// HTTPAddr is where the API listens. Default: :8080.
	HTTPAddr string
	NATS     bus.Config
	// OperatorKey is the operator key: it alone may onboard trusts. Required;
	// at least 32 characters.
	OperatorKey string
	// MaxBodyBytes bounds a request body. Default: 1 MiB.
	MaxBodyBytes int64
	// MaxBulkBytes bounds a bulk post's body. Default: 16 MiB.
	MaxBulkBytes int64
	// MaxBulkItems bounds the vacancies of one bulk post. Default: 10000.
	MaxBulkItems int
	// Redis shares rate limit counts between replicas; without it each
	// replica counts for itself.
	Redis redisclient.Config
	// RateLimit is the requests a credential may make a minute. Default: 1200.
	RateLimit int
	// RateLimitAnonymous is the requests a client address may make a
	// minute without (or before checking) a credential. Default: 300.
	RateLimitAnonymous int
	// CloseEvery is how often vacancies past their closing date are closed.
	// Default: 1m.
	CloseEvery time.Duration
	// TrustedProxies are the proxies whose X-Forwarded-For names the client.
	// Default: none.
	TrustedProxies []string
	// Import configures the importer of NHS Jobs' feed (off unless
	// Import.FeedURL is set).
	Import ImportConfig
	// PublicURL is the base URL of this API, for the links of the
	// aggregators' feed. Default: http://localhost:8080.
	PublicURL string
}

// ConfigFromEnv reads HTTP_ADDR, OPERATOR_KEY, MAX_BODY_BYTES, BULK_MAX_BYTES,
// BULK_MAX_ITEMS, RATE_LIMIT_PER_MINUTE, RATE_LIMIT_ANONYMOUS_PER_MINUTE,
// CLOSE_CHECK_INTERVAL, TRUSTED_PROXIES and the NATS and Redis settings.
func ConfigFromEnv(r *config.Reader) Config {
	return Config{
		HTTPAddr:           r.String("HTTP_ADDR", ":8080"),
		NATS:               bus.ConfigFromEnv(r, Name),
		OperatorKey:        r.String("OPERATOR_KEY", ""),
		MaxBodyBytes:       int64(r.Int("MAX_BODY_BYTES", 1<<20)),
		MaxBulkBytes:       int64(r.Int("BULK_MAX_BYTES", 16<<20)),
		MaxBulkItems:       r.Int("BULK_MAX_ITEMS", 10000),
		Redis:              redisclient.ConfigFromEnv(r),
		RateLimit:          r.Int("RATE_LIMIT_PER_MINUTE", 1200),
		RateLimitAnonymous: r.Int("RATE_LIMIT_ANONYMOUS_PER_MINUTE", 300),
		CloseEvery:         r.Duration("CLOSE_CHECK_INTERVAL", time.Minute),
		TrustedProxies:     r.List("TRUSTED_PROXIES", nil),
		Import: ImportConfig{
			FeedURL:    r.String("IMPORT_FEED_URL", ""),
			Queries:    splitQueries(r.String("IMPORT_QUERIES", "")),
			Every:      r.Duration("IMPORT_INTERVAL", time.Hour),
			RequestGap: r.Duration("IMPORT_REQUEST_GAP", 2*time.Second),
		},
		PublicURL: r.String("INGEST_PUBLIC_URL", "http://localhost:8080"),
	}
}

// splitQueries reads IMPORT_QUERIES: URL queries separated by semicolons.
func splitQueries(s string) []string {
	var out []string
	for _, q := range strings.Split(s, ";") {
		if q = strings.TrimSpace(q); q != "" {
			out = append(out, q)
		}
	}
	return out
}

func (c *Config) setDefaults() {
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":8080"
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxBulkBytes == 0 {
		c.MaxBulkBytes = 16 << 20
	}
	if c.MaxBulkItems == 0 {
		c.MaxBulkItems = 10000
	}
	if c.RateLimit == 0 {
		c.RateLimit = 1200
	}
	if c.RateLimitAnonymous == 0 {
		c.RateLimitAnonymous = 300
	}
	if c.CloseEvery == 0 {
		c.CloseEvery = time.Minute
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://localhost:8080"
	}
	c.Import.setDefaults()
}

// Validate reports what is wrong with c.
func (c Config) Validate() error {
	var errs []error
	if len(c.OperatorKey) < 32 {
		errs = append(errs, errors.New("OPERATOR_KEY must be set, at least 32 characters"))
	}
	if c.MaxBodyBytes < 1024 || c.MaxBulkBytes < c.MaxBodyBytes {
		errs = append(errs, errors.New("MAX_BODY_BYTES must be at least 1024 and BULK_MAX_BYTES at least MAX_BODY_BYTES"))
	}
	if c.RateLimit < 0 || c.RateLimitAnonymous < 0 || c.MaxBulkItems < 1 {
		errs = append(errs, errors.New("rate limits and BULK_MAX_ITEMS must be positive"))
	}
	for _, p := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is not an address or CIDR", p))
			}
		}
	}
	return errors.Join(append(errs, c.NATS.Validate(), c.Import.validate())...)
}

// Deps are what the service is built on.
type Deps struct {
	Log *slog.Logger
	NC  *nats.Conn
	// Redis, when set, is used for rate limits instead of dialling cfg.Redis.
	Redis redis.UniversalClient
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Metrics receives the service's metrics, served at /metrics.
	// Default: a registry of its own.
	Metrics *prometheus.Registry
	// Tracer traces requests and the work they cause. Default: none.
	Tracer trace.TracerProvider
	// FeedClient reads the NHS Jobs feed. Default: an http.Client with a
	// 60 s time-out.
	FeedClient *http.Client
}

// Service is the ingest service.
type Service struct {
	cfg         Config
	log         *slog.Logger
	nc          *nats.Conn
	js          jetstream.JetStream
	now         func() time.Time
	metrics     *prometheus.Registry
	tracer      trace.Tracer
	trusts      *bus.Store
	vacancies   *bus.Store
	candidates  *bus.Store
	idem        *idempotency.Store
	projection  *projection.Projection
	gazetteer   *geo.Gazetteer
	control     *control.Client
	operatorKey []byte
	limitByKey  ratelimit.Limiter
	limitByAddr ratelimit.Limiter
	limits      *ratelimit.Metrics
	redis       redis.UniversalClient
	ownsRedis   bool
	importer    *importer
	handler     *gin.Engine
	micro       micro.Service
	stop        context.CancelFunc
	wg          sync.WaitGroup
}

// New declares the streams and buckets the service uses and returns it, not
// yet started.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ingest config: %w", err)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Metrics == nil {
		deps.Metrics = prometheus.NewRegistry()
	}
	js, err := jetstream.New(deps.NC)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if err := bus.EnsureShared(ctx, js, cfg.NATS.Replicas); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	pub := bus.NewPublisher(js)
	s := &Service{
		cfg: cfg, log: deps.Log.With("service", Name), nc: deps.NC, js: js, now: deps.Now,
		metrics: deps.Metrics, tracer: telemetry.Tracer(deps.Tracer, Name),
		operatorKey: auth.Hash(cfg.OperatorKey), control: control.New(deps.NC), redis: deps.Redis,
	}
	s.projection = projection.New(s.log)
	for bucket, store := range map[string]**bus.Store{
		bus.BucketTrusts: &s.trusts, bus.BucketVacancies: &s.vacancies, bus.BucketCandidates: &s.candidates,
	} {
		if *store, err = bus.NewStore(ctx, js, pub, bucket); err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
	}
	if s.idem, err = idempotency.Open(ctx, js, cfg.NATS.Replicas); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	table, err := OpenPostcodeTable(ctx, js, cfg.NATS.Replicas)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if s.gazetteer, err = geo.NewGazetteer(table); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if s.redis == nil && cfg.Redis.Enabled() {
		s.redis, s.ownsRedis = redisclient.New(cfg.Redis), true
	}
	perKey := ratelimit.Limit{Requests: cfg.RateLimit, Window: time.Minute}
	perAddr := ratelimit.Limit{Requests: cfg.RateLimitAnonymous, Window: time.Minute}
	if s.redis != nil {
		s.limitByKey = ratelimit.NewRedis(s.redis, "ingest:key", perKey)
		s.limitByAddr = ratelimit.NewRedis(s.redis, "ingest:addr", perAddr)
	} else {
		s.limitByKey = ratelimit.NewMemory(perKey, deps.Now)
		s.limitByAddr = ratelimit.NewMemory(perAddr, deps.Now)
	}
	s.limits = ratelimit.NewMetrics(s.metrics)
	if cfg.Import.FeedURL != "" {
		s.importer = newImporter(s, cfg.Import, deps.FeedClient)
	}
	if s.handler, err = s.routes(); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	return s, nil
}

// Handler returns the HTTP API.
func (s *Service) Handler() http.Handler { return s.handler }

// Start follows the vacancies for the read model, registers the control
// endpoints and starts closing vacancies past their date.
func (s *Service) Start(ctx context.Context) error {
	if err := s.projection.Follow(ctx, s.js); err != nil {
		return err
	}
	svc, err := s.registerControl()
	if err != nil {
		s.projection.Stop()
		return err
	}
	s.micro = svc
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	s.wg.Go(func() { s.closeDue(runCtx) })
	if s.importer != nil {
		s.wg.Go(func() { s.importer.schedule(runCtx) })
	}
	return nil
}

// Stop stops the closing schedule and the read model, and deregisters.
func (s *Service) Stop(context.Context) error {
	if s.stop != nil {
		s.stop()
		s.wg.Wait()
	}
	s.projection.Stop()
	var errs []error
	if s.micro != nil {
		errs = append(errs, s.micro.Stop())
	}
	if s.ownsRedis {
		errs = append(errs, s.redis.Close())
	}
	return errors.Join(errs...)
}
