// Package bus is the system's JetStream adapter: connecting to NATS, declaring
// the streams and KV buckets in code, writing records and events so that a
// retry never duplicates them (Nats-Msg-Id, expected revisions), and consuming
// with one contract for every handler: nil acknowledges, an error asks for
// redelivery after a delay, a Term error gives up on the message.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/clinjobs/clinjobs/pkg/config"
	"github.com/clinjobs/clinjobs/pkg/health"
)

// Config says how to reach NATS and how to declare streams.
type Config struct {
	// URLs of every server of the cluster, so that a client rides through the
	// loss of any one. Default: nats://127.0.0.1:4222.
	URLs []string
	// Name of the connection, as the server's monitoring shows it.
	Name string
	// Replicas of every stream and bucket: 1 on one server, 3 in a cluster. Default: 1.
	Replicas int
	// ConnectTimeout bounds the first connection, retried until then. Default: 30s.
	ConnectTimeout time.Duration
	// User and Password authenticate the connection: one user a service,
	// allowed only its own subjects. A user's replies come to inboxes under
	// InboxPrefix(User), the only inboxes it may subscribe to.
	User, Password string
	// CAFile is the certificate of the CA that signed the servers'
	// certificates: set, the connection is TLS and verifies the server.
	CAFile string
}

// InboxPrefix is where a user's replies arrive: each user reads only its own.
func InboxPrefix(user string) string { return "_INBOX_" + user }

func (c *Config) setDefaults() {
	if len(c.URLs) == 0 {
		c.URLs = []string{nats.DefaultURL}
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 30 * time.Second
	}
}

// Validate reports what is wrong with c after defaults.
func (c Config) Validate() error {
	c.setDefaults()
	if c.Replicas < 1 || c.Replicas > 5 {
		return fmt.Errorf("nats replicas %d: want 1 to 5", c.Replicas)
	}
	if (c.User == "") != (c.Password == "") {
		return errors.New("nats: NATS_USER and NATS_PASSWORD (or NATS_PASSWORD_FILE) go together")
	}
	return nil
}

// Connect connects to NATS, retrying until cfg.ConnectTimeout, and keeps
// reconnecting for ever afterwards. Extra options come after the defaults
// (nats.InProcessServer for the all-in-one).
func Connect(ctx context.Context, cfg Config, log *slog.Logger, extra ...nats.Option) (*nats.Conn, error) {
	cfg.setDefaults()
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		// Publishes made while reconnecting wait in a buffer; past this much
		// they fail at once, and the caller retries or answers 503.
		nats.ReconnectBufSize(16 << 20),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			// A drain or close disconnects without an error: nothing to report.
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			log.Warn("nats async error", "subject", subject, "err", err)
		}),
	}
	if cfg.User != "" {
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password), nats.CustomInboxPrefix(InboxPrefix(cfg.User)))
	}
	if cfg.CAFile != "" {
		opts = append(opts, nats.RootCAs(cfg.CAFile))
	}
	opts = append(opts, extra...)
	url := ""
	for i, u := range cfg.URLs {
		if i > 0 {
			url += ","
		}
		url += u
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	for {
		nc, err := nats.Connect(url, opts...)
		if err == nil {
			return nc, nil
		}
		log.Info("waiting for nats", "url", url, "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect to nats %s: %w", url, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Errors a caller decides on.
var (
	// ErrNotFound: no record has this key, or it was deleted.
	ErrNotFound = errors.New("not found")
	// ErrStale: the record changed since the revision the write expected.
	ErrStale = errors.New("revision is not the latest")
	// ErrExists: a record with this key exists already.
	ErrExists = errors.New("exists already")
)

// isStale reports whether err is JetStream refusing a write whose expected
// last subject sequence was not the latest.
func isStale(err error) bool {
	var apiErr *jetstream.APIError
	// A replicated stream answers a CAS conflict with a code of its own.
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// retryable reports whether a failed publish may be sent again: the server may
// not have had it, or its answer was lost. A retry carries the same Nats-Msg-Id,
// so one that did land is not stored twice.
func retryable(err error) bool {
	return errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, nats.ErrDisconnected)
}

// ConfigFromEnv reads NATS_URL (comma-separated), NATS_REPLICAS,
// NATS_USER, NATS_PASSWORD (or NATS_PASSWORD_FILE) and NATS_CA_FILE.
func ConfigFromEnv(r *config.Reader, name string) Config {
	return Config{
		URLs:     r.List("NATS_URL", nil),
		Name:     name,
		Replicas: r.Int("NATS_REPLICAS", 1),
		User:     r.String("NATS_USER", ""),
		Password: r.String("NATS_PASSWORD", ""),
		CAFile:   r.String("NATS_CA_FILE", ""),
	}
}

// Check is a readiness check of the connection to NATS.
func Check(nc *nats.Conn) health.Check {
	return health.Check{Name: "nats", Check: func(context.Context) error {
		if s := nc.Status(); s != nats.CONNECTED {
			return fmt.Errorf("nats connection is %s", s)
		}
		return nil
	}}
}
