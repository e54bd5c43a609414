// Package notification tells candidates of their matches, once, on the
// channels and at the rhythm they chose.
//
// A match (stream MATCHES) fans out into one Delivery per subscription that
// wants it now (stream DELIVERIES); a daily or weekly subscription's matches
// wait in the digests bucket until its slot in Europe/London time, then
// leave together as one digest Delivery. Each Delivery is sent on its own
// channel: a webhook POST signed per Standard Webhooks through a client that
// refuses internal addresses, an email over SMTP, or an event on the
// candidate's live stream (stream LIVE, read as server-sent events).
//
// Exactly once: a delivery's id is derived from what it tells, so a match
// announced twice makes the same id, which the stream's duplicate window
// and then the alerts bucket turn away. The alerts record is written after
// the send and before the acknowledgement; if the process dies between the
// send and the record, the redelivered message sends again with the same
// webhook-id / Message-ID / event id, which receivers dedupe on (the
// Standard Webhooks contract). A failed send is retried on the published
// schedule (internal/schedule) by JetStream redelivery with a delay, and
// after the last try it becomes a dead letter that an operator can replay.
// Per-endpoint concurrency limits and circuit breakers (internal/endpoints)
// keep a slow or failing endpoint's deliveries from holding anyone else's.
package notification

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/health"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/telemetry"
	"github.com/clinjobs/clinjobs/pkg/webhook"
	"github.com/clinjobs/clinjobs/services/notification/internal/endpoints"
	"github.com/clinjobs/clinjobs/services/notification/internal/schedule"
	"github.com/clinjobs/clinjobs/services/notification/mail"
)

// Name is the service's name in the NATS services framework and in logs.
const Name = "notification"

// The service's own streams and buckets.
const (
	// BucketSubscriptions holds one Subscriptions per candidate id.
	BucketSubscriptions = "subscriptions"
	// BucketAlerts holds one AlertDelivered per alert sent, keyed
	// <candidate>.<vacancy>.<subscription> (".closing" added for a
	// closing-soon reminder, "digest.<subscription>.<period>" for a
	// digest): the durable record that makes alerts arrive once.
	BucketAlerts = "alerts"
	// BucketDigests holds the matches waiting for a digest, one MatchFound
	// per <candidate>.<subscription>.<vacancy>.
	BucketDigests = "digests"
	// BucketDeadLetters holds one DeadLetter per <candidate>.<delivery>.
	BucketDeadLetters = "deadletters"
	// BucketEndpoints holds operators' EndpointState, keyed by the
	// endpoint's name in base32.
	BucketEndpoints = "endpoints"
	// BucketDeliveryState holds failing deliveries' progress and the
	// markers of digests on their way; entries expire after a day.
	BucketDeliveryState = "delivery-state"
	// BucketKeys holds the service's signing key for unsubscribe links,
	// made by the first replica to start.
	BucketKeys = "notification-keys"
	// StreamDeliveries carries Delivery on deliveries.<channel>.<subscription>.
	StreamDeliveries = "DELIVERIES"
	// StreamLive carries live events on live.<candidate>.
	StreamLive = "LIVE"
	// StreamReminders carries Reminder: waiting under a message schedule on
	// reminders.at.<candidate>.<vacancy>.<subscription>, and, once due, on
	// reminders.due.<candidate>.
	StreamReminders = "REMINDERS"
)

// Config is the service's configuration.
type Config struct {
	// HTTPAddr is where the candidate API listens. Default: :8082.
	HTTPAddr string
	NATS     bus.Config
	// PublicURL is the base URL candidates reach this API at, for the
	// unsubscribe links in emails. Default: http://localhost:8082.
	PublicURL string
	// AllowPrivateWebhooks lets webhooks target private, loopback and
	// link-local addresses: for on-premises trusts and for tests. Default: false.
	AllowPrivateWebhooks bool
	// WebhookTimeout bounds one webhook request. Default: 10s.
	WebhookTimeout time.Duration
	// Workers deliver side by side. Default: 32.
	Workers int
	// SMTP is where email goes; without an address email subscriptions
	// are refused.
	SMTP mail.Config
	// Retries is the wait after each failure. Default: schedule.Retries.
	Retries []time.Duration
	// Endpoints bounds each endpoint's deliveries in flight and its circuit.
	Endpoints endpoints.Config
	// DigestEvery is how often due digests are looked for. Default: 30s.
	DigestEvery time.Duration
	// ReminderBefore is how long before closing a reminder goes. Default: 48h.
	ReminderBefore time.Duration
	// ReminderPoll caps the wait of a reminder that is not yet due, so a
	// closing date brought forward is seen: each waiting reminder is looked
	// at this often. Default: 6h.
	ReminderPoll time.Duration
	// AckWait is how long a delivery held by a process that has gone waits
	// before another may take it; a process still sending renews it.
	// Default: bus.AckWait.
	AckWait time.Duration
}

