// Package matching is the matching service: it keeps an index of the
// candidates of the partitions it owns and of every vacancy, rebuilt from
// JetStream when it starts; on every vacancy change it finds the candidates
// the vacancy fits, on every profile change the open vacancies the candidate
// fits; it writes the match lists to the cache, publishes a MatchFound for
// each match, and serves a candidate's ranked matches.
package matching

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/buildinfo"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/health"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/redisclient"
	"github.com/clinjobs/clinjobs/services/matching/internal/index"
	"github.com/clinjobs/clinjobs/services/matching/internal/matchcache"
)

// Name is the service's name in the NATS services framework and in logs.
const Name = "matching"

// Config is the service's configuration.
type Config struct {
	// HTTPAddr is where the read API listens. Default: :8081.
	HTTPAddr string
	NATS     bus.Config
	// Redis holds the match cache; without it the cache is in-process.
	Redis redisclient.Config
	// Partitions are the candidate partitions this replica owns. Default: all.
	Partitions partition.Set
}

// ConfigFromEnv reads HTTP_ADDR, MATCHING_PARTITIONS and the NATS and Redis settings.
func ConfigFromEnv(r *config.Reader) (Config, error) {
	parts, err := partition.Parse(r.String("MATCHING_PARTITIONS", ""))
	if err != nil {
		return Config{}, fmt.Errorf("MATCHING_PARTITIONS: %w", err)
	}
	return Config{
		HTTPAddr:   r.String("HTTP_ADDR", ":8081"),
		NATS:       bus.ConfigFromEnv(r, Name),
		Redis:      redisclient.ConfigFromEnv(r),
		Partitions: parts,
	}, nil
}

func (c *Config) setDefaults() {
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":8081"
	}
	if len(c.Partitions) == 0 {
		c.Partitions = partition.All()
	}
}

// Deps are what the service is built on.
type Deps struct {
	Log *slog.Logger
	NC  *nats.Conn
	// Redis, when set, is used for the cache instead of dialling cfg.Redis:
	// the all-in-one shares one client between services.
	Redis redis.UniversalClient
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Metrics receives the service's metrics, served at /metrics.
	// Default: a registry of its own.
	Metrics *prometheus.Registry
}

// Service is the matching service.
type Service struct {
	metrics    *prometheus.Registry
	cfg        Config
	log        *slog.Logger
	nc         *nats.Conn
	js         jetstream.JetStream
	pub        *bus.Publisher
	now        func() time.Time
	index      *index.Index
	cache      matchcache.Cache
	cacheName  string
	redis      redis.UniversalClient
	ownsRedis  bool
	candidates *auth.Candidates
	handler    *gin.Engine
	misses     singleflight.Group

	// mu makes applying a change and matching it one step, so that of a
	// candidate and a vacancy that arrive together, whichever is matched
	// second sees the first.
	mu     sync.Mutex
	ready  atomic.Bool
	consum []*bus.Consumption
	micro  micro.Service
}

