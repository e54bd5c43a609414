// Package matching is the matching service: it keeps an index of the
// candidates of the partitions it owns and of every open vacancy, rebuilt
// from JetStream when it starts (JetStream is its only store); on every
// vacancy change it finds the candidates the vacancy fits, on every profile
// change the open vacancies the candidate fits; it publishes a MatchFound for
// each pair that has become a match, writes the match lists to the cache,
// and serves a candidate's ranked matches and near misses.
//
// The rule for announcing: a MatchFound goes out when a pair becomes a match
// (it was not in the cached list of the candidate or the vacancy), with the
// pair as its message id. A vacancy edit that keeps a match announces
// nothing; a match lost and regained is announced again, and notification,
// which keeps a durable record of every alert it sent, does not alert a
// second time: a candidate hears of a vacancy once.
package matching

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
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
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/singleflight"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/health"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/match/index"
	"github.com/clinjobs/clinjobs/pkg/partition"
	"github.com/clinjobs/clinjobs/pkg/redisclient"
	"github.com/clinjobs/clinjobs/pkg/telemetry"
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
	// TrustedProxies are the proxies whose X-Forwarded-For names the client.
	TrustedProxies []string
	// Workers handle changes side by side, each vacancy's or candidate's
	// in order. Default: 8.
	Workers int
}

// ConfigFromEnv reads HTTP_ADDR, MATCHING_PARTITIONS (or MATCHING_ORDINAL
// and MATCHING_REPLICAS), TRUSTED_PROXIES, MATCHING_WORKERS and the NATS and
// Redis settings.
func ConfigFromEnv(r *config.Reader) (Config, error) {
	parts, err := partitionsFromEnv(r)
	if err != nil {
		return Config{}, err
	}
	return Config{
		HTTPAddr:       r.String("HTTP_ADDR", ":8081"),
		NATS:           bus.ConfigFromEnv(r, Name),
		Redis:          redisclient.ConfigFromEnv(r),
		Partitions:     parts,
		TrustedProxies: r.List("TRUSTED_PROXIES", nil),
		Workers:        r.Int("MATCHING_WORKERS", 8),
	}, nil
}

// partitionsFromEnv reads the partitions this replica owns: listed in
// MATCHING_PARTITIONS, or derived from MATCHING_ORDINAL (a number, or a
// StatefulSet pod name such as clinjobs-matching-2) and MATCHING_REPLICAS,
// so that a StatefulSet's pods share the partitions out by ordinal
// (partition.OfReplica) without a hand-kept list. Setting both ways is
// refused: which one wins would be a guess.
func partitionsFromEnv(r *config.Reader) (partition.Set, error) {
	listed := r.String("MATCHING_PARTITIONS", "")
	ordinal := r.String("MATCHING_ORDINAL", "")
	replicas := r.String("MATCHING_REPLICAS", "")
	if ordinal == "" && replicas == "" {
		parts, err := partition.Parse(listed)
		if err != nil {
			return nil, fmt.Errorf("MATCHING_PARTITIONS: %w", err)
		}
		return parts, nil
	}
	if listed != "" {
		return nil, errors.New("MATCHING_PARTITIONS and MATCHING_ORDINAL/MATCHING_REPLICAS: set one or the other")
	}
	if ordinal == "" || replicas == "" {
		return nil, errors.New("MATCHING_ORDINAL and MATCHING_REPLICAS: set both")
	}
	n, err := partition.Ordinal(ordinal)
	if err != nil {
		return nil, fmt.Errorf("MATCHING_ORDINAL: %w", err)
	}
	count, err := strconv.Atoi(strings.TrimSpace(replicas))
	if err != nil {
		return nil, fmt.Errorf("MATCHING_REPLICAS %q: not a number", replicas)
	}
	parts, err := partition.OfReplica(n, count)
	if err != nil {
		return nil, fmt.Errorf("MATCHING_ORDINAL and MATCHING_REPLICAS: %w", err)
	}
	return parts, nil
}

