package allinone

import (
	"net/http"
	"regexp"
	"strings"
)

// front serves the pages and every API under one address, routed by path
// exactly as the compose stack's proxy (deploy/caddy/Caddyfile) routes
// them, so that a new user opens one URL and a client written against the
// stack works against the all-in-one. A service not running here is 503.
type front struct {
	handlers map[string]http.Handler
}

var (
	matchingPath     = regexp.MustCompile(`^/v1/candidates/[^/]+/(matches|near-misses)`)
	notificationPath = regexp.MustCompile(`^/v1/(candidates/[^/]+/(subscriptions|events|deliveries)|unsubscribe)`)
)

// serviceOf names the service that serves path.
func serviceOf(path string) string {
	switch {
	case matchingPath.MatchString(path):
		return "matching"
	case notificationPath.MatchString(path):
		return "notification"
	case path == "/dashboard" || strings.HasPrefix(path, "/dashboard/") || strings.HasPrefix(path, "/v1/dashboard/"):
		return "dashboard"
	case strings.HasPrefix(path, "/v1/"), path == "/healthz", path == "/readyz", path == "/metrics", path == "/openapi.json":
		return "ingest"
	default:
		return "web"
	}
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, ok := f.handlers[serviceOf(r.URL.Path)]
	if !ok {
		http.Error(w, "not running in this process", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}
