// Package dashboard is the operators' view of the system and their hands on
// it. It finds every running service instance through the NATS services
// framework, reads stream and consumer state and Redis health, follows the
// announcement streams for rates and the state of the market, and carries
// operator actions to the services that own the data they change, recording
// each in an audit log. It owns no other service's data; what it shows it
// reads from the broker or asks for. The same figures and actions are served
// as a JSON API and as a page.
package dashboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/buildinfo"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/control"
	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/health"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/redisclient"
	"github.com/clinjobs/clinjobs/pkg/telemetry"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/audit"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/discovery"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/market"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/rates"
)

// Name is the service's name in the NATS services framework and in logs.
const Name = "dashboard"

// Where the API and the page live.
const (
	APIPrefix  = "/v1/dashboard"
	PagePrefix = "/dashboard"
)

// Config is the service's configuration.
type Config struct {
	// HTTPAddr is where the API and page listen. Default: :8083.
	HTTPAddr string
	NATS     bus.Config
	// OperatorKey admits operators. Required; at least 32 characters.
	OperatorKey string
	// DiscoveryWindow is how long to wait for instances to answer. Default: 500ms.
	DiscoveryWindow time.Duration
	// Redis is the match cache's Redis, whose health the dashboard shows.
	Redis redisclient.Config
	// InsecureCookie drops the Secure flag of the page's login cookie, for a
	// dashboard reached over plain HTTP on a name other than localhost.
	// Default: false.
	InsecureCookie bool
}

// ConfigFromEnv reads HTTP_ADDR, OPERATOR_KEY, DISCOVERY_WINDOW,
// DASHBOARD_INSECURE_COOKIE and the NATS and Redis settings.
func ConfigFromEnv(r *config.Reader) Config {
	return Config{
		HTTPAddr:        r.String("HTTP_ADDR", ":8083"),
		NATS:            bus.ConfigFromEnv(r, Name),
		OperatorKey:     r.String("OPERATOR_KEY", ""),
		DiscoveryWindow: r.Duration("DISCOVERY_WINDOW", discovery.Window),
		Redis:           redisclient.ConfigFromEnv(r),
		InsecureCookie:  r.Bool("DASHBOARD_INSECURE_COOKIE", false),
	}
}

// Validate reports what is wrong with c.
func (c Config) Validate() error {
	var errs []error
	if len(c.OperatorKey) < 32 {
		errs = append(errs, errors.New("OPERATOR_KEY must be set, at least 32 characters"))
	}
	return errors.Join(append(errs, c.NATS.Validate())...)
}

// Deps are what the service is built on.
type Deps struct {
	Log *slog.Logger
	NC  *nats.Conn
	// Redis, when set, is the match cache's client (the all-in-one shares
	// one); otherwise cfg.Redis is dialled if configured.
	Redis redis.UniversalClient
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Metrics receives the service's metrics, served at /metrics.
	// Default: a registry of its own.
	Metrics *prometheus.Registry
	// Tracer traces requests. Default: none.
	Tracer trace.TracerProvider
}

// Service is the dashboard service.
type Service struct {
	cfg       Config
	log       *slog.Logger
	nc        *nats.Conn
	js        jetstream.JetStream
	now       func() time.Time
	metrics   *prometheus.Registry
	tracer    trace.Tracer
	redis     redis.UniversalClient
	ownsRedis bool
	opKey     []byte
	board     *rates.Board
	follower  *rates.Follower
	market    *market.Market
	audit     *audit.Log
	control   *control.Client
	handler   *gin.Engine
	micro     micro.Service
}

// New declares the audit log and returns the service, not yet started.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = ":8083"
	}
	if cfg.DiscoveryWindow == 0 {
		cfg.DiscoveryWindow = discovery.Window
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("dashboard config: %w", err)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Metrics == nil {
		deps.Metrics = prometheus.NewRegistry()
	}
	js, err := jetstream.New(deps.NC)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	if err := bus.EnsureShared(ctx, js, cfg.NATS.Replicas); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	log, err := audit.Open(ctx, js, cfg.NATS.Replicas)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	gaz, err := geo.NewGazetteer(nil)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	s := &Service{
		cfg: cfg, log: deps.Log.With("service", Name), nc: deps.NC, js: js, now: deps.Now,
		metrics: deps.Metrics, tracer: telemetry.Tracer(deps.Tracer, Name),
		redis: deps.Redis, opKey: auth.Hash(cfg.OperatorKey),
		board: rates.NewBoard(), market: market.New(gaz), audit: log, control: control.New(deps.NC),
	}
	if s.redis == nil && cfg.Redis.Enabled() {
		s.redis, s.ownsRedis = redisclient.New(cfg.Redis), true
	}
	s.follower = rates.NewFollower(js, s.board, s.log)
	s.handler = s.routes()
	return s, nil
}

// Handler returns the API and page.
func (s *Service) Handler() http.Handler { return s.handler }

// Start follows the streams and registers the service.
func (s *Service) Start(ctx context.Context) error {
	if err := s.follower.Start(ctx, s.now()); err != nil {
		return err
	}
	if err := s.market.Follow(ctx, s.js, s.log); err != nil {
		return errors.Join(err, s.follower.Stop())
	}
	svc, err := micro.AddService(s.nc, micro.Config{Name: Name, Version: buildinfo.String(), Description: "operator dashboard"})
	if err != nil {
		return errors.Join(fmt.Errorf("register dashboard: %w", err), s.Stop(ctx))
	}
	s.micro = svc
	return nil
}

// Stop stops following the streams and deregisters.
func (s *Service) Stop(context.Context) error {
	errs := []error{s.follower.Stop()}
	s.market.Stop()
	if s.micro != nil {
		errs = append(errs, s.micro.Stop())
	}
	if s.ownsRedis {
		errs = append(errs, s.redis.Close())
	}
	return errors.Join(errs...)
}

func (s *Service) routes() *gin.Engine {
	r := httpserver.New(s.log, httpserver.Options{Metrics: s.metrics, Tracer: s.tracer})
	health.Register(r, bus.Check(s.nc))
	doc, err := Document().Handler()
	if err != nil {
		// The document is built from the types alone: an error is a broken
		// build, which every test of the service would show.
		panic(err)
	}
	r.GET("/openapi.json", doc)
	// The dashboard's paths have prefixes of their own, so that one public
	// base URL can serve every service without a rewrite.
	s.apiRoutes(r.Group(APIPrefix, auth.Operator(s.opKey, nil)))
	s.pageRoutes(r.Group(PagePrefix))
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, PagePrefix+"/") })
	return r
}
