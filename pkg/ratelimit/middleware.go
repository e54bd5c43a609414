package ratelimit

import (
	"log/slog"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clinjobs/clinjobs/pkg/httpserver"
	"github.com/clinjobs/clinjobs/pkg/problem"
)

// Metrics counts the decisions of the middleware.
type Metrics struct {
	decisions *prometheus.CounterVec
}

// NewMetrics registers the rate limit metrics on reg; one per registry.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ratelimit_decisions_total",
		Help: "Rate limit decisions, by limiter and outcome (allowed, limited, unchecked when the count failed).",
	}, []string{"limiter", "outcome"})}
	reg.MustRegister(m.decisions)
	return m
}

// Middleware limits requests by the key keyOf gives (none: not limited).
// Over the limit a request gets 429 with Retry-After; if the count fails
// the request goes through, logged and counted.
func Middleware(name string, l Limiter, keyOf func(*gin.Context) string, log *slog.Logger, m *Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		key := keyOf(c)
		if key == "" {
			c.Next()
			return
		}
		d, err := l.Allow(c.Request.Context(), key)
		outcome := "allowed"
		switch {
		case err != nil:
			outcome = "unchecked"
			log.WarnContext(c.Request.Context(), "rate limit not checked; letting the request through", "limiter", name, "err", err)
		case !d.Allowed:
			outcome = "limited"
		}
		if m != nil {
			m.decisions.WithLabelValues(name, outcome).Inc()
		}
		if outcome == "limited" {
			httpserver.Fail(c, &problem.Error{Kind: problem.RateLimited, RetryAfter: d.RetryAfter,
				Detail: "too many requests; try again after the time in Retry-After"})
			return
		}
		if err == nil {
			c.Header("RateLimit-Remaining", strconv.Itoa(d.Remaining))
		}
		c.Next()
	}
}
