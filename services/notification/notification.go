// Package notification tells candidates of their matches. A match becomes one
// delivery per subscription that wants it (the fan-out), and each delivery is
// sent on its own: a webhook POST signed per the Standard Webhooks
// specification, through a client that refuses internal addresses. Every
// delivery is retried on failure with the same id, and recorded once sent, so
// that whatever is redelivered or replayed, a candidate hears of a vacancy
// once per subscription.
package notification

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
	"github.com/clinjobs/clinjobs/pkg/health"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/webhook"
)

// Name is the service's name in the NATS services framework and in logs.
const Name = "notification"

// The service's own streams and buckets.
const (
	// BucketSubscriptions holds one Subscriptions per candidate id.
	BucketSubscriptions = "subscriptions"
	// BucketAlerts holds one AlertDelivered per delivered alert, keyed
	// <candidate>.<vacancy>.<subscription>: the durable record that makes
	// alerts arrive once.
	BucketAlerts = "alerts"
	// StreamDeliveries carries Delivery on deliveries.<channel>.<subscription>.
	StreamDeliveries = "DELIVERIES"
)

// Config is the service's configuration.
type Config struct {
	// HTTPAddr is where the candidate API listens. Default: :8082.
	HTTPAddr string
	NATS     bus.Config
	// AllowPrivateWebhooks lets webhooks target private, loopback and
	// link-local addresses: for on-premises trusts and for tests. Default: false.
	AllowPrivateWebhooks bool
	// WebhookTimeout bounds one webhook request. Default: 10s.
	WebhookTimeout time.Duration
	// Workers deliver side by side. Default: 32.
	Workers int
}

// ConfigFromEnv reads HTTP_ADDR, ALLOW_PRIVATE_WEBHOOKS, WEBHOOK_TIMEOUT,
// DELIVERY_WORKERS and the NATS settings.
func ConfigFromEnv(r *config.Reader) Config {
	return Config{
		HTTPAddr:             r.String("HTTP_ADDR", ":8082"),
		NATS:                 bus.ConfigFromEnv(r, Name),
		AllowPrivateWebhooks: r.Bool("ALLOW_PRIVATE_WEBHOOKS", false),
		WebhookTimeout:       r.Duration("WEBHOOK_TIMEOUT", 10*time.Second),
		Workers:              r.Int("DELIVERY_WORKERS", 32),
	}
}

func (c *Config) setDefaults() {
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":8082"
	}
	if c.WebhookTimeout == 0 {
		c.WebhookTimeout = 10 * time.Second
	}
	if c.Workers == 0 {
		c.Workers = 32
	}
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

// Service is the notification service.
type Service struct {
	metrics       *prometheus.Registry
	cfg           Config
	log           *slog.Logger
	nc            *nats.Conn
	js            jetstream.JetStream
	pub           *bus.Publisher
	now           func() time.Time
	subscriptions *bus.Store
	alerts        *bus.Store
	candidates    *auth.Candidates
	client        *http.Client
	handler       *gin.Engine
	consum        []*bus.Consumption
	micro         micro.Service
}

// New declares what the service uses and returns it, not yet started.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.NATS.Validate(); err != nil {
		return nil, fmt.Errorf("notification config: %w", err)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Metrics == nil {
		deps.Metrics = prometheus.NewRegistry()
	}
	js, err := jetstream.New(deps.NC)
	if err != nil {
		return nil, fmt.Errorf("notification: %w", err)
	}
	if err := declare(ctx, js, cfg.NATS.Replicas); err != nil {
		return nil, fmt.Errorf("notification: %w", err)
	}
	pub := bus.NewPublisher(js)
	s := &Service{
		metrics: deps.Metrics,
		cfg:     cfg, log: deps.Log.With("service", Name), nc: deps.NC, js: js, pub: pub, now: deps.Now,
		client: webhook.NewClient(webhook.ClientConfig{AllowPrivate: cfg.AllowPrivateWebhooks, Timeout: cfg.WebhookTimeout}),
	}
	for bucket, store := range map[string]**bus.Store{BucketSubscriptions: &s.subscriptions, BucketAlerts: &s.alerts} {
		if *store, err = bus.NewStore(ctx, js, pub, bucket); err != nil {
			return nil, fmt.Errorf("notification: %w", err)
		}
	}
	candidates, err := bus.NewStore(ctx, js, pub, bus.BucketCandidates)
	if err != nil {
		return nil, fmt.Errorf("notification: %w", err)
	}
	s.candidates = auth.NewCandidates(candidates)
	s.handler = s.routes()
	return s, nil
}

