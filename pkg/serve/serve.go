// Package serve runs the parts of a process and stops them in the right order.
// Start-up: every HTTP listener opens first (a busy port fails at once), then
// each Unit starts, then the servers serve. Shut-down, when the context ends
// or a server fails: the servers stop taking requests and finish those in
// flight, the Units stop in reverse order (consumers finish and acknowledge
// the messages in hand), and last the NATS connections drain, flushing every
// publish still buffered.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/clinjobs/clinjobs/pkg/httpserver"
)

// Unit is a part of the process with a lifecycle, such as a service's consumers.
type Unit interface {
	// Start starts the unit's background work and returns once it runs.
	Start(ctx context.Context) error
	// Stop ends that work, finishing what is in hand, until ctx ends.
	Stop(ctx context.Context) error
}

// API is one HTTP API to serve.
type API struct {
	Name    string
	Addr    string
	Handler http.Handler
}

// Process is what Run runs.
type Process struct {
	APIs  []API
	Units []Unit
	// Conns are drained last.
	Conns []*nats.Conn
	// ShutdownTimeout bounds the whole shut-down. Default: 25s.
	ShutdownTimeout time.Duration
	// Listening is told each API's address once it listens. Optional.
	Listening func(name, addr string)
}

// Run runs p until ctx ends or a server fails, then shuts it down.
func Run(ctx context.Context, log *slog.Logger, p Process) error {
	if p.ShutdownTimeout == 0 {
		p.ShutdownTimeout = 25 * time.Second
	}
	var servers []*httpserver.Server
	closeAll := func() {
		sctx, cancel := context.WithTimeout(context.Background(), p.ShutdownTimeout)
		defer cancel()
		for _, s := range servers {
			_ = s.Shutdown(sctx)
		}
	}
	for _, api := range p.APIs {
		s, err := httpserver.Listen(api.Addr, api.Handler, log)
		if err != nil {
			closeAll()
			return fmt.Errorf("%s: %w", api.Name, err)
		}
		servers = append(servers, s)
	}
	var started []Unit
	stopUnits := func(sctx context.Context) error {
		var errs []error
		for i := len(started) - 1; i >= 0; i-- {
			if err := started[i].Stop(sctx); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	for _, u := range p.Units {
		if err := u.Start(ctx); err != nil {
			closeAll()
			sctx, cancel := context.WithTimeout(context.Background(), p.ShutdownTimeout)
			defer cancel()
			return errors.Join(err, stopUnits(sctx), drain(sctx, p.Conns))
		}
		started = append(started, u)
	}

	serveErr := make(chan error, len(servers))
	for i, s := range servers {
		go func() { serveErr <- s.Serve() }()
		if p.Listening != nil {
			p.Listening(p.APIs[i].Name, s.Addr())
		}
	}
	var failure error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case failure = <-serveErr:
		log.Error("server failed; shutting down", "err", failure)
	}

	sctx, cancel := context.WithTimeout(context.Background(), p.ShutdownTimeout)
	defer cancel()
	var errs []error
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, stopUnits(sctx), drain(sctx, p.Conns))
	if failure != nil {
		errs = append([]error{failure}, errs...)
	}
	return errors.Join(errs...)
}

// drain drains each connection: pending publishes are flushed and
// subscriptions finish the messages they hold before the connection closes.
func drain(ctx context.Context, conns []*nats.Conn) error {
	var errs []error
	for _, nc := range conns {
		if nc.IsClosed() {
			continue
		}
		closed := make(chan struct{})
		nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
		if err := nc.Drain(); err != nil {
			errs = append(errs, fmt.Errorf("drain nats: %w", err))
			continue
		}
		select {
		case <-closed:
		case <-ctx.Done():
			nc.Close()
			errs = append(errs, fmt.Errorf("drain nats: %w", ctx.Err()))
		}
	}
	return errors.Join(errs...)
}
