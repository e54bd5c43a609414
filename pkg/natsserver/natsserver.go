// Package natsserver runs a NATS server with JetStream inside this process: the
// broker of the all-in-one clinjobs and of tests. Its store lives on disk, so
// what was accepted survives a restart on the same directory.
package natsserver

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Config says where the server keeps its store and listens.
type Config struct {
	// StoreDir holds the JetStream store. Required.
	StoreDir string
	// Host to listen on. Default: 127.0.0.1.
	Host string
	// Port for clients; -1 picks a free one. Default: 4222.
	Port int
	// NoListen serves only in-process connections (nats.InProcessServer).
	NoListen bool
	// ServerName names the server in JetStream. Default: clinjobs.
	ServerName string
	// StartTimeout bounds the wait for the server to accept connections. Default: 10s.
	StartTimeout time.Duration
	// ConfigFile is a server configuration (users, TLS) read first; what
	// this Config sets comes on top. Empty: no users, no TLS (tests).
	ConfigFile string
}

func (c *Config) setDefaults() {
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.Port == 0 {
		c.Port = 4222
	}
	if c.ServerName == "" {
		c.ServerName = "clinjobs"
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = 10 * time.Second
	}
}

// Start starts a server and waits until it accepts connections. The caller
// shuts it down with Shutdown and WaitForShutdown.
func Start(cfg Config, log *slog.Logger) (*server.Server, error) {
	cfg.setDefaults()
	if cfg.StoreDir == "" {
		return nil, errors.New("start nats server: no store directory")
	}
	opts := &server.Options{}
	if cfg.ConfigFile != "" {
		var err error
		if opts, err = server.ProcessConfigFile(cfg.ConfigFile); err != nil {
			return nil, fmt.Errorf("start nats server: %w", err)
		}
	}
	opts.ServerName = cfg.ServerName
	opts.Host = cfg.Host
	opts.Port = cfg.Port
	opts.DontListen = cfg.NoListen
	opts.JetStream = true
	opts.StoreDir = cfg.StoreDir
	// The embedded server shares the process's signal handling.
	opts.NoSigs = true
	// Large bulk posts are split into records well under this.
	opts.MaxPayload = 8 << 20
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("start nats server: %w", err)
	}
	if log != nil {
		ns.SetLoggerV2(&logAdapter{log: log.With("component", "nats-server")}, false, false, false)
	}
	go ns.Start()
	if !ns.ReadyForConnections(cfg.StartTimeout) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("start nats server: not ready after %s", cfg.StartTimeout)
	}
	return ns, nil
}

// logAdapter sends the server's log to slog; its notices are debug lines here,
// because in one process they repeat what the services say.
type logAdapter struct{ log *slog.Logger }

func (l *logAdapter) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *logAdapter) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *logAdapter) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *logAdapter) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *logAdapter) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *logAdapter) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
