package notification_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"github.com/clinjobs/clinjobs/pkg/testwait"
	eventsv1 "github.com/clinjobs/clinjobs/proto/clinjobs/events/v1"
	"github.com/clinjobs/clinjobs/services/notification"
	mailcfg "github.com/clinjobs/clinjobs/services/notification/mail"
)

// mailbox is a real SMTP server, on loopback, that offers STARTTLS with a
// certificate the test trusts and keeps every message.
type mailbox struct {
	mu    sync.Mutex
	msgs  []*mail.Message
	rcpts []string
	addr  string
	roots *x509.CertPool
}

func newMailbox(t *testing.T) *mailbox {
	t.Helper()
	// httptest's certificate is valid for 127.0.0.1: borrow it.
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	cert := tlsSrv.TLS.Certificates[0]
	roots := x509.NewCertPool()
	roots.AddCert(tlsSrv.Certificate())
	tlsSrv.Close()
	mb := &mailbox{roots: roots}
	srv := smtp.NewServer(mb)
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return mb
}

// NewSession begins in clear; Mail refuses a sender who has not said
// STARTTLS.
func (mb *mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{mb: mb, conn: c}, nil
}

type session struct {
	mb   *mailbox
	conn *smtp.Conn
	to   []string
}

func (s *session) Mail(string, *smtp.MailOptions) error {
	if _, isTLS := s.conn.TLSConnectionState(); !isTLS {
		return &smtp.SMTPError{Code: 530, Message: "STARTTLS first"}
	}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "nobody@") {
		return &smtp.SMTPError{Code: 550, Message: "no such mailbox"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(m.Body)
	m.Body = bytes.NewReader(body)
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	s.mb.msgs = append(s.mb.msgs, m)
	s.mb.rcpts = append(s.mb.rcpts, s.to...)
	return nil
}

func (s *session) Reset()        { s.to = nil }
func (s *session) Logout() error { return nil }

func (mb *mailbox) messages() []*mail.Message {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]*mail.Message(nil), mb.msgs...)
}

func withMail(mb *mailbox) option {
	return func(c *notification.Config, _ *notification.Deps) {
		c.SMTP = mailcfg.Config{Addr: mb.addr, From: "Clinical Engineering Jobs <alerts@clinjobs.example>",
			TLS: mailcfg.TLSStartTLS, TLSConfig: &tls.Config{RootCAs: mb.roots, ServerName: "127.0.0.1"}}
	}
}

// parts reads a multipart/alternative message's text and HTML.
func parts(t *testing.T, m *mail.Message) (text, html string) {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q", m.Header.Get("Content-Type"))
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			return text, html
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p) // NextPart undoes quoted-printable
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			text = string(body)
		case "text/html":
			html = string(body)
		}
	}
}

func TestEmailAlertWithOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	h := start(t, withMail(mb))
	cid, token := h.candidate("ada@example.org")
	sub := h.subscribe(cid, token, map[string]any{"channel": "email"})
	v := vacancy(eventsv1.RoleFamily_ROLE_FAMILY_CLINICAL_TECHNOLOGIST, eventsv1.Band_BAND_5, h.clock.Now().Add(20*24*time.Hour))
	v.Title = "Clinical technologist <renal> & dialysis"
	h.match(cid, v, "")
	testwait.Until(t, 10*time.Second, "the email", func() bool { return len(mb.messages()) == 1 })
	h.settled()
	m := mb.messages()[0]
	if got := m.Header.Get("To"); got != "ada@example.org" {
		t.Errorf("To %q", got)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if subject != "New vacancy for you: "+v.GetTitle() {
		t.Errorf("Subject %q", subject)
	}
	if m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", m.Header.Get("List-Unsubscribe-Post"))
	}
	link := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	if !strings.HasPrefix(link, "http://unused/v1/unsubscribe?token=") {
		t.Fatalf("List-Unsubscribe %q", link)
	}
	text, html := parts(t, m)
	if !strings.Contains(text, v.GetTitle()) || !strings.Contains(text, "£37,338 to £44,962") || !strings.Contains(text, link) {
		t.Errorf("text part:\n%s", text)
	}
	if !strings.Contains(html, "Clinical technologist &lt;renal&gt; &amp; dialysis") || strings.Contains(html, "<renal>") {
		t.Errorf("HTML part does not escape the title:\n%s", html)
	}
	// The one-click POST a mail client sends, with no login, to this API.
	path := strings.TrimPrefix(link, "http://unused")
	if code := h.call(http.MethodGet, path, "", nil, nil); code != http.StatusOK {
		t.Fatalf("unsubscribe page: %d", code)
	}
	forged := strings.Replace(path, sub.Subscription.ID, "saaaaaaaaaaaaaaaaaaaa", 1)
	if code := h.call(http.MethodPost, forged, "", nil, nil); code != http.StatusUnprocessableEntity {
		t.Fatalf("a forged link: %d", code)
	}
	if code := h.call(http.MethodPost, path, "", nil, nil); code != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %d", code)
	}
	if code := h.call(http.MethodPost, path, "", nil, nil); code != http.StatusOK {
		t.Fatalf("unsubscribing twice: %d", code)
	}
	var list struct {
		Subscriptions []notification.SubscriptionView `json:"subscriptions"`
	}
	if h.call(http.MethodGet, "/v1/candidates/"+cid+"/subscriptions", token, nil, &list); len(list.Subscriptions) != 0 {
		t.Fatalf("still subscribed: %+v", list)
	}
}

func TestEmailToAMailboxThatDoesNotExistIsADeadLetterAtOnce(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	h := start(t, withMail(mb), func(c *notification.Config, _ *notification.Deps) {
		c.Retries = []time.Duration{time.Hour, time.Hour}
	})
	cid, token := h.candidate("nobody@example.org")
	h.subscribe(cid, token, map[string]any{"channel": "email"})
	h.match(cid, vacancy(eventsv1.RoleFamily_ROLE_FAMILY_ENGINEER, eventsv1.Band_BAND_6, h.clock.Now().Add(20*24*time.Hour)), "")
	var dl struct {
		DeadLetters []notification.DeadLetterView `json:"dead_letters"`
	}
	testwait.Until(t, 10*time.Second, "a dead letter", func() bool {
		return h.control("clinjobs.notification.deadletters.list", map[string]any{"endpoint": "smtp"}, &dl) == nil && len(dl.DeadLetters) == 1
	})
	if d := dl.DeadLetters[0]; d.Attempts != 1 || !strings.Contains(d.Reason, "550") {
		t.Fatalf("dead letter %+v", d)
	}
}
