// Package httpserver is what every HTTP API of the system is built on: a Gin
// engine with the middleware each needs (request id, structured access log,
// recovery, body limit, RFC 9457 problems for every error, unknown routes
// included), and a server that listens before it serves, so that a busy port
// is an error at start-up, not a log line later.
package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/pkg/logging"
	"github.com/clinjobs/clinjobs/pkg/problem"
)

// HeaderRequestID is the header that carries the request id both ways.
const HeaderRequestID = "X-Request-Id"

// Options tune an engine.
type Options struct {
	// MaxBodyBytes bounds a request body; past it the request gets 413.
	// Default: 1 MiB.
	MaxBodyBytes int64
	// Metrics, when set, receives the request metrics and is served at
	// /metrics.
	Metrics *prometheus.Registry
	// Tracer, when set, traces every request.
	Tracer trace.Tracer
	// TrustedProxies are the addresses or CIDRs whose X-Forwarded-For is
	// believed, so that the client's address (for rate limits and logs) is
	// the caller's, not the proxy's. Default: none, the peer is the client.
	TrustedProxies []string
}

// New returns an engine with the system's middleware. Routes are added by the caller.
func New(log *slog.Logger, opts Options) *gin.Engine {
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	// Gin keeps its mode in a package variable; release mode only stops it
	// printing every route, which the access log makes redundant.
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	// Only the proxies named are believed about who the client is; an
	// invalid entry is refused when the configuration is read.
	_ = e.SetTrustedProxies(opts.TrustedProxies)
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	e.Use(requestID())
	if opts.Tracer != nil {
		e.Use(tracing(opts.Tracer))
	}
	e.Use(accessLog(log))
	if opts.Metrics != nil {
		e.Use(metrics(opts.Metrics))
		serveMetrics(e, opts.Metrics)
	}
	e.Use(recovery(log), limitBody(opts.MaxBodyBytes))
	e.NoRoute(func(c *gin.Context) {
		Fail(c, problem.New(problem.NotFound, "no route %s %s", c.Request.Method, c.Request.URL.Path))
	})
	e.NoMethod(func(c *gin.Context) {
		Fail(c, problem.New(problem.MethodNotAllowed, "%s is not allowed on %s", c.Request.Method, c.Request.URL.Path))
	})
	return e
}

// Fail answers c with the problem document of err and stops the chain.
// Internal errors are logged here, with the request id, and nowhere else.
func Fail(c *gin.Context, err error) {
	d := problem.DetailsOf(err)
	d.Instance = c.Request.URL.Path
	d.RequestID = logging.RequestID(c.Request.Context())
	if d.Status >= 500 {
		c.Error(err) //nolint:errcheck // recorded for the access log
	}
	problem.Write(c.Writer, d)
	c.Abort()
}

func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(HeaderRequestID)
		if !validRequestID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Header(HeaderRequestID, id)
		c.Request = c.Request.WithContext(logging.WithRequestID(c.Request.Context(), id))
		c.Next()
	}
}

// validRequestID accepts a caller's id only if it is short and plain, so
// that it can go into logs and headers as it is.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return false
		}
	}
	return true
}

func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		attrs := []any{
			"method", c.Request.Method, "route", route, "status", c.Writer.Status(),
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			"bytes", c.Writer.Size(), "client", c.ClientIP(),
		}
		ctx := c.Request.Context()
		switch {
		case len(c.Errors) > 0 && c.Writer.Status() >= 500:
			log.ErrorContext(ctx, "request failed", append(attrs, "err", c.Errors.Last().Err)...)
		case route == "/healthz" || route == "/readyz" || route == "/metrics":
			log.DebugContext(ctx, "request", attrs...)
		default:
			log.InfoContext(ctx, "request", attrs...)
		}
	}
}

func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(r)
				}
				log.ErrorContext(c.Request.Context(), "handler panicked", "panic", fmt.Sprint(r))
				if !c.Writer.Written() {
					Fail(c, fmt.Errorf("panic: %v", r))
				}
				c.Abort()
			}
		}()
		c.Next()
	}
}

// LimitBody bounds request bodies of the routes it guards below the
// engine's limit: an API with one large route (a bulk post) keeps the rest
// small.
func LimitBody(n int64) gin.HandlerFunc { return limitBody(n) }

func limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > n {
			Fail(c, problem.New(problem.TooLarge, "the body is %d bytes; the limit is %d", c.Request.ContentLength, n))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

// Server serves one API on a listener opened by Listen.
type Server struct {
	srv    *http.Server
	ln     net.Listener
	cancel context.CancelFunc
}

// Listen opens addr (":0" picks a free port) and returns a server for h
// that is not serving yet.
func Listen(addr string, h http.Handler, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	// Long-lived responses (server-sent events) watch this context, which
	// Shutdown cancels, so that they end and let the server stop.
	base, cancel := context.WithCancel(context.Background())
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return &Server{srv: srv, ln: ln, cancel: cancel}, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until Shutdown; it returns nil after a Shutdown.
func (s *Server) Serve() error {
	if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", s.Addr(), err)
	}
	return nil
}

// Shutdown stops taking requests and waits for those in flight, until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down %s: %w", s.Addr(), err)
	}
	return nil
}
