// Package ingest is the write API of the system: trusts post and manage
// vacancies, candidates sign up and keep their profiles. Every change it
// accepts is stored and announced by one JetStream write (a KV put whose
// stream the other services consume): a record that is stored is always
// announced, and nothing is announced that was not stored.
package ingest

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

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/buildinfo"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/geo"
	"github.com/clinjobs/clinjobs/pkg/health"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
)

// Name is the service's name in the NATS services framework and in logs.
const Name = "ingest"

// Config is the service's configuration.
type Config struct {
	// HTTPAddr is where the API listens. Default: :8080.
	HTTPAddr string
	// NATS says how to reach the broker.
	NATS bus.Config
	// OperatorKey is the bootstrap operator key: it alone may onboard the
	// first trusts. Required; at least 32 characters.
	OperatorKey string
	// MaxBodyBytes bounds a request body. Default: 1 MiB.
	MaxBodyBytes int64
}

// ConfigFromEnv reads HTTP_ADDR, OPERATOR_KEY, MAX_BODY_BYTES and the NATS settings.
func ConfigFromEnv(r *config.Reader) Config {
	return Config{
		HTTPAddr:     r.String("HTTP_ADDR", ":8080"),
		NATS:         bus.ConfigFromEnv(r, Name),
		OperatorKey:  r.String("OPERATOR_KEY", ""),
		MaxBodyBytes: int64(r.Int("MAX_BODY_BYTES", 1<<20)),
	}
}

func (c *Config) setDefaults() {
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":8080"
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
}

// Validate reports what is wrong with c.
func (c Config) Validate() error {
	var errs []error
	if len(c.OperatorKey) < 32 {
		errs = append(errs, errors.New("OPERATOR_KEY must be set, at least 32 characters"))
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("MAX_BODY_BYTES must not be negative"))
	}
	return errors.Join(append(errs, c.NATS.Validate())...)
}

// Deps are what the service is built on.
type Deps struct {
	Log *slog.Logger
	NC  *nats.Conn
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Metrics receives the service's metrics, served at /metrics.
	// Default: a registry of its own.
	Metrics *prometheus.Registry
}

// Service is the ingest service.
type Service struct {
	metrics     *prometheus.Registry
	cfg         Config
	log         *slog.Logger
	nc          *nats.Conn
	now         func() time.Time
	trusts      *bus.Store
	vacancies   *bus.Store
	candidates  *bus.Store
	gazetteer   *geo.Gazetteer
	operatorKey []byte
	handler     *gin.Engine
	micro       micro.Service
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
		metrics:     deps.Metrics,
		cfg:         cfg,
		log:         deps.Log.With("service", Name),
		nc:          deps.NC,
		now:         deps.Now,
		operatorKey: auth.Hash(cfg.OperatorKey),
	}
	for bucket, store := range map[string]**bus.Store{
		bus.BucketTrusts: &s.trusts, bus.BucketVacancies: &s.vacancies, bus.BucketCandidates: &s.candidates,
	} {
		if *store, err = bus.NewStore(ctx, js, pub, bucket); err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
	}
	if s.gazetteer, err = geo.NewGazetteer(nil); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the HTTP API.
func (s *Service) Handler() http.Handler { return s.handler }

// Addr returns the configured listen address.
func (s *Service) Addr() string { return s.cfg.HTTPAddr }

// Start registers the service with the NATS services framework.
func (s *Service) Start(context.Context) error {
	svc, err := micro.AddService(s.nc, micro.Config{
		Name:        Name,
		Version:     buildinfo.String(),
		Description: "write API: trusts, vacancies, candidate profiles",
	})
	if err != nil {
		return fmt.Errorf("register ingest: %w", err)
	}
	s.micro = svc
	return nil
}

// Stop deregisters the service.
func (s *Service) Stop(context.Context) error {
	if s.micro != nil {
		if err := s.micro.Stop(); err != nil {
			return fmt.Errorf("deregister ingest: %w", err)
		}
	}
	return nil
}

func (s *Service) routes() *gin.Engine {
	r := httpserver.New(s.log, httpserver.Options{MaxBodyBytes: s.cfg.MaxBodyBytes, Metrics: s.metrics})
	health.Register(r, bus.Check(s.nc))
	candidates := auth.NewCandidates(s.candidates)

	v1 := r.Group("/v1")
	v1.POST("/trusts", auth.Operator(s.operatorKey), s.createTrust)
	v1.POST("/vacancies", s.requireTrust, s.postVacancy)
	v1.GET("/vacancies/:id", s.getVacancy)
	v1.POST("/candidates", s.signUp)
	v1.GET("/candidates/:id", candidates.Candidate("id"), s.getCandidate)
	return r
}
