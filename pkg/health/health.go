// Package health answers the two questions an orchestrator asks: is the
// process alive (/healthz), and is it ready for traffic (/readyz: every
// dependency it needs reachable, every consumer caught up).
package health

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinjobs/clinjobs/pkg/problem"
)

// Check reports why its part is not ready, or nil.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// Timeout bounds each readiness check.
const Timeout = 2 * time.Second

// Register adds /healthz and /readyz to r.
func Register(r gin.IRoutes, checks ...Check) {
	r.GET("/healthz", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
	r.GET("/readyz", func(c *gin.Context) {
		failed := Run(c.Request.Context(), checks)
		if len(failed) == 0 {
			c.JSON(http.StatusOK, gin.H{"status": "ready"})
			return
		}
		var fields []problem.FieldError
		for name, err := range failed {
			fields = append(fields, problem.FieldError{Field: name, Detail: err.Error()})
		}
		d := problem.DetailsOf(problem.New(problem.Unavailable, "not ready"))
		d.Errors = fields
		problem.Write(c.Writer, d)
	})
}

// Run runs the checks side by side and returns those that failed.
func Run(ctx context.Context, checks []Check) map[string]error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	var mu sync.Mutex
	failed := map[string]error{}
	var wg sync.WaitGroup
	for _, ch := range checks {
		wg.Go(func() {
			if err := ch.Check(ctx); err != nil {
				mu.Lock()
				failed[ch.Name] = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return failed
}

// ErrNotReady is what a check returns while its part is still starting.
var ErrNotReady = errors.New("not ready yet")