// ConfigFromEnv reads HTTP_ADDR, PUBLIC_URL, ALLOW_PRIVATE_WEBHOOKS,
// WEBHOOK_TIMEOUT, DELIVERY_WORKERS, DELIVERY_RETRIES, ENDPOINT_CONCURRENCY, SMTP_ADDR,
// SMTP_FROM, SMTP_USERNAME, SMTP_PASSWORD, SMTP_TLS and the NATS settings.
func ConfigFromEnv(r *config.Reader) Config {
	return Config{
		HTTPAddr:             r.String("HTTP_ADDR", ":8082"),
		PublicURL:            r.String("PUBLIC_URL", "http://localhost:8082"),
		NATS:                 bus.ConfigFromEnv(r, Name),
		AllowPrivateWebhooks: r.Bool("ALLOW_PRIVATE_WEBHOOKS", false),
		WebhookTimeout:       r.Duration("WEBHOOK_TIMEOUT", 10*time.Second),
		Workers:              r.Int("DELIVERY_WORKERS", 32),
		Retries:              r.Durations("DELIVERY_RETRIES", nil),
		Endpoints:            endpoints.Config{Concurrency: r.Int("ENDPOINT_CONCURRENCY", 4)},
		SMTP:                 mail.ConfigFromEnv(r),
	}
}

func (c *Config) setDefaults() {
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":8082"
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://localhost:8082"
	}
	if c.WebhookTimeout == 0 {
		c.WebhookTimeout = 10 * time.Second
	}
	if c.Workers == 0 {
		c.Workers = 32
	}
	if len(c.Retries) == 0 {
		c.Retries = schedule.Retries
	}
	if c.DigestEvery == 0 {
		c.DigestEvery = 30 * time.Second
	}
	if c.ReminderBefore == 0 {
		c.ReminderBefore = 48 * time.Hour
	}
	if c.ReminderPoll == 0 {
		c.ReminderPoll = 6 * time.Hour
	}
	if c.AckWait == 0 {
		c.AckWait = bus.AckWait
	}
	if c.Endpoints.SlowLane == 0 {
		// A slow endpoint's send holds a place in the slow lane, not a
		// worker: a quarter of the workers' number.
		c.Endpoints.SlowLane = max(2, c.Workers/4)
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
	// Tracer traces requests and deliveries. Default: none.
	Tracer trace.TracerProvider
	// BeforeAck, when set, is called after an alert is sent and recorded
	// and before its message is acknowledged: tests kill the service there.
	BeforeAck func(deliveryID string)
	// Resolver resolves webhook host names, when a URL is registered and
	// at every connection; tests give one that serves their own answers.
	// Default: net.DefaultResolver.
	Resolver *net.Resolver
}

// Service is the notification service.
type Service struct {
	cfg       Config
	log       *slog.Logger
	nc        *nats.Conn
	js        jetstream.JetStream
	pub       *bus.Publisher
	now       func() time.Time
	london    *time.Location
	metrics   *metrics
	registry  *prometheus.Registry
	beforeAck func(string)
	tracer    trace.Tracer

	subscriptions, alerts, digests, deadLetters, endpointStates, states, candidates, vacancyRecords *bus.Store
	auth                                                                                            *auth.Candidates

	client   *http.Client
	resolver *net.Resolver
	mailer   *mail.Sender
	guard    *endpoints.Guard
	unsubKey []byte
	handler  *gin.Engine

	pausedMu sync.RWMutex
	paused   map[string]bool

	consum  []*bus.Consumption
	micro   micro.Service
	stop    context.CancelFunc
	loops   sync.WaitGroup
	watcher jetstream.KeyWatcher
}

