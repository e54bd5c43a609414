// Package web is the pages candidates and recruiters use: job search, each
// vacancy's page (with its schema.org JobPosting for search engines), the
// career paths into clinical engineering, an Atom feed of any search, and
// sitemap.xml and robots.txt. It is server-rendered (html/template,
// embedded), hand-written CSS, no script needed, and it is a client of the
// system's public HTTP APIs like any other: it owns no data and reads no
// other service's store.
package web

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/health"
	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/services/web/internal/catalog"
	"github.com/clinjobs/clinjobs/services/web/internal/jobsapi"
)

// Name is the service's name in logs.
const Name = "web"

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Config is the service's configuration.
type Config struct {
	// HTTPAddr is where the pages are served. Default: :8084.
	HTTPAddr string
	// APIURL is the base URL of the system's public APIs, routed by path
	// (the compose stack's proxy). Required unless Deps.API is set.
	APIURL string
	// PublicURL is the site's own base URL, for absolute links in the
	// sitemap, feeds and JSON-LD. Default: the request's own scheme and host.
	PublicURL string
	// Lang is the catalogue the pages are written from. Default: en.
	Lang string
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// browser. Default: none.
	TrustedProxies []string
}

// ConfigFromEnv reads HTTP_ADDR, API_URL, PUBLIC_URL, WEB_LANG and
// TRUSTED_PROXIES.
func ConfigFromEnv(r *config.Reader) Config {
	return Config{
		HTTPAddr:       r.String("HTTP_ADDR", ":8084"),
		APIURL:         r.String("API_URL", ""),
		PublicURL:      r.String("PUBLIC_URL", ""),
		Lang:           r.String("WEB_LANG", "en"),
		TrustedProxies: r.List("TRUSTED_PROXIES", nil),
	}
}

func (c *Config) setDefaults() {
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":8084"
	}
	if c.Lang == "" {
		c.Lang = "en"
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
}

// Validate reports what is wrong with c.
func (c Config) Validate(inProcess bool) error {
	if c.APIURL == "" && !inProcess {
		return fmt.Errorf("API_URL is required: the base URL of the system's APIs")
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("API_URL %q is not an http(s) URL", c.APIURL)
		}
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("PUBLIC_URL %q is not an http(s) URL", c.PublicURL)
		}
	}
	return nil
}

// Deps are what the service is built from.
type Deps struct {
	Log *slog.Logger
	// API, when set, serves the APIs in-process (the all-in-one); the
	// requests still go through HTTP's types, never round a store.
	API http.Handler
	// Now is the clock. Default: time.Now.
	Now     func() time.Time
	Metrics *prometheus.Registry
	Tracer  trace.TracerProvider
}

// Service is the web service.
type Service struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	api     *jobsapi.Client
	msg     *catalog.Catalog
	pages   map[string]*template.Template
	handler http.Handler
}

// New builds the service.
func New(_ context.Context, cfg Config, deps Deps) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(deps.API != nil); err != nil {
		return nil, err
	}
	msg, err := catalog.New(cfg.Lang)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: deps.Log.With("service", Name), now: deps.Now, msg: msg}
	if s.now == nil {
		s.now = time.Now
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	base := cfg.APIURL
	if deps.API != nil {
		hc.Transport = inProcess{deps.API}
		base = "http://in-process"
	}
	s.api = jobsapi.New(base, hc)
	if s.pages, err = s.parseTemplates(); err != nil {
		return nil, err
	}
	var tracer trace.Tracer
	if deps.Tracer != nil {
		tracer = deps.Tracer.Tracer(Name)
	}
	r := httpserver.New(s.log, httpserver.Options{Metrics: deps.Metrics, Tracer: tracer, TrustedProxies: cfg.TrustedProxies})
	// Ready as soon as it serves: the APIs it reads are behind the proxy,
	// which waits for this service to be ready; a page whose API is down
	// says so itself.
	health.Register(r)
	s.routes(r)
	s.handler = r
	return s, nil
}

// Handler serves the pages.
func (s *Service) Handler() http.Handler { return s.handler }

// Start does nothing: the service has no background work.
func (s *Service) Start(context.Context) error { return nil }

// Stop does nothing: the HTTP server is stopped by its owner.
func (s *Service) Stop(context.Context) error { return nil }

func (s *Service) routes(r *gin.Engine) {
	static, _ := fs.Sub(staticFiles, "static")
	assets := http.StripPrefix("/assets/", http.FileServer(http.FS(static)))
	r.GET("/assets/*file", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=3600")
		assets.ServeHTTP(c.Writer, c.Request)
	})
	pages := r.Group("/", s.secureHeaders)
	pages.GET("/", s.home)
	pages.GET("/jobs", s.search)
	pages.GET("/jobs.atom", s.feed)
	pages.GET("/jobs/:id", s.vacancy)
	pages.GET("/careers", s.careers)
	pages.GET("/careers/:path", s.career)
	pages.GET("/sitemap.xml", s.sitemap)
	pages.GET("/robots.txt", s.robots)
	r.NoRoute(s.secureHeaders, func(c *gin.Context) { s.notFound(c) })
}

// secureHeaders sets what every page sends: nothing from elsewhere may run,
// be framed or be fetched (no fonts, scripts or styles but our own).
func (s *Service) secureHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	c.Next()
}

// baseURL is the site's absolute base URL.
func (s *Service) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// inProcess sends the web service's API requests to the APIs' handler in
// the same process (the all-in-one), through the same HTTP types.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.RequestURI = req.URL.RequestURI()
	req.RemoteAddr = "127.0.0.1:0"
	w := &recorder{header: http.Header{}, status: http.StatusOK}
	t.h.ServeHTTP(w, req)
	return &http.Response{
		Status: http.StatusText(w.status), StatusCode: w.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.header, Body: readCloser{strings.NewReader(w.body.String())}, ContentLength: int64(w.body.Len()), Request: req,
	}, nil
}

type recorder struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        strings.Builder
}

func (w *recorder) Header() http.Header { return w.header }
func (w *recorder) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
}
func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
