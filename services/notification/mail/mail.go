// Package mail writes and sends the alert emails: a multipart/alternative
// message (text and HTML, quoted-printable) with the headers a bulk sender
// owes its readers (List-Unsubscribe and one-click List-Unsubscribe-Post,
// RFC 8058), sent over SMTP with STARTTLS or implicit TLS and optional
// PLAIN authentication.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/clinjobs/clinjobs/pkg/config"
)

// TLS modes of the connection to the SMTP server.
const (
	// TLSStartTLS upgrades the connection with STARTTLS, and refuses a
	// server that does not offer it.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit = "tls"
	// TLSNone sends in clear: for a relay on the same host or in tests.
	TLSNone = "none"
)

// Config is where and how mail is sent.
type Config struct {
	// Addr is the SMTP server, host:port. Empty disables email.
	Addr string
	// From is the sender, as "Name <address>".
	From     string
	Username string
	Password string
	// TLS is TLSStartTLS (the default), TLSImplicit or TLSNone.
	TLS string
	// Timeout bounds one message, from dialling to QUIT. Default: 30s.
	Timeout time.Duration
	// TLSConfig, when set, replaces the default (system roots, the
	// server's host name): tests give their own roots.
	TLSConfig *tls.Config
}

// ConfigFromEnv reads SMTP_ADDR, SMTP_FROM, SMTP_USERNAME, SMTP_PASSWORD
// and SMTP_TLS.
func ConfigFromEnv(r *config.Reader) Config {
	return Config{
		Addr:     r.String("SMTP_ADDR", ""),
		From:     r.String("SMTP_FROM", "Clinical Engineering Jobs <alerts@clinjobs.localhost>"),
		Username: r.String("SMTP_USERNAME", ""),
		Password: r.String("SMTP_PASSWORD", ""),
		TLS:      r.String("SMTP_TLS", TLSStartTLS),
	}
}

// Validate reports a configuration that cannot send.
func (c Config) Validate() error {
	if c.Addr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("SMTP_ADDR %q: %w", c.Addr, err)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("SMTP_FROM %q: %w", c.From, err)
	}
	switch c.TLS {
	case "", TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return fmt.Errorf("SMTP_TLS %q: want %s, %s or %s", c.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	}
	if c.Username != "" && c.TLS == TLSNone {
		return errors.New("SMTP_USERNAME with SMTP_TLS=none would send the password in clear")
	}
	return nil
}

// Message is one email.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	// ID becomes the Message-ID: the same on every retry.
	ID string
	// Unsubscribe is the one-click unsubscribe URL.
	Unsubscribe string
	Date        time.Time
}

// Sender sends messages.
type Sender struct {
	cfg  Config
	from *mail.Address
}

// New returns a Sender, or nil when cfg has no server (email disabled).
func New(cfg Config) (*Sender, error) {
	if cfg.Addr == "" {
		return nil, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	from, _ := mail.ParseAddress(cfg.From)
	return &Sender{cfg: cfg, from: from}, nil
}

// PermanentError is an answer from the server that retrying cannot change
// (a 5xx reply, such as an unknown mailbox).
type PermanentError struct{ Err error }

func (e PermanentError) Error() string { return e.Err.Error() }
func (e PermanentError) Unwrap() error { return e.Err }

// Send delivers m.
func (s *Sender) Send(ctx context.Context, m Message) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return PermanentError{fmt.Errorf("recipient %q: %w", m.To, err)}
	}
	body, err := s.Compose(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	host, _, _ := net.SplitHostPort(s.cfg.Addr)
	tlsConfig := s.cfg.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	var conn net.Conn
	if s.cfg.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{Config: tlsConfig}).DialContext(ctx, "tcp", s.cfg.Addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", s.cfg.Addr)
	}
	if err != nil {
		return fmt.Errorf("connect to SMTP server %s: %w", s.cfg.Addr, err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP greeting from %s: %w", s.cfg.Addr, err)
	}
	defer c.Close()
	if s.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("SMTP server %s does not offer STARTTLS", s.cfg.Addr)
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return fmt.Errorf("STARTTLS with %s: %w", s.cfg.Addr, err)
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, host)); err != nil {
			return classify("authenticate", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return classify("MAIL FROM", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return classify("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return classify("DATA", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return classify("end of DATA", err)
	}
	return c.Quit()
}

// classify marks a 5xx reply as permanent.
func classify(step string, err error) error {
	var reply *textproto.Error
	permanent := errors.As(err, &reply) && reply.Code >= 500
	err = fmt.Errorf("SMTP %s: %w", step, err)
	if permanent {
		return PermanentError{err}
	}
	return err
}

// Compose writes m as a MIME message.
func (s *Sender) Compose(m Message) ([]byte, error) {
	var b bytes.Buffer
	boundary, err := randomBoundary()
	if err != nil {
		return nil, err
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", s.from.String())
	header("To", m.To)
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", date.Format(time.RFC1123Z))
	domain := s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]
	header("Message-ID", "<"+m.ID+"@"+domain+">")
	if m.Unsubscribe != "" {
		header("List-Unsubscribe", "<"+m.Unsubscribe+">")
		header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary, part.typ)
		qp := quotedprintable.NewWriter(&b)
		if _, err := qp.Write([]byte(strings.ReplaceAll(part.body, "\n", "\r\n"))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes(), nil
}

func randomBoundary() (string, error) {
	var r [12]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	return "clinjobs-" + hex.EncodeToString(r[:]), nil
}