// New declares what the service uses and returns it, not yet started.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.NATS.Validate(); err != nil {
		return nil, fmt.Errorf("notification config: %w", err)
	}
	mailer, err := mail.New(cfg.SMTP)
	if err != nil {
		return nil, fmt.Errorf("notification config: %w", err)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Metrics == nil {
		deps.Metrics = prometheus.NewRegistry()
	}
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		return nil, fmt.Errorf("notification: time zone: %w", err)
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
		cfg: cfg, log: deps.Log.With("service", Name), nc: deps.NC, js: js, pub: pub, now: deps.Now, london: london,
		registry: deps.Metrics, metrics: newMetrics(deps.Metrics), beforeAck: deps.BeforeAck,
		tracer: telemetry.Tracer(deps.Tracer, Name),
		// Redirects are not followed (Standard Webhooks): a receiver that
		// moved registers its new URL.
		client: webhook.NewClient(webhook.ClientConfig{AllowPrivate: cfg.AllowPrivateWebhooks, Timeout: cfg.WebhookTimeout,
			Resolver: deps.Resolver, MaxRedirects: -1}),
		resolver: deps.Resolver,
		mailer:   mailer, guard: endpoints.New(cfg.Endpoints, deps.Now), paused: map[string]bool{},
	}
	for bucket, store := range map[string]**bus.Store{
		BucketSubscriptions: &s.subscriptions, BucketAlerts: &s.alerts, BucketDigests: &s.digests,
		BucketDeadLetters: &s.deadLetters, BucketEndpoints: &s.endpointStates, BucketDeliveryState: &s.states,
		bus.BucketCandidates: &s.candidates, bus.BucketVacancies: &s.vacancyRecords,
	} {
		if *store, err = bus.NewStore(ctx, js, pub, bucket); err != nil {
			return nil, fmt.Errorf("notification: %w", err)
		}
	}
	s.auth = auth.NewCandidates(s.candidates)
	if s.unsubKey, err = signingKey(ctx, js, cfg.NATS.Replicas); err != nil {
		return nil, fmt.Errorf("notification: %w", err)
	}
	if s.handler, err = s.routes(); err != nil {
		return nil, fmt.Errorf("notification: %w", err)
	}
	return s, nil
}

func declare(ctx context.Context, js jetstream.JetStream, replicas int) error {
	if err := bus.EnsureShared(ctx, js, replicas); err != nil {
		return err
	}
	for _, kv := range []jetstream.KeyValueConfig{
		{Bucket: BucketSubscriptions, Description: "alert subscriptions, one list per candidate", History: 1},
		{Bucket: BucketAlerts, Description: "alerts sent, one record per candidate, vacancy and subscription", History: 1},
		{Bucket: BucketDigests, Description: "matches waiting for their digest", History: 1},
		{Bucket: BucketDeadLetters, Description: "deliveries out of tries or held for a paused endpoint", History: 1},
		{Bucket: BucketEndpoints, Description: "endpoints paused by operators", History: 5},
		{Bucket: BucketDeliveryState, Description: "failing deliveries' tries and digests on their way", History: 1, TTL: 24 * time.Hour},
	} {
		kv.Replicas, kv.Storage = replicas, jetstream.FileStorage
		if _, err := bus.EnsureKV(ctx, js, kv); err != nil {
			return err
		}
	}
	for _, sc := range []jetstream.StreamConfig{
		{
			Name: StreamDeliveries, Description: "alerts on their way, one message per delivery",
			Subjects: []string{"deliveries.>", retrySubject("*")}, Retention: jetstream.WorkQueuePolicy,
			Duplicates: 10 * time.Minute,
			// A delivery waiting for its next try waits under the server's
			// message schedule on delivery-retries.<id>; a new schedule of
			// one rolls up the one before.
			AllowMsgSchedules: true, AllowRollup: true,
		},
		{
			Name: StreamLive, Description: "candidates' live events, read as server-sent events",
			Subjects: []string{"live.>"}, MaxAge: 7 * 24 * time.Hour, Duplicates: 10 * time.Minute,
		},
		{
			Name: StreamReminders, Description: "closing-soon reminders waiting for their day",
			Subjects: []string{"reminders.>"}, Retention: jetstream.WorkQueuePolicy, Duplicates: 10 * time.Minute,
			// Each reminder waits under the server's message schedule; a
			// new schedule of one rolls up the one before.
			AllowMsgSchedules: true, AllowRollup: true,
		},
	} {
		sc.Replicas, sc.Storage = replicas, jetstream.FileStorage
		if _, err := bus.EnsureStream(ctx, js, sc); err != nil {
			return err
		}
	}
	return nil
}

