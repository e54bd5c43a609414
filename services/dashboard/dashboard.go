// Package dashboard is the operators' API: it finds every running service
// instance through the NATS services framework and reports on them. It owns
// no other service's data; what it shows it asks for.
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
	"github.com/nats-io/nats.go/micro"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clinjobs/clinjobs/pkg/auth"
	"github.com/clinjobs/clinjobs/pkg/buildinfo"
	"github.com/clinjobs/clinjobs/pkg/bus"
	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/health"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/services/dashboard/internal/discovery"
)

// Name is the service's name in the NATS services framework and in logs.
const Name = "dashboard"

// Config is the service's configuration.
type Config struct {
	// HTTPAddr is where the API listens. Default: :8083.
	HTTPAddr string
	NATS     bus.Config
	// OperatorKey admits operators. Required; at least 32 characters.
	OperatorKey string
	// DiscoveryWindow is how long to wait for instances to answer. Default: 500ms.
	DiscoveryWindow time.Duration
}

// ConfigFromEnv reads HTTP_ADDR, OPERATOR_KEY, DISCOVERY_WINDOW and the NATS settings.
func ConfigFromEnv(r *config.Reader) Config {
	return Config{
		HTTPAddr:        r.String("HTTP_ADDR", ":8083"),
		NATS:            bus.ConfigFromEnv(r, Name),
		OperatorKey:     r.String("OPERATOR_KEY", ""),
		DiscoveryWindow: r.Duration("DISCOVERY_WINDOW", discovery.Window),
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
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Metrics receives the service's metrics, served at /metrics.
	// Default: a registry of its own.
	Metrics *prometheus.Registry
}

// Service is the dashboard service.
type Service struct {
	metrics *prometheus.Registry
	cfg     Config
	log     *slog.Logger
	nc      *nats.Conn
	now     func() time.Time
	handler *gin.Engine
	micro   micro.Service
}

// New returns the service, not yet started.
func New(_ context.Context, cfg Config, deps Deps) (*Service, error) {
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = ":8083"
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
	s := &Service{
		metrics: deps.Metrics, cfg: cfg, log: deps.Log.With("service", Name), nc: deps.NC, now: deps.Now}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the HTTP API.
func (s *Service) Handler() http.Handler { return s.handler }

// Start registers the service with the NATS services framework.
func (s *Service) Start(context.Context) error {
	svc, err := micro.AddService(s.nc, micro.Config{Name: Name, Version: buildinfo.String(), Description: "operator dashboard"})
	if err != nil {
		return fmt.Errorf("register dashboard: %w", err)
	}
	s.micro = svc
	return nil
}

// Stop deregisters the service.
func (s *Service) Stop(context.Context) error {
	if s.micro == nil {
		return nil
	}
	return s.micro.Stop()
}

func (s *Service) routes() *gin.Engine {
	r := httpserver.New(s.log, httpserver.Options{Metrics: s.metrics})
	health.Register(r, bus.Check(s.nc))
	op := r.Group("/v1", auth.Operator(auth.Hash(s.cfg.OperatorKey)))
	op.GET("/services", s.services)
	return r
}

type serviceView struct {
	Name      string               `json:"name"`
	Instances []discovery.Instance `json:"instances"`
}

// services lists every running instance, grouped by service.
func (s *Service) services(c *gin.Context) {
	insts, err := discovery.Discover(c.Request.Context(), s.nc, s.cfg.DiscoveryWindow, s.now())
	if err != nil {
		httpserver.Fail(c, err)
		return
	}
	out := []serviceView{}
	for _, in := range insts {
		if len(out) == 0 || out[len(out)-1].Name != in.Name {
			out = append(out, serviceView{Name: in.Name})
		}
		last := &out[len(out)-1]
		last.Instances = append(last.Instances, in)
	}
	c.JSON(http.StatusOK, gin.H{"services": out})
}