func declare(ctx context.Context, js jetstream.JetStream, replicas int) error {
	if err := bus.EnsureShared(ctx, js, replicas); err != nil {
		return err
	}
	for _, kv := range []jetstream.KeyValueConfig{
		{Bucket: BucketSubscriptions, Description: "alert subscriptions, one list per candidate", History: 1},
		{Bucket: BucketAlerts, Description: "alerts delivered, one record per candidate, vacancy and subscription", History: 1},
	} {
		kv.Replicas, kv.Storage = replicas, jetstream.FileStorage
		if _, err := bus.EnsureKV(ctx, js, kv); err != nil {
			return err
		}
	}
	_, err := bus.EnsureStream(ctx, js, jetstream.StreamConfig{
		Name:        StreamDeliveries,
		Description: "alerts on their way, one message per delivery",
		Subjects:    []string{"deliveries.>"},
		Retention:   jetstream.WorkQueuePolicy,
		Duplicates:  10 * time.Minute,
		Replicas:    replicas,
		Storage:     jetstream.FileStorage,
	})
	return err
}

// Handler returns the HTTP API.
func (s *Service) Handler() http.Handler { return s.handler }

// Start consumes matches and deliveries.
func (s *Service) Start(ctx context.Context) error {
	svc, err := micro.AddService(s.nc, micro.Config{
		Name:        Name,
		Version:     buildinfo.String(),
		Description: "alert subscriptions and deliveries",
	})
	if err != nil {
		return fmt.Errorf("register notification: %w", err)
	}
	s.micro = svc
	matches, err := s.js.CreateOrUpdateConsumer(ctx, bus.StreamMatches, jetstream.ConsumerConfig{
		Durable:       "notification-matches",
		Description:   "notification: fan a match out into deliveries",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       time.Minute,
		MaxAckPending: 1024,
	})
	if err != nil {
		return fmt.Errorf("notification: consumer of matches: %w", err)
	}
	webhooks, err := s.js.CreateOrUpdateConsumer(ctx, StreamDeliveries, jetstream.ConsumerConfig{
		Durable:       "notification-webhooks",
		Description:   "notification: send webhook deliveries",
		FilterSubject: "deliveries.webhook.>",
		AckPolicy:     jetstream.AckExplicitPolicy,
		// Longer than a webhook may take, so a slow endpoint's delivery is
		// not sent twice side by side.
		AckWait:       s.cfg.WebhookTimeout + 30*time.Second,
		MaxAckPending: 4 * s.cfg.Workers,
	})
	if err != nil {
		return fmt.Errorf("notification: consumer of webhook deliveries: %w", err)
	}
	for _, c := range []struct {
		cons    jetstream.Consumer
		h       bus.Handler
		workers int
	}{{matches, s.onMatch, 4}, {webhooks, s.onWebhookDelivery, s.cfg.Workers}} {
		cc, err := bus.Consume(c.cons, s.log, c.h, bus.ConsumeOptions{Workers: c.workers, HandleTimeout: s.cfg.WebhookTimeout + 10*time.Second})
		if err != nil {
			return errors.Join(err, s.Stop(ctx))
		}
		s.consum = append(s.consum, cc)
	}
	return nil
}

// Stop stops consuming, finishing the deliveries in hand, and deregisters.
func (s *Service) Stop(ctx context.Context) error {
	var errs []error
	for _, c := range s.consum {
		errs = append(errs, c.Stop(ctx))
	}
	s.consum = nil
	if s.micro != nil {
		errs = append(errs, s.micro.Stop())
	}
	return errors.Join(errs...)
}

func (s *Service) routes() *gin.Engine {
	r := httpserver.New(s.log, httpserver.Options{Metrics: s.metrics})
	health.Register(r, bus.Check(s.nc))
	own := s.candidates.Candidate("id")
	r.POST("/v1/candidates/:id/subscriptions", own, s.subscribe)
	r.GET("/v1/candidates/:id/subscriptions", own, s.listSubscriptions)
	r.DELETE("/v1/candidates/:id/subscriptions/:sid", own, s.unsubscribe)
	return r
}