// signingKey returns the key of unsubscribe links: made once, by whichever
// replica gets there first, and kept, so every replica and every restart
// signs and checks alike.
func signingKey(ctx context.Context, js jetstream.JetStream, replicas int) ([]byte, error) {
	kv, err := bus.EnsureKV(ctx, js, jetstream.KeyValueConfig{
		Bucket: BucketKeys, Description: "notification's signing keys", History: 1,
		Replicas: replicas, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, err
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	if _, err := kv.Create(ctx, "unsubscribe", fresh); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, fmt.Errorf("store the unsubscribe key: %w", err)
	}
	e, err := kv.Get(ctx, "unsubscribe")
	if err != nil {
		return nil, fmt.Errorf("read the unsubscribe key: %w", err)
	}
	return e.Value(), nil
}

// Handler returns the HTTP API.
func (s *Service) Handler() http.Handler { return s.handler }

// Start consumes matches, deliveries, reminders and erasures, and looks
// for due digests.
func (s *Service) Start(ctx context.Context) error {
	svc, err := s.registerControl()
	if err != nil {
		return err
	}
	s.micro = svc
	if err := s.watchEndpoints(ctx); err != nil {
		return errors.Join(err, s.Stop(ctx))
	}
	type consumer struct {
		stream  string
		cfg     jetstream.ConsumerConfig
		h       bus.Handler
		workers int
	}
	consumers := []consumer{
		{bus.StreamMatches, jetstream.ConsumerConfig{
			Durable: "notification-matches", Description: "notification: fan a match out into deliveries",
			// A fan-out takes milliseconds; what a replica that died held
			// comes back to another after bus.AckWait.
			AckWait: bus.AckWait, MaxAckPending: 1024,
		}, s.onMatch, 16},
		{StreamDeliveries, jetstream.ConsumerConfig{
			Durable: "notification-deliveries", Description: "notification: send deliveries on every channel",
			// Not the deliveries waiting under a schedule for their next
			// try: the server puts each back on deliveries.> when due.
			FilterSubject: "deliveries.>",
			// A send at work renews the window (bus.Consume), so a slow
			// endpoint's delivery is not sent twice side by side.
			AckWait: s.cfg.AckWait, MaxAckPending: 8 * s.cfg.Workers,
		}, s.onDelivery, s.cfg.Workers},
		{StreamReminders, jetstream.ConsumerConfig{
			Durable: "notification-reminders", Description: "notification: closing-soon reminders when due",
			FilterSubject: reminderDueSubject("*"), AckWait: bus.AckWait, MaxAckPending: 256,
		}, s.onReminder, 2},
		{bus.KVStream(bus.BucketCandidates), jetstream.ConsumerConfig{
			Durable: "notification-erasures", Description: "notification: forget erased candidates",
			FilterSubject: bus.KVSubjects(bus.BucketCandidates), DeliverPolicy: jetstream.DeliverNewPolicy,
			AckWait: bus.AckWait, MaxAckPending: 256,
		}, s.onCandidate, 2},
	}
	for _, c := range consumers {
		c.cfg.AckPolicy = jetstream.AckExplicitPolicy
		c.cfg.MaxDeliver = bus.MaxDeliver
		cons, err := bus.EnsureConsumer(ctx, s.js, c.stream, c.cfg)
		if err != nil {
			return errors.Join(fmt.Errorf("notification: consumer %s: %w", c.cfg.Durable, err), s.Stop(ctx))
		}
		cc, err := bus.Consume(cons, s.log, c.h, bus.ConsumeOptions{
			Workers: c.workers, HandleTimeout: s.cfg.WebhookTimeout + 20*time.Second, Metrics: s.metrics.consumer, Tracer: s.tracer,
		})
		if err != nil {
			return errors.Join(err, s.Stop(ctx))
		}
		s.consum = append(s.consum, cc)
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = cancel
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		s.digestLoop(loopCtx)
	}()
	return nil
}

// Stop stops consuming, finishing the deliveries in hand, and deregisters.
func (s *Service) Stop(ctx context.Context) error {
	if s.stop != nil {
		s.stop()
		s.loops.Wait()
	}
	errs := []error{bus.StopAll(ctx, s.consum...)}
	s.consum = nil
	if s.watcher != nil {
		errs = append(errs, s.watcher.Stop())
		s.watcher = nil
	}
	if s.micro != nil {
		errs = append(errs, s.micro.Stop())
		s.micro = nil
	}
	return errors.Join(errs...)
}

func (s *Service) routes() (*gin.Engine, error) {
	r := httpserver.New(s.log, httpserver.Options{Metrics: s.registry, Tracer: s.tracer})
	health.Register(r, bus.Check(s.nc))
	doc, err := Document().Handler()
	if err != nil {
		return nil, err
	}
	r.GET("/openapi.json", doc)
	own := s.auth.Candidate("id")
	r.POST("/v1/candidates/:id/subscriptions", own, s.subscribe)
	r.GET("/v1/candidates/:id/subscriptions", own, s.listSubscriptions)
	r.GET("/v1/candidates/:id/subscriptions/:sid", own, s.getSubscription)
	r.PATCH("/v1/candidates/:id/subscriptions/:sid", own, s.changeSubscription)
	r.POST("/v1/candidates/:id/subscriptions/:sid/pause", own, s.pauseSubscription)
	r.POST("/v1/candidates/:id/subscriptions/:sid/resume", own, s.resumeSubscription)
	r.DELETE("/v1/candidates/:id/subscriptions/:sid", own, s.unsubscribe)
	r.GET("/v1/candidates/:id/deliveries", own, s.deliveryLog)
	r.GET("/v1/candidates/:id/events", own, s.live)
	r.GET("/v1/unsubscribe", s.unsubscribePage)
	r.POST("/v1/unsubscribe", s.unsubscribeOneClick)
	return r, nil
}