func (c *Config) setDefaults() {
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":8081"
	}
	if len(c.Partitions) == 0 {
		c.Partitions = partition.All()
	}
	if c.Workers <= 0 {
		c.Workers = 8
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
	// Tracer traces requests and the work changes cause. Default: none.
	Tracer trace.TracerProvider
}

// Service is the matching service.
type Service struct {
	cfg        Config
	log        *slog.Logger
	nc         *nats.Conn
	js         jetstream.JetStream
	pub        *bus.Publisher
	now        func() time.Time
	metrics    *metrics
	registry   *prometheus.Registry
	tracer     trace.Tracer
	index      *index.Index
	cache      matchcache.Cache
	cacheName  string
	redis      redis.UniversalClient
	ownsRedis  bool
	candidates *auth.Candidates
	handler    *gin.Engine
	misses     singleflight.Group

	// dirty is set when a cache write failed: until the cache is flushed,
	// it may hold lists that missed changes, so reads skip it.
	dirty  atomic.Bool
	ready  atomic.Bool
	consum []*bus.Consumption
	micro  micro.Service
	stop   context.CancelFunc
	wg     sync.WaitGroup
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
		cfg:        cfg,
		log:        deps.Log.With("service", Name, "partitions", cfg.Partitions.String()),
		nc:         deps.NC,
		js:         js,
		pub:        pub,
		now:        deps.Now,
		registry:   deps.Metrics,
		tracer:     telemetry.Tracer(deps.Tracer, Name),
		index:      index.New(),
		candidates: auth.NewCandidates(candidates),
		redis:      deps.Redis,
	}
	if s.redis == nil && cfg.Redis.Enabled() {
		s.redis, s.ownsRedis = redisclient.New(cfg.Redis), true
	}
	if s.redis != nil {
		s.cache, s.cacheName = matchcache.NewRedis(s.redis, deps.Now, cfg.Partitions), "redis"
	} else {
		s.cache, s.cacheName = matchcache.NewMemory(deps.Now), "memory"
	}
	s.metrics = newMetrics(deps.Metrics, s.index)
	if s.handler, err = s.routes(); err != nil {
		return nil, fmt.Errorf("matching: %w", err)
	}
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