// New declares what the service uses and returns it, not yet started.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.NATS.Validate(); err != nil {
		return nil, fmt.Errorf("matching config: %w", err)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Metrics == nil {
		deps.Metrics = prometheus.NewRegistry()
	}
	js, err := jetstream.New(deps.NC)
	if err != nil {
		return nil, fmt.Errorf("matching: %w", err)
	}
	if err := bus.EnsureShared(ctx, js, cfg.NATS.Replicas); err != nil {
		return nil, fmt.Errorf("matching: %w", err)
	}
	pub := bus.NewPublisher(js)
	candidates, err := bus.NewStore(ctx, js, pub, bus.BucketCandidates)
	if err != nil {
		return nil, fmt.Errorf("matching: %w", err)
	}
	s := &Service{
		metrics:    deps.Metrics,
		cfg:        cfg,
		log:        deps.Log.With("service", Name, "partitions", cfg.Partitions.String()),
		nc:         deps.NC,
		js:         js,
		pub:        pub,
		now:        deps.Now,
		index:      index.New(),
		candidates: auth.NewCandidates(candidates),
		redis:      deps.Redis,
	}
	if s.redis == nil && cfg.Redis.Enabled() {
		s.redis, s.ownsRedis = redisclient.New(cfg.Redis), true
	}
	if s.redis != nil {
		s.cache, s.cacheName = matchcache.NewRedis(s.redis, deps.Now), "redis"
	} else {
		s.cache, s.cacheName = matchcache.NewMemory(deps.Now), "memory"
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the HTTP API.
func (s *Service) Handler() http.Handler { return s.handler }

// consumerName names this replica's durable consumer of a stream: replicas
// owning different partitions must not share one.
func (s *Service) consumerName(kind string) string {
	set := strings.NewReplacer(",", "_").Replace(s.cfg.Partitions.String())
	return "matching-" + kind + "-p" + set
}

// Start rebuilds the index from JetStream, then consumes changes.
func (s *Service) Start(ctx context.Context) error {
	svc, err := micro.AddService(s.nc, micro.Config{
		Name:        Name,
		Version:     buildinfo.String(),
		Description: "matches vacancies and candidates; serves match lists",
		Metadata:    map[string]string{"partitions": s.cfg.Partitions.String(), "cache": s.cacheName},
	})
	if err != nil {
		return fmt.Errorf("register matching: %w", err)
	}
	s.micro = svc
	if err := s.rebuild(ctx); err != nil {
		return err
	}
	vacancies, err := s.js.CreateOrUpdateConsumer(ctx, bus.KVStream(bus.BucketVacancies), jetstream.ConsumerConfig{
		Durable:       s.consumerName("vacancies"),
		Description:   "matching: vacancy changes",
		FilterSubject: bus.KVSubjects(bus.BucketVacancies),
		DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       time.Minute,
		MaxAckPending: 256,
	})
	if err != nil {
		return fmt.Errorf("matching: consumer of vacancies: %w", err)
	}
	candidates, err := s.js.CreateOrUpdateConsumer(ctx, bus.KVStream(bus.BucketCandidates), jetstream.ConsumerConfig{
		Durable:        s.consumerName("candidates"),
		Description:    "matching: candidate changes of partitions " + s.cfg.Partitions.String(),
		FilterSubjects: s.cfg.Partitions.Subjects("$KV." + bus.BucketCandidates + "."),
		DeliverPolicy:  jetstream.DeliverLastPerSubjectPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        time.Minute,
		MaxAckPending:  256,
	})
	if err != nil {
		return fmt.Errorf("matching: consumer of candidates: %w", err)
	}
	for _, c := range []struct {
		cons jetstream.Consumer
		h    bus.Handler
	}{{vacancies, s.onVacancy}, {candidates, s.onCandidate}} {
		cc, err := bus.Consume(c.cons, s.log, c.h, bus.ConsumeOptions{})
		if err != nil {
			return errors.Join(err, s.Stop(ctx))
		}
		s.consum = append(s.consum, cc)
	}
	s.ready.Store(true)
	return nil
}

// Stop stops consuming, finishing the changes in hand, and deregisters.
func (s *Service) Stop(ctx context.Context) error {
	s.ready.Store(false)
	var errs []error
	for _, c := range s.consum {
		errs = append(errs, c.Stop(ctx))
	}
	s.consum = nil
	if s.micro != nil {
		errs = append(errs, s.micro.Stop())
	}
	if s.ownsRedis {
		errs = append(errs, s.redis.Close())
	}
	return errors.Join(errs...)
}

func (s *Service) checks() []health.Check {
	checks := []health.Check{bus.Check(s.nc), {Name: "index", Check: func(context.Context) error {
		if !s.ready.Load() {
			return fmt.Errorf("rebuilding the index: %w", health.ErrNotReady)
		}
		return nil
	}}}
	// Redis is not a readiness check: without it reads fall back to the
	// index, which is what degrading instead of cascading means.
	return checks
}

func (s *Service) routes() *gin.Engine {
	r := httpserver.New(s.log, httpserver.Options{Metrics: s.metrics})
	health.Register(r, s.checks()...)
	r.GET("/v1/candidates/:id/matches", s.candidates.Candidate("id"), s.candidateMatches)
	return r
}