// Start rebuilds the index from JetStream, then consumes changes; the
// service is ready once the consumers have caught up.
func (s *Service) Start(ctx context.Context) error {
	svc, err := s.registerControl()
	if err != nil {
		return err
	}
	s.micro = svc
	// A start that meets a moment of the cluster's (a leader election, a
	// new consumer not yet known on every node) rebuilds again, not exits.
	err = bus.Retry(ctx, func(ctx context.Context) error {
		err := s.rebuild(ctx)
		if err != nil {
			s.log.Warn("index rebuild interrupted", "err", err)
		}
		return err
	})
	if err != nil {
		return errors.Join(err, s.micro.Stop())
	}
	// The cache may hold lists written before this start that missed
	// changes (a failed write, a Redis restored from an old state): the
	// lists of the partitions owned are dropped and recomputed on demand.
	if err := s.cache.Flush(ctx); err != nil {
		s.log.Warn("match cache not flushed at start; reads skip it until it is", "err", err)
		s.dirty.Store(true)
	}
	consumers, err := s.consumers(ctx)
	if err != nil {
		return errors.Join(err, s.micro.Stop())
	}
	// Changes of different vacancies (or candidates) are handled side by
	// side; the changes of one, in order, by one worker.
	// A change a replica held when it died (or lost its NATS node) comes
	// back to the consumer after bus.AckWait; a handler still at work
	// renews the window, so it is not handed to another meanwhile.
	opts := bus.ConsumeOptions{Tracer: s.tracer, Metrics: bus.NewConsumerMetrics(s.registry), Workers: s.cfg.Workers, Key: bus.BySubject,
		HandleTimeout: 20 * time.Second}
	for i, h := range []bus.Handler{s.onVacancy, s.onCandidate} {
		cc, err := bus.Consume(consumers[i], s.log, h, opts)
		if err != nil {
			return errors.Join(err, s.Stop(ctx))
		}
		s.consum = append(s.consum, cc)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	s.wg.Go(func() { s.watchCatchUp(runCtx, consumers) })
	s.wg.Go(func() { s.mendCache(runCtx) })
	return nil
}

func (s *Service) consumers(ctx context.Context) ([]jetstream.Consumer, error) {
	vacancies, err := bus.EnsureConsumer(ctx, s.js, bus.KVStream(bus.BucketVacancies), jetstream.ConsumerConfig{
		Durable:       s.consumerName("vacancies"),
		Description:   "matching: vacancy changes",
		FilterSubject: bus.KVSubjects(bus.BucketVacancies),
		DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       bus.AckWait,
		MaxAckPending: 256,
		MaxDeliver:    bus.MaxDeliver,
	})
	if err != nil {
		return nil, fmt.Errorf("matching: consumer of vacancies: %w", err)
	}
	candidates, err := bus.EnsureConsumer(ctx, s.js, bus.KVStream(bus.BucketCandidates), jetstream.ConsumerConfig{
		Durable:        s.consumerName("candidates"),
		Description:    "matching: candidate changes of partitions " + s.cfg.Partitions.String(),
		FilterSubjects: s.cfg.Partitions.Subjects("$KV." + bus.BucketCandidates + "."),
		DeliverPolicy:  jetstream.DeliverLastPerSubjectPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        bus.AckWait,
		MaxAckPending:  256,
		MaxDeliver:     bus.MaxDeliver,
	})
	if err != nil {
		return nil, fmt.Errorf("matching: consumer of candidates: %w", err)
	}
	return []jetstream.Consumer{vacancies, candidates}, nil
}

// watchCatchUp marks the service ready once its consumers have handled
// everything that was waiting when it started.
func (s *Service) watchCatchUp(ctx context.Context, consumers []jetstream.Consumer) {
	for {
		caught := true
		for _, c := range consumers {
			info, err := c.Info(ctx)
			caught = caught && err == nil && info.NumPending == 0 && info.NumAckPending == 0
		}
		if caught {
			s.ready.Store(true)
			s.log.Info("caught up with the streams; ready")
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// mendCache flushes the cache once it is reachable again after a failed
// write, so that no list that missed a change is served.
func (s *Service) mendCache(ctx context.Context) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !s.dirty.Load() {
			continue
		}
		if err := s.cache.Flush(ctx); err != nil {
			continue
		}
		s.dirty.Store(false)
		s.log.Info("match cache flushed after failed writes; lists are recomputed as they are read")
	}
}

// Stop stops consuming, finishing the changes in hand, and deregisters.
func (s *Service) Stop(ctx context.Context) error {
	s.ready.Store(false)
	errs := []error{bus.StopAll(ctx, s.consum...)}
	s.consum = nil
	if s.stop != nil {
		s.stop()
		s.wg.Wait()
	}
	if s.micro != nil {
		errs = append(errs, s.micro.Stop())
	}
	if s.ownsRedis {
		errs = append(errs, s.redis.Close())
	}
	return errors.Join(errs...)
}

func (s *Service) checks() []health.Check {
	// Redis is not a readiness check: without it reads fall back to the
	// index, which is what degrading instead of cascading means.
	return []health.Check{bus.Check(s.nc), {Name: "index", Check: func(context.Context) error {
		if !s.ready.Load() {
			return fmt.Errorf("rebuilding the index or catching up: %w", health.ErrNotReady)
		}
		return nil
	}}}
}

func (s *Service) routes() (*gin.Engine, error) {
	r := httpserver.New(s.log, httpserver.Options{Metrics: s.registry, Tracer: s.tracer, TrustedProxies: s.cfg.TrustedProxies})
	health.Register(r, s.checks()...)
	doc, err := Document().Handler()
	if err != nil {
		return nil, err
	}
	r.GET("/openapi.json", doc)
	own := s.candidates.Candidate("id")
	r.GET("/v1/candidates/:id/matches", own, s.candidateMatches)
	r.GET("/v1/candidates/:id/near-misses", own, s.nearMisses)
	return r, nil
}
